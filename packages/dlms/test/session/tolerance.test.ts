import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeXdlmsApdu, encodeXdlmsApdu, getResponseDatablocks } from '../../src/apdu/index.ts';
import { dataToBytes } from '../../src/axdr/index.ts';
import { concatBytes } from '../../src/bytes.ts';
import { DlmsError } from '../../src/errors.ts';
import { decipherApdu, InvocationCounterState } from '../../src/security/index.ts';
import { SessionWarning, type TraceEvent } from '../../src/session/index.ts';
import {
  AK,
  CLIENT_TITLE,
  CLOCK,
  EK,
  makePair,
  type Pair,
  type PairOptions,
  PROFILE_BUFFER,
  profileRows,
  REGISTER_VALUE,
  SERVER_TITLE,
} from './fixtures.ts';

// Provenance: simulator (ServerSession) on an in-memory loop, with hand-made meter quirks.

function associated(serverConformance?: PairOptions['serverConformance']) {
  const pair = makePair(serverConformance === undefined ? {} : { serverConformance });
  pair.ok(pair.client.associate());
  return pair;
}

/** The same response with another invoke-id (byte 2 of a get/set/action response). */
function otherInvokeId(apdu: Uint8Array): Uint8Array {
  const out = apdu.slice();
  out[2] = (out[2]! & 0xf0) | ((out[2]! + 1) & 0x0f);
  return out;
}

function warningCodes(events: readonly { type: string; code?: string }[]): string[] {
  return events.flatMap((e) => (e.type === 'warning' && e.code !== undefined ? [e.code] : []));
}

function clockAddress(): Parameters<Pair['model']['get']>[1] {
  return { classId: CLOCK.classId, obis: Uint8Array.of(0, 0, 1, 0, 0, 255), attributeId: CLOCK.attributeId };
}

describe('tolerances for real meters', () => {
  it('blocks although block transfer was not negotiated: accepted with a warning', () => {
    const pair = associated(['get', 'set', 'action']);
    const ex = pair.client.get(PROFILE_BUFFER);
    const iip = ex.send[2]!;
    const blocks = getResponseDatablocks(iip, dataToBytes(profileRows(1, 40)), 256);
    expect(blocks.length).toBeGreaterThan(1);
    let step = ex.receive(encodeXdlmsApdu(blocks[0]!));
    for (let i = 1; i < blocks.length; i++) {
      expect(step.status).toBe('send');
      if (step.status !== 'send') return;
      expect(Array.from(step.send.subarray(0, 2))).toEqual([0xc0, 0x02]);
      const warned = step.events.filter((e) => e.type === 'warning');
      expect(warned.map((e) => e.type === 'warning' && e.code)).toEqual(
        i === 1 ? [SessionWarning.BlockTransferNotNegotiated] : [],
      );
      step = ex.receive(encodeXdlmsApdu(blocks[i]!));
    }
    expect(step.status === 'done' ? step.result : step.status).toEqual(profileRows(1, 40));
  });

  it('wrong invoke-id with the only request outstanding: accepted, warned once per request', () => {
    const pair = associated();
    const ex = pair.client.get(PROFILE_BUFFER);
    let answers = 0;
    let warned = 0;
    let step = ex.receive(otherInvokeId(pair.server.receive(ex.send).send[0]!));
    for (;;) {
      answers++;
      warned += warningCodes(step.events).filter((c) => c === SessionWarning.InvokeIdMismatch).length;
      if (step.status !== 'send') break;
      step = ex.receive(otherInvokeId(pair.server.receive(step.send).send[0]!));
    }
    expect(answers).toBeGreaterThan(1);
    expect(step.status === 'done' ? step.result : step.status).toEqual(profileRows());
    expect(warned).toBe(1);
  });

  it('HLS pass 3 answered with another invoke-id: associated with a warning', () => {
    const pair = makePair({ server: { authentication: 'hls-gmac', key: 'manager' } });
    const ex = pair.client.associate();
    const pass3 = ex.receive(pair.server.receive(ex.send).send[0]!);
    expect(pass3.status).toBe('send');
    if (pass3.status !== 'send') return;
    const step = ex.receive(otherInvokeId(pair.server.receive(pass3.send).send[0]!));
    expect(step.status).toBe('done');
    expect(warningCodes(step.events)).toEqual([SessionWarning.InvokeIdMismatch]);
    expect(pair.client.state).toBe('associated');
    expect(pair.server.state).toBe('associated');
  });

  it('abandoned request: its late answer is dropped, a foreign invoke-id is not tolerated meanwhile', () => {
    const pair = associated();
    const first = pair.client.get(REGISTER_VALUE);
    const late = pair.server.receive(first.send).send[0]!;
    pair.client.abandon();
    expect(first.receive(late).status).toBe('failed');
    const second = pair.client.get(CLOCK);
    expect(second.send[2]! & 0x0f).not.toBe(first.send[2]! & 0x0f);
    const dropped = second.receive(late);
    expect(dropped.status).toBe('wait');
    expect(warningCodes(dropped.events)).toEqual([SessionWarning.LateResponse]);
    const answer = pair.server.receive(second.send).send[0]!;
    const step = second.receive(answer);
    expect(step.status === 'done' ? step.result : step.status).toEqual(pair.model.get({}, clockAddress()));
    // Answered: back to one outstanding, so a wrong invoke-id is tolerated again.
    const third = pair.client.get(CLOCK);
    const wrong = third.receive(otherInvokeId(pair.server.receive(third.send).send[0]!));
    expect(wrong.status).toBe('done');
  });

  it('abandoning a release forgets the association and leaves no request outstanding', () => {
    const pair = associated();
    pair.ok(pair.client.get(CLOCK));
    pair.client.release();
    pair.client.abandon();
    expect(pair.client.state).toBe('idle');
    pair.ok(pair.client.associate());
    const ex = pair.client.get(CLOCK);
    const step = ex.receive(otherInvokeId(pair.server.receive(ex.send).send[0]!));
    expect(step.status).toBe('done');
    expect(warningCodes(step.events)).toEqual([SessionWarning.InvokeIdMismatch]);
  });

  it('abandoned request never answered: a foreign invoke-id fails the next request', () => {
    const pair = associated();
    pair.client.get(REGISTER_VALUE);
    pair.client.abandon();
    const ex = pair.client.get(CLOCK);
    const answer = pair.server.receive(ex.send).send[0]!.slice();
    answer[2] = (answer[2]! & 0xf0) | ((ex.send[2]! + 5) & 0x0f);
    const step = ex.receive(answer);
    expect(step.status === 'failed' ? step.error.detail : step.status).toMatchObject({ outstanding: 2 });
  });

  it('trailing bytes after the data: value kept, warning recorded', () => {
    const pair = associated();
    const ex = pair.client.get(CLOCK);
    const answer = pair.server.receive(ex.send).send[0]!;
    const step = ex.receive(concatBytes(answer, Uint8Array.of(0x00, 0x00, 0x01)));
    expect(step.status).toBe('done');
    expect(step.events.some((e) => e.type === 'warning' && e.code === SessionWarning.TrailingBytes)).toBe(
      true,
    );
  });

  it('ExceptionResponse where a release response was due: released with a warning', () => {
    const pair = associated();
    const ex = pair.client.release();
    const step = ex.receive(Uint8Array.of(0xd8, 0x01, 0x01));
    expect(step.status).toBe('done');
    expect(
      step.events.some((e) => e.type === 'warning' && e.code === SessionWarning.ReleaseExceptionResponse),
    ).toBe(true);
    expect(pair.client.state).toBe('released');
  });

  it('malformed release response: released with a warning', () => {
    const pair = associated();
    const ex = pair.client.release();
    const step = ex.receive(Uint8Array.of(0x63, 0x05, 0x80));
    expect(step.status).toBe('done');
    expect(step.events.some((e) => e.type === 'warning' && e.code === SessionWarning.ReleaseMalformed)).toBe(
      true,
    );
    expect(pair.client.state).toBe('released');
  });
});

describe('trace hook and notifications', () => {
  it('the trace hook sees every APDU, plain and ciphered', () => {
    const traces: TraceEvent[] = [];
    const pair = makePair({ server: { policy: 'auth+enc' }, hooks: { trace: (e) => traces.push(e) } });
    const { client } = pair;
    pair.ok(client.associate());
    pair.ok(client.get(CLOCK));
    const layers = traces.map((t) => `${t.direction}:${t.layer}`);
    expect(layers).toEqual(['tx:plain', 'rx:plain', 'tx:plain', 'tx:ciphered', 'rx:ciphered', 'rx:plain']);
  });

  it('notify builds a DataNotification, ciphered with general-glo-ciphering when configured', () => {
    const plain = makePair();
    const n = plain.server.notify({ body: { type: 'unsigned', value: 7 }, longInvokeId: 5 });
    const apdu = decodeXdlmsApdu(n.send[0]!);
    expect(apdu).toMatchObject({
      type: 'data-notification',
      notificationBody: { type: 'unsigned', value: 7 },
    });

    const secured = makePair({ server: { policy: 'auth+enc' } });
    const c = secured.server.notify({ body: { type: 'unsigned', value: 7 } }).send[0]!;
    expect(c[0]).toBe(0xdb);
    const d = decipherApdu(c, { keys: { ek: EK, ak: AK }, guard: new InvocationCounterState() });
    expect(Array.from(d.systemTitle)).toEqual(Array.from(SERVER_TITLE));
    expect(decodeXdlmsApdu(d.plaintext)).toMatchObject({ type: 'data-notification' });
    const e = secured.server.notifyEvent({
      descriptor: { classId: 1, instanceId: Uint8Array.of(0, 0, 96, 11, 0, 255), attributeId: 2 },
      value: { type: 'long-unsigned', value: 12 },
    }).send[0]!;
    expect(e[0]).toBe(0xdb);
    expect(CLIENT_TITLE.length).toBe(8);
  });
});

describe('robustness', () => {
  it('random bytes to the server give an APDU back, never an exception', () => {
    const pair = makePair();
    pair.ok(pair.client.associate());
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const step = pair.server.receive(bytes);
        expect(step.send.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes to a client exchange fail with a DlmsError only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, secured) => {
        const pair = makePair(secured ? { server: { policy: 'auth+enc' } } : {});
        pair.ok(pair.client.associate());
        const step = pair.client.get(CLOCK).receive(bytes);
        if (step.status === 'failed') expect(step.error).toBeInstanceOf(DlmsError);
      }),
      { numRuns: 150 },
    );
  });
});
