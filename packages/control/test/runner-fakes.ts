/**
 * Test doubles of meter control: command, campaign and firmware stores in memory (the same
 * compare-and-set rules as the storage adapters: the core state machines), a store that puts
 * them beside a real in-memory SQLite store, fake sessions and a fake disconnector meter.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Actor,
  type Campaign,
  type CampaignProgress,
  type CampaignState,
  type CampaignStore,
  CodedError,
  type Command,
  type CommandKind,
  type CommandState,
  CommandState as CommandStates,
  type CommandStore,
  canTransitionCampaign,
  canTransitionCommand,
  ErrorKind,
  type FirmwareImage,
  type FirmwareImageStore,
  type NewCommand,
  type Store,
} from '@openhes/core';
import type { MeterDriver } from '@openhes/drivers';
import { openStore } from '@openhes/storage';
import type { MeterSessions, Operation, SessionOptions } from '../src/index.ts';
import type { RunnerStore } from '../src/runner.ts';

export class FakeClock {
  t = Date.UTC(2026, 0, 1);
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

function conflict(message: string): CodedError {
  return new CodedError(ErrorKind.conflict, 'TEST_CONFLICT', message);
}

function page<T extends { id: number }>(
  items: T[],
  limit: number | undefined,
  cursor: string | null | undefined,
) {
  const after = cursor ? Number(cursor) : 0;
  const n = limit ?? 100;
  const rest = items.filter((x) => x.id > after);
  const slice = rest.slice(0, n);
  return { items: slice, nextCursor: rest.length > n ? String(slice.at(-1)!.id) : null };
}

export function memoryCommands(
  clock: FakeClock,
  campaignState: (id: number) => CampaignState | null,
): CommandStore & {
  rows: Map<number, Command>;
} {
  const rows = new Map<number, Command>();
  let next = 1;
  const make = (c: NewCommand): Command => {
    const now = clock.now();
    const state = c.state ?? 'queued';
    const command: Command = {
      id: next++,
      kind: c.kind,
      meterId: c.meterId,
      campaignId: c.campaignId ?? null,
      parameters: structuredClone(c.parameters),
      reason: c.reason,
      priority: c.priority ?? 'normal',
      state,
      attempts: 0,
      deadline: c.deadline ?? null,
      requestedBy: c.requestedBy,
      requestedFrom: c.requestedFrom ?? null,
      approvedBy: null,
      progress: null,
      result: null,
      error: null,
      createdAt: now,
      updatedAt: now,
      history: [{ state, at: now, by: c.requestedBy, detail: null }],
    };
    rows.set(command.id, command);
    return structuredClone(command);
  };
  const move = (c: Command, to: CommandState, by: string, detail: Record<string, unknown> | null): void => {
    c.state = to;
    c.updatedAt = clock.now();
    c.history.push({ state: to, at: c.updatedAt, by, detail });
  };
  const store: CommandStore & { rows: Map<number, Command> } = {
    rows,
    async create(c) {
      return make(c);
    },
    async createMany(cs) {
      for (const c of cs) make(c);
      return cs.length;
    },
    async get(id) {
      const c = rows.get(id);
      return c === undefined ? null : structuredClone(c);
    },
    async transition(id, from, to, by, patch = {}) {
      const c = rows.get(id);
      if (c === undefined) throw new CodedError(ErrorKind.notFound, 'TEST_NOT_FOUND', `command ${id}`);
      if (c.state !== from || !canTransitionCommand(from, to))
        throw conflict(`command ${id}: ${c.state} -> ${to}`);
      const { detail = null, ...fields } = patch;
      Object.assign(c, structuredClone(fields));
      move(c, to, by, detail);
      return structuredClone(c);
    },
    async update(id, state, patch) {
      const c = rows.get(id);
      if (c === undefined || c.state !== state) throw conflict(`command ${id} is not ${state}`);
      Object.assign(c, structuredClone(patch));
      c.updatedAt = clock.now();
      return structuredClone(c);
    },
    async list(q) {
      const states = q.state === undefined ? null : typeof q.state === 'string' ? [q.state] : q.state;
      let items = [...rows.values()].filter(
        (c) =>
          (q.meterId === undefined || c.meterId === q.meterId) &&
          (q.campaignId === undefined || c.campaignId === q.campaignId) &&
          (states === null || states.includes(c.state)) &&
          (q.kind === undefined || c.kind === q.kind) &&
          (q.requestedBy === undefined || c.requestedBy === q.requestedBy),
      );
      items = items.sort((a, b) => (q.order === 'desc' ? b.id - a.id : a.id - b.id));
      if (q.order === 'desc')
        return { items: structuredClone(items.slice(0, q.limit ?? 100)), nextCursor: null };
      return structuredClone(page(items, q.limit, q.cursor));
    },
    async due(limit, exclude = new Set()) {
      return structuredClone(
        [...rows.values()]
          .filter(
            (c) =>
              (c.state === 'queued' || c.state === 'sending') &&
              !exclude.has(c.id) &&
              (c.campaignId === null || campaignState(c.campaignId) === 'running'),
          )
          .sort((a, b) => (a.priority === b.priority ? a.id - b.id : a.priority === 'urgent' ? -1 : 1))
          .slice(0, limit),
      );
    },
    async progress(campaignId) {
      const out = Object.fromEntries(Object.values(CommandStates).map((s) => [s, 0])) as CampaignProgress;
      for (const c of rows.values()) if (c.campaignId === campaignId) out[c.state]++;
      return out;
    },
    async transitionCampaignCommands(campaignId, from, to, by, detail = null) {
      let n = 0;
      for (const c of rows.values())
        if (c.campaignId === campaignId && from.includes(c.state) && canTransitionCommand(c.state, to)) {
          move(c, to, by, detail);
          n++;
        }
      return n;
    },
  };
  return store;
}

export function memoryCampaigns(
  clock: FakeClock,
  commands: () => CommandStore,
): CampaignStore & {
  rows: Map<number, Campaign>;
} {
  const rows = new Map<number, Campaign>();
  let next = 1;
  return {
    rows,
    async create(c, meterIds) {
      const now = clock.now();
      const state = c.state ?? 'running';
      const campaign: Campaign = {
        id: next++,
        name: c.name,
        kind: c.kind,
        target: structuredClone(c.target),
        parameters: structuredClone(c.parameters),
        reason: c.reason,
        priority: c.priority ?? 'normal',
        throttle: structuredClone(c.throttle ?? {}),
        deadline: c.deadline ?? null,
        dryRun: c.dryRun ?? false,
        state,
        meterCount: meterIds.length,
        requestedBy: c.requestedBy,
        requestedFrom: c.requestedFrom ?? null,
        approvedBy: null,
        createdAt: now,
        updatedAt: now,
        history: [{ state, at: now, by: c.requestedBy, detail: null }],
      };
      rows.set(campaign.id, campaign);
      await commands().createMany(
        meterIds.map((meterId) => ({
          kind: c.kind,
          meterId,
          campaignId: campaign.id,
          parameters: c.parameters,
          reason: c.reason,
          ...(c.priority === undefined ? {} : { priority: c.priority }),
          state: state === 'running' ? 'queued' : 'awaiting-approval',
          deadline: c.deadline ?? null,
          requestedBy: c.requestedBy,
          requestedFrom: c.requestedFrom ?? null,
        })),
      );
      return structuredClone(campaign);
    },
    async get(id) {
      const c = rows.get(id);
      return c === undefined ? null : structuredClone(c);
    },
    async transition(id, from, to, by, patch = {}) {
      const c = rows.get(id);
      if (c === undefined) throw new CodedError(ErrorKind.notFound, 'TEST_NOT_FOUND', `campaign ${id}`);
      if (c.state !== from || !canTransitionCampaign(from, to))
        throw conflict(`campaign ${id}: ${c.state} -> ${to}`);
      if (patch.approvedBy !== undefined) c.approvedBy = patch.approvedBy;
      c.state = to;
      c.updatedAt = clock.now();
      c.history.push({ state: to, at: c.updatedAt, by, detail: patch.detail ?? null });
      return structuredClone(c);
    },
    async list(q) {
      return structuredClone(page([...rows.values()], q.limit, q.cursor));
    },
  };
}

export function memoryFirmware(clock: FakeClock): FirmwareImageStore {
  const rows = new Map<number, { image: FirmwareImage; bytes: Uint8Array }>();
  let next = 1;
  return {
    async put(image, bytes) {
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      for (const r of rows.values()) if (r.image.sha256 === sha256) return r.image;
      const stored: FirmwareImage = {
        ...image,
        id: next++,
        size: bytes.length,
        sha256,
        uploadedAt: clock.now(),
      };
      rows.set(stored.id, { image: stored, bytes: new Uint8Array(bytes) });
      return stored;
    },
    async get(id) {
      return rows.get(id)?.image ?? null;
    },
    async bytes(id) {
      return rows.get(id)?.bytes ?? null;
    },
    async list(p) {
      return page(
        [...rows.values()].map((r) => r.image),
        p.limit,
        p.cursor,
      );
    },
    async delete(id) {
      rows.delete(id);
    },
  };
}

export interface TestStore {
  store: RunnerStore & {
    commands: ReturnType<typeof memoryCommands>;
    campaigns: ReturnType<typeof memoryCampaigns>;
  };
  sqlite: Store;
  clock: FakeClock;
  close(): Promise<void>;
}

/**
 * Meters, audit, events, channels, readings and counters in a real SQLite store (in a temporary
 * directory); commands, campaigns and images in memory.
 */
export async function testStore(): Promise<TestStore> {
  const clock = new FakeClock();
  const dir = mkdtempSync(join(tmpdir(), 'control-'));
  const sqlite = await openStore({ kind: 'sqlite', path: join(dir, 'hes.db'), durability: 'normal', clock });
  let campaigns: ReturnType<typeof memoryCampaigns> | undefined;
  const commands = memoryCommands(clock, (id) => campaigns?.rows.get(id)?.state ?? null);
  campaigns = memoryCampaigns(clock, () => commands);
  return {
    store: {
      meters: sqlite.meters,
      audit: sqlite.audit,
      events: sqlite.events,
      channels: sqlite.channels,
      readings: sqlite.readings,
      counters: sqlite.counters,
      commands,
      campaigns,
      firmware: memoryFirmware(clock),
    },
    sqlite,
    clock,
    close: () => sqlite.close(),
  };
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
