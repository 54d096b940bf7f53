import net from 'node:net';
import { encodeWrapperPdu } from '@openhes/dlms';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type ConnectionRefusal,
  connectTcp,
  drawSocketsFrom,
  listenTcp,
  RateLimitedLog,
  SocketBudget,
  type TcpTransport,
  WrapperLink,
} from '../src/index.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  vi.useRealTimers();
  while (cleanups.length) await cleanups.pop()!();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Raw TCP client sockets (no Transport) for the attacking side; resolves once connected, or
 * once reset (a refused connection may be reset before the client has seen it connect).
 */
function open(port: number, localAddress = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress });
    s.once('connect', () => resolve(s));
    s.on('error', () => resolve(s));
    cleanups.push(() => void s.destroy());
  });
}

function closedSoon(s: net.Socket, ms = 2000): Promise<boolean> {
  if (s.destroyed || s.readableEnded) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    s.on('error', () => {});
    s.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('SocketBudget', () => {
  it('keeps each share for its use, lends the unreserved pool, and never lends to a capped use', () => {
    const b = new SocketBudget({ total: 10, shares: { api: 2, collector: 3, push: 3 }, capped: ['push'] });
    const push = Array.from({ length: 5 }, () => b.tryAcquire('push'));
    expect(push.filter(Boolean)).toHaveLength(3); // its share, not the pool
    const collector = Array.from({ length: 6 }, () => b.tryAcquire('collector'));
    expect(collector.filter(Boolean)).toHaveLength(5); // 3 reserved + the pool of 2
    // The API's share is still whole although push and the collectors asked for more.
    expect(b.tryAcquire('api')).toBeDefined();
    expect(b.tryAcquire('api')).toBeDefined();
    expect(b.tryAcquire('api')).toBeUndefined();
    collector[4]!.release();
    collector[4]!.release(); // idempotent
    expect(b.tryAcquire('api')).toBeDefined(); // the pool place came back
    expect(b.usage().byUse.push).toEqual({ held: 3, share: 3, refused: 2 });
    expect(() => new SocketBudget({ total: 4, shares: { a: 3, b: 2 } })).toThrow(/exceed/);
    expect(() => b.tryAcquire('nobody')).toThrow(/no share/);
  });

  it('a connect draws from its share and fails as retryable no-socket when it is spent', async () => {
    const server = await listenTcp({ port: 0 }, () => {});
    cleanups.push(() => server.close());
    const budget = new SocketBudget({ total: 2, shares: { collector: 1, push: 1 }, capped: ['push'] });
    const account = { budget, use: 'collector' } as const;
    const t = await connectTcp({ host: '127.0.0.1', port: server.port, sockets: account });
    const refused = await connectTcp({ host: '127.0.0.1', port: server.port, sockets: account }).catch(
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({ retryable: true, detail: { reason: 'no-socket' } });
    await t.close();
    await until(() => budget.held('collector') === 0);
    const again = await connectTcp({ host: '127.0.0.1', port: server.port, sockets: account });
    await again.close();
  });

  it('an HTTP-style server charged to a share resets connections beyond it', async () => {
    const budget = new SocketBudget({ total: 2, shares: { api: 2 } });
    const server = net.createServer(() => {});
    const refusals: string[] = [];
    drawSocketsFrom(server, { budget, use: 'api' }, (reason) => refusals.push(reason));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as net.AddressInfo).port;
    const a = await open(port);
    const b = await open(port);
    await until(() => budget.held('api') === 2);
    const c = await open(port);
    expect(await closedSoon(c)).toBe(true);
    expect(refusals).toEqual(['no-socket']);
    a.destroy();
    await until(() => budget.held('api') === 1);
    b.destroy();
  });
});

describe('listenTcp caps', () => {
  it('refuses at accept beyond the total, per source address, and beyond its budget share', async () => {
    const refused: ConnectionRefusal[] = [];
    const budget = new SocketBudget({ total: 10, shares: { push: 4, collector: 6 }, capped: ['push'] });
    const server = await listenTcp(
      {
        port: 0,
        maxConnections: 5,
        maxConnectionsPerHost: 2,
        sockets: { budget, use: 'push' },
        onRefused: (r) => refused.push(r),
      },
      () => {},
    );
    cleanups.push(() => server.close());
    // Two from 127.0.0.1 are held; a third from it is refused though the total has room.
    const kept = [await open(server.port), await open(server.port)];
    const third = await open(server.port);
    expect(await closedSoon(third)).toBe(true);
    expect(refused).toEqual(['max-connections-per-host']);
    // Other loopback addresses each have their own two, up to the budget's push share (4).
    kept.push(await open(server.port, '127.0.0.2'), await open(server.port, '127.0.0.2'));
    const fifth = await open(server.port, '127.0.0.3');
    expect(await closedSoon(fifth)).toBe(true);
    expect(refused).toEqual(['max-connections-per-host', 'no-socket']);
    await until(() => server.connections === 4);
    expect(budget.held('push')).toBe(4);
    for (const s of kept) s.destroy();
    await until(() => server.connections === 0 && budget.held('push') === 0);
    // The per-host count came back too.
    const again = [await open(server.port), await open(server.port)];
    await until(() => server.connections === 2);
    for (const s of again) s.destroy();
  });
});

describe('WrapperLink limits (a listener open to strangers)', () => {
  async function serve(options: ConstructorParameters<typeof WrapperLink>[1]) {
    const links: WrapperLink[] = [];
    const apdus: Uint8Array[] = [];
    const ended: (string | undefined)[] = [];
    const server = await listenTcp({ port: 0, inactivityTimeoutMs: 300 }, (t: TcpTransport) => {
      const link = new WrapperLink(t, options);
      links.push(link);
      link.onApdu((a) => apdus.push(a));
      link.onClose((e) => ended.push(e === undefined ? undefined : String(e.detail?.reason)));
    });
    cleanups.push(() => server.close());
    return { server, links, apdus, ended };
  }

  it('refuses at once a header declaring more than the largest PDU, and lets its bytes go', async () => {
    const s = await serve({ role: 'server', maxApduLength: 1024, onFramingError: 'close' });
    const c = await open(s.server.port);
    // Declares 64 KB: version 1, wPorts 1 → 16, length 0xFFFF; then the first 4 KB of it.
    c.write(Uint8Array.from([0, 1, 0, 1, 0, 16, 0xff, 0xff]));
    c.write(new Uint8Array(4096));
    expect(await closedSoon(c)).toBe(true);
    expect(s.ended).toEqual(['pdu-too-large']);
    expect(s.links[0]!.buffered).toBe(0);
    // A PDU within the limit still passes on another connection.
    const ok = await open(s.server.port);
    ok.write(encodeWrapperPdu({ source: 1, destination: 16, apdu: new Uint8Array(1024).fill(7) }));
    await until(() => s.apdus.length === 1);
    expect(s.apdus[0]).toHaveLength(1024);
  });

  it('holds no more than the PDU under way, however large the chunks a peer sends', async () => {
    const s = await serve({ role: 'server', maxApduLength: 256, onFramingError: 'close' });
    const c = await open(s.server.port);
    // 200 whole PDUs and half of one more in one write.
    const pdu = encodeWrapperPdu({ source: 1, destination: 16, apdu: new Uint8Array(200).fill(1) });
    const burst = new Uint8Array(pdu.length * 200 + 100);
    for (let i = 0; i < 200; i++) burst.set(pdu, i * pdu.length);
    burst.set(pdu.subarray(0, 100), pdu.length * 200);
    c.write(burst);
    await until(() => s.apdus.length === 200);
    expect(s.links[0]!.buffered).toBe(100);
  });

  it('ends a PDU trickled byte by byte at its whole-PDU deadline although the silence timeout never fires', async () => {
    const s = await serve({
      role: 'server',
      maxApduLength: 1024,
      pduDeadlineMs: 400,
      onFramingError: 'close',
    });
    // The transport's own silence timeout (300 ms) is defeated by a byte every 100 ms.
    const c = await open(s.server.port);
    const pdu = encodeWrapperPdu({ source: 1, destination: 16, apdu: new Uint8Array(50) });
    const started = Date.now();
    let i = 0;
    const drip = setInterval(() => {
      if (i < pdu.length && !c.destroyed) c.write(pdu.subarray(i, ++i));
    }, 100);
    cleanups.push(() => clearInterval(drip));
    expect(await closedSoon(c, 3000)).toBe(true);
    clearInterval(drip);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(350);
    expect(took).toBeLessThan(1500);
    expect(s.ended).toEqual(['pdu-timeout']);
    expect(s.apdus).toHaveLength(0);
  });

  it('a peer that sends whole PDUs slowly is not cut off by the deadline', async () => {
    const s = await serve({
      role: 'server',
      maxApduLength: 1024,
      pduDeadlineMs: 150,
      onFramingError: 'close',
    });
    const c = await open(s.server.port);
    const pdu = encodeWrapperPdu({ source: 1, destination: 16, apdu: new Uint8Array(10) });
    for (let k = 0; k < 4; k++) {
      c.write(pdu);
      await sleep(100);
    }
    await until(() => s.apdus.length === 4);
    expect(c.destroyed).toBe(false);
    expect(s.ended).toEqual([]);
  });
});

describe('RateLimitedLog', () => {
  it('tells the first refusal of a reason at once and the rest as one line per interval with a count', () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const log = new RateLimitedLog((l) => lines.push(l), 1000);
    for (let i = 0; i < 5000; i++) log.note('push refused (max-connections-per-host)', `10.0.0.1:${i}`);
    log.note('push refused (pdu-timeout)', 'a');
    expect(lines).toEqual([
      'push refused (max-connections-per-host): 10.0.0.1:0',
      'push refused (pdu-timeout): a',
    ]);
    vi.advanceTimersByTime(1000);
    expect(lines[2]).toBe(
      'push refused (max-connections-per-host): ×4999 more in the last 1 s (latest 10.0.0.1:4999)',
    );
    expect(lines).toHaveLength(3);
    for (let i = 0; i < 10; i++) log.note('push refused (max-connections-per-host)', 'x');
    expect(lines).toHaveLength(3); // still inside the next interval
    vi.advanceTimersByTime(1000);
    expect(lines).toHaveLength(4);
    vi.advanceTimersByTime(5000);
    expect(lines).toHaveLength(4); // quiet: nothing more
    log.note('push refused (max-connections-per-host)', 'y');
    expect(lines).toHaveLength(5); // a new burst is told at once
    log.close();
  });
});
