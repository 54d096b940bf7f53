import { DlmsError } from '@openhes/dlms';
import { afterEach, describe, expect, it } from 'vitest';
import { connectTcp, connectUdp, listenTcp, listenUdp, type Transport } from '../src/index.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function collect(t: Transport): { chunks: Uint8Array[]; total: () => Uint8Array } {
  const chunks: Uint8Array[] = [];
  t.onData((c) => chunks.push(c));
  return {
    chunks,
    total: () => Uint8Array.from(chunks.flatMap((c) => [...c])),
  };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('tcp', () => {
  it('echoes bytes both ways and reports a clean close', async () => {
    const server = await listenTcp({ port: 0 }, (t) => t.onData((c) => void t.send(c)));
    cleanups.push(() => server.close());
    const client = await connectTcp({ host: '127.0.0.1', port: server.port });
    const got = collect(client);
    let closedWith: DlmsError | undefined | 'open' = 'open';
    client.onClose((e) => {
      closedWith = e;
    });
    await client.send(Uint8Array.of(1, 2, 3));
    await client.send(Uint8Array.of(4, 5));
    await until(() => got.total().length === 5);
    expect([...got.total()]).toEqual([1, 2, 3, 4, 5]);
    await client.close();
    expect(closedWith).toBeUndefined();
    expect(client.closed).toBe(true);
  });

  it('refused connection is a retryable transport error', async () => {
    const server = await listenTcp({ port: 0 }, () => {});
    const port = server.port;
    await server.close();
    const err = await connectTcp({ host: '127.0.0.1', port }).catch((e) => e);
    expect(err).toBeInstanceOf(DlmsError);
    expect(err.code).toBe('DLMS_TRANSPORT');
    expect(err.retryable).toBe(true);
    expect(err.detail.reason).toBe('refused');
  });

  it('closes a silent connection with a timeout error', async () => {
    const server = await listenTcp({ port: 0 }, () => {});
    cleanups.push(() => server.close());
    const client = await connectTcp({ host: '127.0.0.1', port: server.port, inactivityTimeoutMs: 50 });
    const err = await new Promise<DlmsError | undefined>((resolve) => client.onClose(resolve));
    expect(err?.code).toBe('DLMS_TIMEOUT');
    await expect(client.send(Uint8Array.of(1))).rejects.toBeInstanceOf(DlmsError);
  });

  it('binds a chosen loopback source address', async () => {
    let remote = '';
    const server = await listenTcp({ host: '0.0.0.0', port: 0 }, (t) => {
      remote = t.remote;
    });
    cleanups.push(() => server.close());
    const client = await connectTcp({ host: '127.0.0.1', port: server.port, localAddress: '127.0.0.7' });
    cleanups.push(() => client.close());
    await until(() => remote !== '');
    expect(remote.startsWith('127.0.0.7:')).toBe(true);
  });
});

describe('udp', () => {
  it('keeps datagram boundaries and separates peers', async () => {
    const seen = new Map<string, number>();
    const server = await listenUdp({ port: 0 }, (t) => {
      t.onData((d) => {
        seen.set(t.remote, (seen.get(t.remote) ?? 0) + 1);
        void t.send(Uint8Array.of(d.length));
      });
    });
    cleanups.push(() => server.close());
    const a = await connectUdp({ host: '127.0.0.1', port: server.port });
    const b = await connectUdp({ host: '127.0.0.1', port: server.port });
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    const gotA = collect(a);
    const gotB = collect(b);
    await a.send(new Uint8Array(10));
    await a.send(new Uint8Array(20));
    await b.send(new Uint8Array(7));
    await until(() => gotA.chunks.length === 2 && gotB.chunks.length === 1);
    expect(gotA.chunks.map((c) => c[0])).toEqual([10, 20]);
    expect(gotB.chunks.map((c) => c[0])).toEqual([7]);
    expect(server.peers).toBe(2);
    expect(seen.size).toBe(2);
  });
});
