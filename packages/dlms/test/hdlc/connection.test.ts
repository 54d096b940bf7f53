import { hdlcVectors as vectors } from '@openhes/testkit/vectors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/bytes.ts';
import { DlmsError, DlmsErrorCode } from '../../src/errors.ts';
import {
  decodeHdlcFrame,
  decodeHdlcParameters,
  HDLC_DEFAULT_PARAMETERS,
  type HdlcAddress,
  HdlcConnection,
  type HdlcControl,
  type HdlcFrame,
  type HdlcStep,
} from '../../src/hdlc/index.ts';
import { arbHdlcFrame } from './arbitraries.ts';

const V = vectors.vectors.map((v) => fromHex(v.hex));
const CLIENT: HdlcAddress = { logical: 16, size: 1 };
const SERVER: HdlcAddress = { logical: 1, size: 1 };
/** GetRequestNormal for the clock, attribute 2 (the APDU of vector 5). */
const GET_CLOCK = fromHex('C001C100080000010000FF0200');

function client(extra: Partial<ConstructorParameters<typeof HdlcConnection>[0]> = {}): HdlcConnection {
  return new HdlcConnection({ role: 'client', clientAddress: 16, serverAddress: { logical: 1 }, ...extra });
}

function server(extra: Partial<ConstructorParameters<typeof HdlcConnection>[0]> = {}): HdlcConnection {
  return new HdlcConnection({ role: 'server', serverAddress: { logical: 1 }, ...extra });
}

function toClient(
  control: HdlcControl,
  information: Uint8Array = new Uint8Array(0),
  segmented = false,
): HdlcFrame {
  return { destination: CLIENT, source: SERVER, control, segmented, information };
}

function toServer(
  control: HdlcControl,
  information: Uint8Array = new Uint8Array(0),
  segmented = false,
): HdlcFrame {
  return { destination: SERVER, source: CLIENT, control, segmented, information };
}

const sent = (s: HdlcStep) => s.send.map((b) => decodeHdlcFrame(b));
const controls = (s: HdlcStep) => sent(s).map((f) => f.control);
const types = (s: HdlcStep) => s.events.map((e) => e.type);
const errorCodes = (s: HdlcStep) => s.events.flatMap((e) => (e.type === 'error' ? [e.error.code] : []));

function connected(extra = {}): HdlcConnection {
  const c = client(extra);
  c.connect();
  c.receive(decodeHdlcFrame(V[3]!));
  return c;
}

function connectedServer(extra = {}): HdlcConnection {
  const s = server(extra);
  s.receive(decodeHdlcFrame(V[2]!));
  return s;
}

describe('HdlcConnection against the DLMS UA vectors', () => {
  it('client connect() sends the SNRM vectors (1-byte and 2-byte server address)', () => {
    const step = client().connect();
    expect(toHex(step.send[0]!)).toBe(vectors.vectors[2]!.hex);
    expect(step.timer).toBe('start');
    const two = client({ serverAddress: { logical: 1, physical: 17 } }).connect();
    expect(toHex(two.send[0]!)).toBe(vectors.vectors[0]!.hex);
  });

  it('server answers the SNRM with the UA vector (defaults 128/128/1/1)', () => {
    const s = server();
    const step = s.receive(decodeHdlcFrame(V[2]!));
    expect(step.send.map((b) => toHex(b))).toEqual([vectors.vectors[3]!.hex]);
    expect(step.events).toEqual([{ type: 'connected', parameters: HDLC_DEFAULT_PARAMETERS }]);
    expect(s.state).toBe('connected');
  });

  it('negotiates 0x9A when the client proposes it: the UA vector with 2-byte address', () => {
    const own = { maxInfoTransmit: 0x9a, maxInfoReceive: 0x9a };
    const c = client({ serverAddress: { logical: 1, physical: 17 }, parameters: own });
    const snrm = decodeHdlcFrame(c.connect().send[0]!);
    expect(decodeHdlcParameters(snrm.information)).toEqual({ ...HDLC_DEFAULT_PARAMETERS, ...own });
    const s = server({
      serverAddress: { logical: 1, physical: 17 },
      parameters: { maxInfoTransmit: 2030, maxInfoReceive: 2030 },
    });
    const ua = s.receive(snrm);
    expect(toHex(ua.send[0]!)).toBe(vectors.vectors[1]!.hex);
    const done = c.receive(decodeHdlcFrame(V[1]!));
    expect(done.events).toEqual([{ type: 'connected', parameters: { ...HDLC_DEFAULT_PARAMETERS, ...own } }]);
    expect(done.timer).toBe('stop');
  });

  it('the second request of a session is the I-frame vector (N(S) 1, N(R) 1, P)', () => {
    const c = connected();
    const first = c.sendApdu(GET_CLOCK);
    expect(controls(first)).toEqual([{ kind: 'I', ns: 0, nr: 0, pf: true }]);
    const response = c.receive(
      toClient({ kind: 'I', ns: 0, nr: 1, pf: true }, fromHex('E6E700 C401C1 00 090100')),
    );
    expect(response.events).toEqual([{ type: 'apdu', apdu: fromHex('C401C100090100'), unnumbered: false }]);
    expect(response.timer).toBe('stop');
    expect(toHex(c.sendApdu(GET_CLOCK).send[0]!)).toBe(vectors.vectors[4]!.hex);
  });

  it('disconnect() sends the DISC vector; UA closes the link', () => {
    const c = connected();
    expect(toHex(c.disconnect().send[0]!)).toBe(vectors.vectors[5]!.hex);
    const s = connectedServer();
    const ua = s.receive(decodeHdlcFrame(V[5]!));
    expect(controls(ua)).toEqual([{ kind: 'UA', pf: true }]);
    expect(ua.events).toEqual([{ type: 'disconnected', reason: 'peer' }]);
    const closed = c.receive(decodeHdlcFrame(ua.send[0]!));
    expect(closed.events).toEqual([{ type: 'disconnected', reason: 'local' }]);
    expect(closed.timer).toBe('stop');
  });
});

describe('HdlcConnection server side', () => {
  it('answers DISC and polled frames with DM when not connected', () => {
    const s = server();
    expect(controls(s.receive(decodeHdlcFrame(V[5]!)))).toEqual([{ kind: 'DM', pf: true }]);
    expect(controls(s.receive(toServer({ kind: 'RR', nr: 0, pf: true })))).toEqual([
      { kind: 'DM', pf: true },
    ]);
    expect(s.receive(toServer({ kind: 'RR', nr: 0, pf: false })).send).toEqual([]);
  });

  it('ignores frames to another server address or from a client it is not bound to', () => {
    const s = server({ clientAddress: 16 });
    const other = { ...decodeHdlcFrame(V[2]!), destination: { logical: 2, size: 1 } as const };
    expect(s.receive(other)).toEqual({ send: [], events: [] });
    const physical = {
      ...decodeHdlcFrame(V[2]!),
      destination: { logical: 1, physical: 17, size: 2 } as const,
    };
    expect(s.receive(physical)).toEqual({ send: [], events: [] });
    const stranger = { ...decodeHdlcFrame(V[2]!), source: { logical: 32, size: 1 } as const };
    expect(s.receive(stranger)).toEqual({ send: [], events: [] });
    expect(s.state).toBe('disconnected');
  });

  it('negotiates the minimum of the proposal and its own limits', () => {
    const s = server({
      parameters: { maxInfoTransmit: 200, maxInfoReceive: 100, windowTransmit: 7, windowReceive: 2 },
    });
    const proposal = fromHex('81 80 14 05 02 01 00 06 02 00 C8 07 04 00 00 00 05 08 04 00 00 00 07');
    const step = s.receive(toServer({ kind: 'SNRM', pf: true }, proposal));
    const ua = decodeHdlcParameters(sent(step)[0]!.information);
    expect(ua).toEqual({ maxInfoTransmit: 200, maxInfoReceive: 100, windowTransmit: 7, windowReceive: 2 });
  });

  it('acknowledges a repeated I-frame without delivering it twice', () => {
    const s = connectedServer();
    const seg = toServer({ kind: 'I', ns: 0, nr: 0, pf: true }, fromHex('E6E600 C0'), true);
    expect(controls(s.receive(seg))).toEqual([{ kind: 'RR', nr: 1, pf: true }]);
    const again = s.receive(seg);
    expect(controls(again)).toEqual([{ kind: 'RR', nr: 1, pf: true }]);
    expect(again.events).toEqual([]);
    const last = s.receive(toServer({ kind: 'I', ns: 1, nr: 0, pf: true }, fromHex('01 C1')));
    expect(last.events).toEqual([{ type: 'apdu', apdu: fromHex('C001C1'), unnumbered: false }]);
    expect(last.send).toEqual([]);
    expect(s.receive(toServer({ kind: 'I', ns: 1, nr: 0, pf: true }, fromHex('01 C1'))).events).toEqual([]);
  });

  it('answers an out-of-sequence N(S) with RR carrying the expected N(R)', () => {
    const s = connectedServer();
    const step = s.receive(toServer({ kind: 'I', ns: 1, nr: 0, pf: true }, fromHex('E6E600 C0')));
    expect(controls(step)).toEqual([{ kind: 'RR', nr: 0, pf: true }]);
    expect(step.events).toEqual([]);
  });

  it('holds the poll after a whole APDU until sendApdu or releasePoll', () => {
    const s = connectedServer();
    const req = s.receive(toServer({ kind: 'I', ns: 0, nr: 0, pf: true }, fromHex('E6E600 C0')));
    expect(types(req)).toEqual(['apdu']);
    expect(req.send).toEqual([]);
    expect(s.receive(toServer({ kind: 'RR', nr: 0, pf: true })).send).toEqual([]);
    const answer = s.sendApdu(fromHex('C4'));
    expect(sent(answer)).toEqual([toClient({ kind: 'I', ns: 0, nr: 1, pf: true }, fromHex('E6E700 C4'))]);
    const s2 = connectedServer();
    s2.receive(toServer({ kind: 'I', ns: 0, nr: 0, pf: true }, fromHex('E6E600 C0')));
    expect(controls(s2.releasePoll())).toEqual([{ kind: 'RR', nr: 1, pf: true }]);
    expect(s2.releasePoll().send).toEqual([]);
  });

  it('sends a segmented response a window at a time, F on the last frame of each window', () => {
    const s = connectedServer({ parameters: { windowTransmit: 2, maxInfoTransmit: 32 } });
    // Client proposal: window receive 2, max info receive 32.
    s.receive(
      toServer(
        { kind: 'SNRM', pf: true },
        fromHex('81 80 12 05 01 20 06 01 20 07 04 00000001 08 04 00000002'),
      ),
    );
    s.receive(toServer({ kind: 'I', ns: 0, nr: 0, pf: true }, fromHex('E6E600 C0')));
    const first = s.sendApdu(new Uint8Array(100));
    expect(sent(first).map((f) => [f.control, f.segmented, f.information.length])).toEqual([
      [{ kind: 'I', ns: 0, nr: 1, pf: false }, true, 32],
      [{ kind: 'I', ns: 1, nr: 1, pf: true }, true, 32],
    ]);
    const next = s.receive(toServer({ kind: 'RR', nr: 2, pf: true }));
    expect(sent(next).map((f) => [f.control, f.segmented, f.information.length])).toEqual([
      [{ kind: 'I', ns: 2, nr: 1, pf: false }, true, 32],
      [{ kind: 'I', ns: 3, nr: 1, pf: true }, false, 7],
    ]);
    // N(R) 3: the last frame was lost; go back and resend it.
    expect(controls(s.receive(toServer({ kind: 'RR', nr: 3, pf: true })))).toEqual([
      { kind: 'I', ns: 3, nr: 1, pf: true },
    ]);
  });
});

describe('HdlcConnection client side', () => {
  it('segments an APDU (LLC first) over the window, S bit and P on the last of each window', () => {
    const c = client({ parameters: { maxInfoTransmit: 32, windowTransmit: 3 } });
    c.connect();
    c.receive(
      toClient({ kind: 'UA', pf: true }, fromHex('81 80 12 05 01 80 06 01 20 07 04 00000001 08 04 00000003')),
    );
    expect(c.parameters).toEqual({
      maxInfoTransmit: 32,
      maxInfoReceive: 128,
      windowTransmit: 3,
      windowReceive: 1,
    });
    const apdu = Uint8Array.from({ length: 100 }, (_, i) => i);
    const step = c.sendApdu(apdu);
    const frames = sent(step);
    expect(frames.map((f) => [f.control, f.segmented, f.information.length])).toEqual([
      [{ kind: 'I', ns: 0, nr: 0, pf: false }, true, 32],
      [{ kind: 'I', ns: 1, nr: 0, pf: false }, true, 32],
      [{ kind: 'I', ns: 2, nr: 0, pf: true }, true, 32],
    ]);
    expect(toHex(frames[0]!.information.subarray(0, 4))).toBe('E6E60000');
    expect(c.sendApdu(new Uint8Array(1)).send).toEqual([]);
    const rest = c.receive(toClient({ kind: 'RR', nr: 3, pf: true }));
    expect(sent(rest).map((f) => [f.control, f.segmented, f.information.length])).toEqual([
      [{ kind: 'I', ns: 3, nr: 0, pf: true }, false, 7],
    ]);
  });

  it('holds the next request until the response arrives, unless no response is expected', () => {
    const c = connected();
    c.sendApdu(GET_CLOCK);
    expect(c.sendApdu(GET_CLOCK).send).toEqual([]);
    // RR acknowledges the request but brings no response: wait for the timer, then poll.
    const acked = c.receive(toClient({ kind: 'RR', nr: 1, pf: true }));
    expect(acked.send).toEqual([]);
    expect(acked.timer).toBe('start');
    expect(controls(c.onTimeout())).toEqual([{ kind: 'RR', nr: 0, pf: true }]);
    const answered = c.receive(toClient({ kind: 'I', ns: 0, nr: 1, pf: true }, fromHex('E6E700 C4')));
    expect(types(answered)).toEqual(['apdu']);
    expect(controls(answered)).toEqual([{ kind: 'I', ns: 1, nr: 1, pf: true }]);

    const u = connected();
    u.sendApdu(fromHex('C8'), { expectResponse: false });
    u.sendApdu(GET_CLOCK);
    const next = u.receive(toClient({ kind: 'RR', nr: 1, pf: true }));
    expect(controls(next)).toEqual([{ kind: 'I', ns: 1, nr: 0, pf: true }]);
  });

  it('asks for the next segment of a response with RR and reassembles it', () => {
    const c = connected();
    c.sendApdu(GET_CLOCK);
    const a = c.receive(toClient({ kind: 'I', ns: 0, nr: 1, pf: true }, fromHex('E6E700 C4 01'), true));
    expect(controls(a)).toEqual([{ kind: 'RR', nr: 1, pf: true }]);
    expect(a.timer).toBe('start');
    const b = c.receive(toClient({ kind: 'I', ns: 1, nr: 1, pf: true }, fromHex('C1 00'), true));
    expect(controls(b)).toEqual([{ kind: 'RR', nr: 2, pf: true }]);
    const last = c.receive(toClient({ kind: 'I', ns: 2, nr: 1, pf: true }, fromHex('09 00')));
    expect(last.events).toEqual([{ type: 'apdu', apdu: fromHex('C401C1000900'), unnumbered: false }]);
    expect(last.send).toEqual([]);
    expect(last.timer).toBe('stop');
  });

  it('answers a gap in the response N(S) with RR carrying the expected N(R)', () => {
    const c = connected();
    c.sendApdu(GET_CLOCK);
    c.receive(toClient({ kind: 'I', ns: 0, nr: 1, pf: false }, fromHex('E6E700 C4'), true));
    const gap = c.receive(toClient({ kind: 'I', ns: 2, nr: 1, pf: true }, fromHex('00'), true));
    expect(controls(gap)).toEqual([{ kind: 'RR', nr: 1, pf: true }]);
  });

  it('retransmits on timeout and raises a Link error after maxRetries', () => {
    const c = connected({ maxRetries: 2 });
    const first = c.sendApdu(GET_CLOCK).send[0]!;
    for (let i = 0; i < 2; i++) {
      const again = c.onTimeout();
      expect(again.send.map((b) => toHex(b))).toEqual([toHex(first)]);
      expect(again.timer).toBe('start');
    }
    const failed = c.onTimeout();
    expect(errorCodes(failed)).toEqual([DlmsErrorCode.Link]);
    expect(failed.events.at(-1)).toEqual({ type: 'disconnected', reason: 'failed' });
    expect(failed.timer).toBe('stop');
    expect(c.state).toBe('disconnected');
    expect(errorCodes(c.sendApdu(GET_CLOCK))).toEqual([DlmsErrorCode.Link]);
  });

  it('polls with RR after a timeout when nothing is unacknowledged', () => {
    const c = connected();
    c.sendApdu(GET_CLOCK);
    c.receive(toClient({ kind: 'I', ns: 0, nr: 1, pf: false }, fromHex('E6E700 C4'), true));
    expect(controls(c.onTimeout())).toEqual([{ kind: 'RR', nr: 1, pf: true }]);
  });

  it('waits while the server is busy (RNR), then polls with RR', () => {
    const c = connected();
    c.sendApdu(new Uint8Array(200));
    const busy = c.receive(toClient({ kind: 'RNR', nr: 1, pf: true }));
    expect(busy.send).toEqual([]);
    expect(busy.timer).toBe('start');
    expect(controls(c.onTimeout())).toEqual([{ kind: 'RR', nr: 0, pf: true }]);
    const ready = c.receive(toClient({ kind: 'RR', nr: 1, pf: true }));
    expect(controls(ready)).toEqual([{ kind: 'I', ns: 1, nr: 0, pf: true }]);
  });

  it('DM during connect is a refusal; DM or FRMR when connected drop the link', () => {
    const c = client();
    c.connect();
    const refused = c.receive(toClient({ kind: 'DM', pf: true }));
    expect(errorCodes(refused)).toEqual([DlmsErrorCode.Link]);
    expect(refused.events.at(-1)).toEqual({ type: 'disconnected', reason: 'refused' });
    for (const kind of ['DM', 'FRMR'] as const) {
      const k = connected();
      const step = k.receive(toClient({ kind, pf: true }, kind === 'FRMR' ? fromHex('321200') : undefined));
      expect(errorCodes(step)).toEqual([DlmsErrorCode.Link]);
      expect(k.state).toBe('disconnected');
    }
  });

  it('delivers UI frames as unnumbered APDUs and reports a missing LLC', () => {
    const c = connected();
    const ui = c.receive(toClient({ kind: 'UI', pf: false }, fromHex('E6E700 C2 00')));
    expect(ui.events).toEqual([{ type: 'apdu', apdu: fromHex('C200'), unnumbered: true }]);
    expect(errorCodes(c.receive(toClient({ kind: 'UI', pf: false }, fromHex('C2 00'))))).toEqual([
      DlmsErrorCode.Malformed,
    ]);
  });

  it('ignores frames from another server and late UA duplicates', () => {
    const c = connected();
    c.sendApdu(GET_CLOCK);
    const foreign = {
      ...toClient({ kind: 'RR', nr: 1, pf: true }),
      source: { logical: 2, size: 1 } as const,
    };
    expect(c.receive(foreign)).toEqual({ send: [], events: [] });
    expect(c.receive(decodeHdlcFrame(V[3]!))).toEqual({ send: [], events: [] });
  });

  it('a client without a client address, or connect() on a server, is a programming error', () => {
    expect(() => new HdlcConnection({ role: 'client', serverAddress: { logical: 1 } })).toThrow(DlmsError);
    expect(() => server().connect()).toThrow(DlmsError);
  });
});

describe('HdlcConnection robustness', () => {
  it('random frames in any state give steps whose errors are DlmsError, never a throw', () => {
    fc.assert(
      fc.property(
        fc.array(arbHdlcFrame, { maxLength: 30 }),
        fc.boolean(),
        fc.boolean(),
        (frames, isClient, online) => {
          const c = isClient ? client() : server();
          if (online && isClient) {
            c.connect();
            c.receive(decodeHdlcFrame(V[3]!));
          } else if (online) c.receive(decodeHdlcFrame(V[2]!));
          for (const f of frames) {
            const aimed = isClient
              ? { ...f, destination: CLIENT, source: SERVER }
              : { ...f, destination: SERVER, source: CLIENT };
            for (const frame of [f, aimed]) {
              const step = c.receive(frame);
              for (const e of step.events) if (e.type === 'error') expect(e.error).toBeInstanceOf(DlmsError);
              for (const b of step.send) decodeHdlcFrame(b);
              c.onTimeout();
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
