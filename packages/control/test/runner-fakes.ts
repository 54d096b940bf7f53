/**
 * Test doubles of meter control: a real SQLite store on a moved clock, fake sessions, a fake
 * disconnector meter and operations written the way the real ones are.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Actor, CommandKind, Store } from '@openhes/core';
import type { MeterDriver } from '@openhes/drivers';
import { openStore } from '@openhes/storage';
import type { MeterSessions, Operation, SessionOptions } from '../src/index.ts';

export class FakeClock {
  t = Date.UTC(2026, 0, 1);
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface TestStore {
  store: Store;
  sqlite: Store;
  clock: FakeClock;
  close(): Promise<void>;
}

/** A real SQLite store in a temporary directory, on a clock the test moves. */
export async function testStore(): Promise<TestStore> {
  const clock = new FakeClock();
  const dir = mkdtempSync(join(tmpdir(), 'control-'));
  const sqlite = await openStore({ kind: 'sqlite', path: join(dir, 'hes.db'), durability: 'normal', clock });
  return { store: sqlite, sqlite, clock, close: () => sqlite.close() };
}

let serial = 0;
export async function addMeter(
  store: Pick<Store, 'meters'>,
  fields: { segment?: string | null; deviceProfile?: string; tags?: string[]; status?: 'active' } = {},
): Promise<number> {
  const m = await store.meters.create({
    serial: `T${++serial}`.padEnd(8, '0'),
    manufacturer: 'test',
    model: 'M1',
    deviceProfile: fields.deviceProfile ?? 'idis-1ph',
    protocol: 'dlms-tcp',
    address: `10.0.0.${serial % 250}:4059`,
    status: fields.status ?? 'active',
    segment: fields.segment ?? null,
    tags: fields.tags ?? [],
  });
  return m.id;
}

export const alice: Actor = { name: 'alice', address: '192.0.2.10', approver: false };
export const bob: Actor = { name: 'bob', address: '192.0.2.20', approver: true };
export const carol: Actor = { name: 'carol', address: '192.0.2.30', approver: false };

/** A relay the fake sessions' drivers act on. */
export interface FakeMeter {
  connected: boolean;
  /** remote_disconnect / remote_reconnect invocations executed. */
  invocations: number;
}

/**
 * Sessions that record who is in one at a time, and can be held open (a gate per meter) or made
 * to fail; the "driver" is a plain object the fake operations cast and use.
 */
export class FakeSessions implements MeterSessions {
  readonly meters = new Map<number, FakeMeter>();
  readonly open = new Set<number>();
  readonly log: { meterId: number; options: SessionOptions }[] = [];
  maxOpen = 0;
  /** Sessions wait on this until released (when set). */
  gate: Promise<void> | null = null;
  #release: (() => void) | null = null;
  twoAtOnce = false;

  meter(id: number): FakeMeter {
    let m = this.meters.get(id);
    if (m === undefined) {
      m = { connected: true, invocations: 0 };
      this.meters.set(id, m);
    }
    return m;
  }

  hold(): void {
    this.gate = new Promise((r) => {
      this.#release = r;
    });
  }

  release(): void {
    this.#release?.();
    this.gate = null;
  }

  async withMeter<T>(
    meterId: number,
    options: SessionOptions,
    work: (driver: MeterDriver) => Promise<T>,
  ): Promise<T> {
    if (this.open.has(meterId)) this.twoAtOnce = true;
    this.open.add(meterId);
    this.maxOpen = Math.max(this.maxOpen, this.open.size);
    this.log.push({ meterId, options });
    try {
      if (this.gate !== null) await this.gate;
      return await work({ meterId, fake: this.meter(meterId) } as unknown as MeterDriver);
    } finally {
      this.open.delete(meterId);
    }
  }
}

/** The fake meter behind a driver of FakeSessions. */
export function fakeMeterOf(driver: MeterDriver): FakeMeter {
  return (driver as unknown as { fake: FakeMeter }).fake;
}

/**
 * A disconnect written the way the real operations are: progress saved before the
 * non-idempotent step, and on a resume with that marker the relay is read before anything is
 * sent again.
 */
export const fakeDisconnect: Operation = async (ctx) => {
  const marker = ctx.command.progress?.step;
  return ctx.session(async (driver) => {
    const m = fakeMeterOf(driver);
    if (marker === 'disconnect-sent' && !m.connected)
      return { result: { outputState: false, readBack: true } };
    await ctx.saveProgress({ step: 'disconnect-sent' });
    m.invocations++;
    m.connected = false;
    return { result: { outputState: m.connected } };
  });
};

export const fakeConnect: Operation = async (ctx) =>
  ctx.session(async (driver) => {
    const m = fakeMeterOf(driver);
    await ctx.saveProgress({ step: 'connect-sent' });
    m.invocations++;
    m.connected = true;
    return { result: { outputState: m.connected } };
  });

/** Every kind runs `op` (default: the fake disconnect). */
export function operations(op: Operation = fakeDisconnect): Record<CommandKind, Operation> {
  return new Proxy({} as Record<CommandKind, Operation>, {
    get: (_t, kind) => (kind === 'connect' ? fakeConnect : op),
  });
}
