import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { schedulablePlans } from '@openhes/acquisition';
import { afterAll, describe, expect, it } from 'vitest';
import { type StartOptions, startHeadEnd } from '../src/commands/start.ts';
import type { Io } from '../src/io.ts';
import type { ServiceContext } from '../src/services/context.ts';
import { parseServices, SERVICE_NAMES } from '../src/services/index.ts';
import { DEFAULT_RETENTION, retentionPolicy, runMaintenance } from '../src/services/maintenance.ts';
import { startScheduler } from '../src/services/scheduler.ts';
import { importPlanFile, wire } from '../src/wire.ts';
import { capture, runHes } from './helpers.ts';

const dirs: string[] = [];
const fresh = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'hes-services-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('--services', () => {
  it('takes any subset in any order, all by default, and refuses unknown names and a scheduler without collector', () => {
    expect([...parseServices(undefined)]).toEqual([...SERVICE_NAMES]);
    expect([...parseServices('api')]).toEqual(['api']);
    expect([...parseServices(' push , collector,scheduler ')].sort()).toEqual([
      'collector',
      'push',
      'scheduler',
    ]);
    expect(() => parseServices('api,colector,pusj')).toThrow(
      'unknown services "colector", "pusj" (known: maintenance, collector, push, scheduler, control, api)',
    );
    expect(() => parseServices('')).toThrow('--services needs at least one');
    expect(() => parseServices('scheduler,api')).toThrow('the scheduler needs the collector');
    expect(() => parseServices('control,api')).toThrow('control needs the collector');
  });

  it('hes start refuses an unknown service clearly, before opening anything', async () => {
    const data = fresh();
    const r = await runHes(['start', '--data', data, '--port', '0', '--services', 'api,web']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('unknown service "web"');
  });

  it('runs only the services asked for', async () => {
    const data = fresh();
    const { io, lines } = capture();
    const options: StartOptions = {
      data,
      port: '0',
      host: '127.0.0.1',
      logLevel: 'silent',
      services: 'maintenance',
    };
    const h = await startHeadEnd(options, io, {});
    try {
      expect(h.url).toBe('');
      expect(lines.some((l) => l.startsWith('maintenance: '))).toBe(true);
      expect(lines.some((l) => l.startsWith('OpenHES API listening'))).toBe(false);
      expect(lines.some((l) => l.startsWith('services: maintenance ('))).toBe(true);
    } finally {
      await h.close();
    }
  });
});

describe('maintenance', () => {
  it('applies retention (policy from options, then environment, then defaults) and creates periods ahead', async () => {
    expect(retentionPolicy({}, {})).toEqual(DEFAULT_RETENTION);
    expect(retentionPolicy({ readingsDays: '30' }, { HES_RETENTION_AUDIT_DAYS: '400' })).toEqual({
      ...DEFAULT_RETENTION,
      readingsDays: 30,
      auditDays: 400,
    });
    expect(() => retentionPolicy({ eventsDays: 'forever' }, {})).toThrow('must be a positive number of days');

    const data = fresh();
    const wired = await wire({ data, env: {} });
    try {
      const { store } = wired;
      const m = await store.meters.create({
        serial: 'R1',
        manufacturer: 'M',
        model: 'X',
        deviceProfile: 'p',
        protocol: 'dlms-tcp',
        address: '127.0.0.1:1',
      });
      const ch = await store.channels.ensure(m.id, {
        obis: '1.0.1.8.0.255',
        attribute: 2,
        kind: 'register',
        unit: 'Wh',
        scaler: 0,
        intervalSeconds: null,
      });
      const now = Date.UTC(2026, 5, 15);
      const old = Date.UTC(2024, 0, 10);
      await store.readings.ingest({
        readings: [
          { channelId: ch.id, ts: old, value: 1, source: 'scheduled' },
          { channelId: ch.id, ts: now - 86_400_000, value: 2, source: 'scheduled' },
        ],
        receivedAt: now,
      });
      const { io, lines } = capture();
      const ctx = {
        wired,
        io,
        options: { retention: { ...DEFAULT_RETENTION, readingsDays: 365 } },
        warn: () => {},
      } as unknown as ServiceContext;
      const report = await runMaintenance(ctx, now);
      expect(report.droppedPeriods.length).toBeGreaterThan(0);
      expect(lines[0]).toMatch(
        /^maintenance: retention \(days\) readings 365 .*dropped [1-9]\d* period\(s\)/,
      );
      const left = await store.readings.series({ channelId: ch.id, from: old - 1, to: now });
      expect(left.items.map((r) => r.value)).toEqual([2]);
    } finally {
      await wired.close();
    }
  });
});

describe('plans in the store', () => {
  it('imports an existing plans.json once (older shapes too), leaving plans of a known name alone', async () => {
    const data = fresh();
    const path = join(data, 'plans.json');
    writeFileSync(
      path,
      JSON.stringify({
        nextId: 3,
        plans: [
          {
            id: 1,
            name: 'old',
            schedule: '0 * * * *',
            reads: ['registers'],
            target: { meterIds: [7] },
            enabled: true,
            createdAt: 0,
            updatedAt: 0,
          },
          {
            id: 2,
            name: 'kept',
            cron: '*/5 * * * *',
            reads: ['events'],
            meters: 'all',
            windowSeconds: 5,
            enabled: false,
          },
        ],
      }),
    );
    const wired = await wire({ data, env: {} });
    try {
      await wired.store.plans.create({
        name: 'kept',
        cron: '0 0 * * *',
        reads: ['block'],
        meters: 'all',
        windowSeconds: 0,
        enabled: true,
      });
      expect(await importPlanFile(wired.store, data)).toEqual(['old']);
      const stored = await wired.store.plans.list();
      const old = stored.find((p) => p.name === 'old')!;
      expect(schedulablePlans([old])).toEqual([
        {
          name: `old#${old.id}`,
          cron: '0 * * * *',
          reads: ['registers'],
          meters: { ids: [7] },
          windowSeconds: 0,
        },
      ]);
      expect(stored.find((p) => p.name === 'kept')).toMatchObject({ cron: '0 0 * * *' });
      expect(readFileSync(`${path}.imported`, 'utf8')).toContain('"old"');
      expect(await importPlanFile(wired.store, data)).toEqual([]);
    } finally {
      await wired.close();
    }
  });
});

describe('scheduler', () => {
  it('runs plans only while it holds the leader lock, and reschedules when a plan change is announced', async () => {
    const data = fresh();
    const wired = await wire({ data, env: {} });
    const started: { stop(ms: number): Promise<void> }[] = [];
    try {
      await wired.store.plans.create({
        name: 'q',
        cron: '*/15 * * * *',
        reads: ['block'],
        meters: 'all',
        windowSeconds: 60,
        enabled: true,
      });
      const contextOf = (holder: string, io: Io) =>
        ({
          wired: { ...wired, holder },
          io,
          options: { concurrency: 4 },
          collection: { collector: { submit: async () => ({}) }, record: () => {} },
          plans: () => wired.store.plans.list(),
          warn: () => {},
        }) as unknown as ServiceContext;
      const a = capture();
      const b = capture();
      started.push(await startScheduler(contextOf('a', a.io)));
      started.push(await startScheduler(contextOf('b', b.io)));
      expect(a.lines).toEqual(['scheduled 1 reading plan(s) of 1']);
      expect(b.lines).toEqual(['scheduler: another scheduler leads; standing by']);
      const [plan] = await wired.store.plans.list();
      await wired.store.plans.replace(plan!.id, { ...plan!, enabled: false });
      await wired.bus.publish([
        { id: 'x', type: 'plan.changed', key: `plan:${plan!.id}`, at: 0, payload: {} },
      ]);
      for (let i = 0; i < 100 && a.lines.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(a.lines[1]).toBe('plans changed: scheduled 0 reading plan(s) of 1');
      expect(b.lines).toHaveLength(1);
    } finally {
      for (const s of started) await s.stop(0);
      await wired.close();
    }
  });
});
