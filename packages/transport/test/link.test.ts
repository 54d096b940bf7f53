import { DlmsError, DlmsErrorCode } from '@openhes/dlms';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ApduLink,
  connectTcp,
  connectUdp,
  type FrameTrace,
  HdlcLink,
  listenTcp,
  listenUdp,
  type Transport,
  WrapperLink,
} from '../src/index.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Server side of an APDU echo: answers every APDU with the same bytes reversed. */
function echo(link: ApduLink): void {
  link.onApdu((apdu) => void link.sendApdu(apdu.slice().reverse()));
}

const big = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);

describe('WrapperLink', () => {
  it('carries APDUs both ways over TCP, with the client and server wPorts', async () => {
    const seen: number[][] = [];
    const server = await listenTcp({ port: 0 }, (t) => {
      const link = new WrapperLink(t, { role: 'server' });
      link.onApdu((apdu, from) => {
        seen.push([from.client, from.server]);
        void link.sendApdu(apdu.slice().reverse());
      });
    });
    cleanups.push(() => server.close());
    const frames: FrameTrace[] = [];
    const link = new WrapperLink(await connectTcp({ host: '127.0.0.1', port: server.port }), {
      role: 'client',
      clientWPort: 32,
      serverWPort: 1,
      trace: (f) => frames.push(f),
    });
    cleanups.push(() => link.close());
    await link.sendApdu(big);
    expect(await link.nextApdu(2000)).toEqual(big.slice().reverse());
    expect(seen).toEqual([[32, 1]]);
    expect(frames.map((f) => f.direction)).toEqual(['out', 'in']);
    expect(frames[0]!.bytes.subarray(0, 8)).toEqual(Uint8Array.of(0, 1, 0, 32, 0, 1, 0x03, 0xe8));
  });

  it('reassembles a PDU that arrives one byte at a time', async () => {
    const server = await listenTcp({ port: 0 }, (t) => {
      t.onData(() => {
        const pdu = Uint8Array.of(0, 1, 0, 1, 0, 16, 0, 3, 0xc4, 0x01, 0xc1);
        void (async () => {
          for (const b of pdu) await t.send(Uint8Array.of(b));
        })();
      });
    });
    cleanups.push(() => server.close());
    const link = new WrapperLink(await connectTcp({ host: '127.0.0.1', port: server.port }), {
      role: 'client',
    });
    cleanups.push(() => link.close());
    await link.sendApdu(Uint8Array.of(0xc0));
    expect(await link.nextApdu(2000)).toEqual(Uint8Array.of(0xc4, 0x01, 0xc1));
  });

  it('carries APDUs over UDP', async () => {
    const server = await listenUdp({ port: 0 }, (t) => echo(new WrapperLink(t, { role: 'server' })));
    cleanups.push(() => server.close());
    const link = new WrapperLink(await connectUdp({ host: '127.0.0.1', port: server.port }), {
      role: 'client',
    });
    cleanups.push(() => link.close());
    await link.sendApdu(Uint8Array.of(1, 2, 3));
    expect(await link.nextApdu(2000)).toEqual(Uint8Array.of(3, 2, 1));
  });

  it('times out with code Timeout when the server never answers', async () => {
    const server = await listenTcp({ port: 0 }, () => {});
    cleanups.push(() => server.close());
    const link = new WrapperLink(await connectTcp({ host: '127.0.0.1', port: server.port }), {
      role: 'client',
    });
    cleanups.push(() => link.close());
    await link.sendApdu(Uint8Array.of(1));
    const e = await link.nextApdu(50).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DlmsError);
    expect((e as DlmsError).code).toBe(DlmsErrorCode.Timeout);
    expect((e as DlmsError).detail?.reason).toBe('response-timeout');
  });

  it('fails a pending read with code Transport when the peer closes', async () => {
    let peer: Transport | undefined;
    const server = await listenTcp({ port: 0 }, (t) => {
      peer = t;
    });
    cleanups.push(() => server.close());
    const link = new WrapperLink(await connectTcp({ host: '127.0.0.1', port: server.port }), {
      role: 'client',
    });
    const pending = link.nextApdu(5000).catch((x: unknown) => x);
    while (!peer) await new Promise((r) => setTimeout(r, 5));
    await peer.close();
    const e = await pending;
    expect((e as DlmsError).code).toBe(DlmsErrorCode.Transport);
    expect(link.closed).toBe(true);
  });
});

describe('HdlcLink', () => {
  async function hdlcPair(serverOptions: { maxInfo?: number; window?: number } = {}) {
    const serverEvents: string[] = [];
    const server = await listenTcp({ port: 0 }, (t) => {
      const link = new HdlcLink(t, { role: 'server', ...serverOptions });
      echo(link);
      link.onEvent((e) => serverEvents.push(e.type));
    });
    cleanups.push(() => server.close());
    return { port: server.port, serverEvents };
  }

  it('opens with SNRM/UA, segments a long APDU and closes with DISC/UA', async () => {
    const { port, serverEvents } = await hdlcPair();
    const frames: FrameTrace[] = [];
    const link = new HdlcLink(await connectTcp({ host: '127.0.0.1', port }), {
      role: 'client',
      clientAddress: 16,
      serverAddress: { logical: 1, physical: 17 },
      trace: (f) => frames.push(f),
    });
    await link.open();
    expect(frames[0]!.bytes[0]).toBe(0x7e);
    await link.sendApdu(big);
    expect(await link.nextApdu(2000)).toEqual(big.slice().reverse());
    await link.close();
    expect(link.closed).toBe(true);
    while (serverEvents.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(serverEvents).toEqual(['disconnected']);
    // 1000 bytes + LLC in 128-byte information fields: 8 I-frames each way.
    expect(frames.filter((f) => f.direction === 'out').length).toBeGreaterThanOrEqual(10);
  });

  it('negotiates a larger information field and window', async () => {
    const { port } = await hdlcPair({ maxInfo: 1024, window: 7 });
    const link = new HdlcLink(await connectTcp({ host: '127.0.0.1', port }), {
      role: 'client',
      clientAddress: 16,
      serverAddress: { logical: 1 },
      maxInfo: 512,
      window: 3,
    });
    cleanups.push(() => link.close());
    await link.open();
    expect(link.parameters?.maxInfoTransmit).toBe(512);
    expect(link.parameters?.windowTransmit).toBe(3);
    await link.sendApdu(big);
    expect(await link.nextApdu(2000)).toEqual(big.slice().reverse());
  });

  it('fails open with code Timeout when the server never answers SNRM', async () => {
    const server = await listenTcp({ port: 0 }, () => {});
    cleanups.push(() => server.close());
    const link = new HdlcLink(await connectTcp({ host: '127.0.0.1', port: server.port }), {
      role: 'client',
      clientAddress: 16,
      serverAddress: { logical: 1 },
      responseTimeoutMs: 20,
      maxRetries: 1,
    });
    const e = await link.open().catch((x: unknown) => x);
    expect((e as DlmsError).code).toBe(DlmsErrorCode.Timeout);
    expect(link.closed).toBe(true);
  });
});
