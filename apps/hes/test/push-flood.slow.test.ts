import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenForPushes } from '@openhes/drivers';
import { exportMeters, type Fleet, startFleet } from '@openhes/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHeadEnd } from '../src/commands/start.ts';
import { capture } from './helpers.ts';

/*
 * Defect 2 of issue 12: thousands of connections trickling a byte at a time used up the
 * process's descriptors, /health failed and scheduled reads failed. Here (scaled to this test
 * process's descriptor limit and CI time) 3,000 such connections from 30 source addresses hit
 * the push port of a head end run with --max-sockets 800 (push share 400, 50 per address,
 * whole-PDU deadline 5 s) while the collector reads simulated meters and /health is asked.
 */

const PASSWORD = 'push-flood-password';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let fleet: Fleet;
const dirs: string[] = [];
const attackers = new Set<net.Socket>();

beforeAll(async () => {
  fleet = await startFleet({ meters: 2, seed: 5, port: 0, tickMs: 0 });
});
afterAll(async () => {
  for (const s of attackers) s.destroy();
  await fleet?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Attacker {
  socket: net.Socket;
  from: string;
  /** Closed by the head end (reset at accept, or ended later). */
  closed: boolean;
  closedAt: number;
}

/** One connection that sends the start of a wrapper header (declaring `declared` bytes) and then a byte per `everyMs`. */
function attack(port: number, from: string, declared: number, everyMs: number): Attacker {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress: from });
  attackers.add(socket);
  const a: Attacker = { socket, from, closed: false, closedAt: 0 };
  const header = Uint8Array.from([0, 1, 0, 1, 0, 1, declared >> 8, declared & 0xff]);
  let sent = 0;
  let drip: ReturnType<typeof setInterval> | undefined;
  socket.on('connect', () => {
    socket.write(header.subarray(0, 1));
    sent = 1;
    drip = setInterval(() => {
      if (socket.destroyed) return;
      socket.write(sent < header.length ? header.subarray(sent, sent + 1) : Uint8Array.of(0));
      sent++;
    }, everyMs);
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    clearInterval(drip);
    a.closed = true;
    a.closedAt = Date.now();
    attackers.delete(socket);
  });
  return a;
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t = Date.now();
  const value = await f();
  return { value, ms: Date.now() - t };
}

describe('push port under a connection flood (issue 12, defect 2)', () => {
  it('caps hold, collector reads succeed and /health answers while 3,000 connections trickle', async () => {
    const data = mkdtempSync(join(tmpdir(), 'hes-push-flood-'));
    dirs.push(data);
    const { io, lines } = capture();
    const h = await startHeadEnd(
      {
        data,
        port: '0',
        host: '127.0.0.1',
        logLevel: 'silent',
        services: 'api,push,collector',
        pushPort: '0',
        maxSockets: '800',
        pushMaxPerHost: '50',
        pushPduTimeout: '5s',
      },
      io,
      { HES_ADMIN_PASSWORD: PASSWORD },
    );
    try {
      const pushPort = Number(/push listener on tcp:(\d+)/.exec(lines.join('\n'))![1]);
      const login = await fetch(`${h.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: PASSWORD }),
      });
      const token = ((await login.json()) as { token: string }).token;
      const auth = { authorization: `Bearer ${token}` };
      const imported = await fetch(`${h.url}/meters/import`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'text/csv' },
        body: [...exportMeters(fleet, 'csv')].join(''),
      });
      expect(await imported.json()).toMatchObject({ failed: [] });
      const meters = (await h.store.meters.list({ limit: 10 })).items.map((m) => m.id);
      expect(meters.length).toBeGreaterThanOrEqual(2);

      // 3,000 connections from 127.0.0.2 … 127.0.0.31, a byte every 500 ms each.
      const flood: Attacker[] = [];
      const started = Date.now();
      for (let i = 0; i < 3000; i++) {
        flood.push(attack(pushPort, `127.0.0.${2 + (i % 30)}`, 1024, 500));
        if (i % 200 === 199) await sleep(20);
      }
      // Once the accept queue is drained (refused ones reset), at most the push share is held.
      let alive = flood.filter((a) => !a.closed);
      // The wait ends as soon as the refused ones are seen closed; a loaded machine needs longer.
      while (alive.length > 400 && Date.now() - started < 30_000) {
        await sleep(50);
        alive = flood.filter((a) => !a.closed);
      }
      const perAddress = new Map<string, number>();
      for (const a of alive) perAddress.set(a.from, (perAddress.get(a.from) ?? 0) + 1);
      expect(alive.length).toBeGreaterThan(0);
      expect(alive.length).toBeLessThanOrEqual(400);
      expect(Math.max(...perAddress.values())).toBeLessThanOrEqual(50);

      const [health, ...reads] = await Promise.all([
        timed(() => fetch(`${h.url}/health`)),
        ...meters.map((id) =>
          timed(() => fetch(`${h.url}/meters/${id}/read?reads=registers`, { method: 'POST', headers: auth })),
        ),
      ]);
      expect(health.value.status).toBe(200);
      expect(health.ms).toBeLessThan(2000);
      for (const r of reads) {
        expect(r.value.status).toBe(200);
        expect(await r.value.json()).toMatchObject({ status: 'success' });
      }

      // The trickle defeats a silence timeout, not the whole-PDU deadline: all gone soon after 5 s.
      expect(flood.some((a) => !a.closed)).toBe(true);
      while (flood.some((a) => !a.closed) && Date.now() - started < 15_000) await sleep(50);
      expect(flood.filter((a) => !a.closed)).toHaveLength(0);
      const lastClose = Math.max(...flood.map((a) => a.closedAt)) - started;
      expect(lastClose).toBeLessThan(9000);
      // /health still answers once they are gone, and the push port takes a new connection.
      expect((await fetch(`${h.url}/health`)).status).toBe(200);

      // Refusals were told, not one line each: at most a few lines per reason.
      const refusalLines = lines.filter((l) => l.includes('push refused'));
      expect(refusalLines.length).toBeGreaterThan(0);
      expect(refusalLines.length).toBeLessThanOrEqual(12);
      expect(refusalLines.some((l) => /×\d+ more/.test(l) || /pdu-timeout/.test(l))).toBe(true);
    } finally {
      await h.close();
    }
  }, 60_000);

  it('2,000 connections declaring 64 KB PDUs are refused at once and hold no memory', async () => {
    const server = await listenForPushes(
      { tcpPort: 0, limits: { maxConnections: 5000, maxConnectionsPerHost: 5000 } },
      () => {},
    );
    try {
      const before = process.memoryUsage();
      const closed: Promise<void>[] = [];
      for (let i = 0; i < 2000; i++) {
        const s = net.connect({ host: '127.0.0.1', port: server.tcpPort! });
        attackers.add(s);
        s.on('error', () => {});
        // The header declares 0xFFFF bytes; 16 KB of them follow at once.
        s.on('connect', () => {
          s.write(Uint8Array.from([0, 1, 0, 1, 0, 1, 0xff, 0xff]));
          s.write(new Uint8Array(16 * 1024));
        });
        closed.push(new Promise((r) => s.once('close', () => r())));
        s.once('close', () => attackers.delete(s));
        if (i % 200 === 199) await sleep(20);
      }
      await Promise.race([Promise.all(closed), sleep(15_000)]);
      for (let i = 0; i < 200 && server.stats().connections > 0; i++) await sleep(25);
      const stats = server.stats();
      expect(stats.refused['pdu-too-large']).toBe(2000);
      expect(stats.connections).toBe(0);
      expect(stats.bufferedBytes).toBe(0);
      const after = process.memoryUsage();
      // Without the limit each would hold what it sent (2,000 × 16 KB = 32 MB) until it gave up.
      expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(16 * 1024 * 1024);
    } finally {
      await server.close();
    }
  }, 60_000);

  it('connections within the PDU limit hold at most one PDU each, and nothing once closed', async () => {
    const server = await listenForPushes(
      { tcpPort: 0, limits: { maxConnections: 5000, maxConnectionsPerHost: 5000, maxApduLength: 1024 } },
      () => {},
    );
    try {
      const sockets: net.Socket[] = [];
      for (let i = 0; i < 2000; i++) {
        const s = net.connect({ host: '127.0.0.1', port: server.tcpPort! });
        attackers.add(s);
        s.on('error', () => {});
        // Declares 1,000 bytes and sends 900 of them: an incomplete PDU held open.
        s.on('connect', () =>
          s.write(Uint8Array.from([0, 1, 0, 1, 0, 1, 0x03, 0xe8, ...new Uint8Array(900)])),
        );
        sockets.push(s);
        if (i % 200 === 199) await sleep(20);
      }
      for (let i = 0; i < 200 && server.stats().bufferedBytes < 2000 * 908; i++) await sleep(25);
      const held = server.stats();
      expect(held.connections).toBe(2000);
      expect(held.bufferedBytes).toBe(2000 * 908);
      for (const s of sockets) s.destroy();
      for (let i = 0; i < 200 && server.stats().connections > 0; i++) await sleep(25);
      expect(server.stats()).toMatchObject({ connections: 0, bufferedBytes: 0 });
    } finally {
      await server.close();
    }
  }, 60_000);
});
