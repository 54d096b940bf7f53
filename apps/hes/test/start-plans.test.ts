import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AcquisitionErrorCode } from '@openhes/acquisition';
import { filePlanStore, type ReadingPlan } from '@openhes/api';
import { afterAll, describe, expect, it } from 'vitest';
import { schedulablePlans } from '../src/start/plans.ts';

const stored = (over: Partial<ReadingPlan>): ReadingPlan => ({
  id: 1,
  name: 'p',
  cron: '*/15 * * * *',
  reads: ['block'],
  meters: 'all',
  windowSeconds: 600,
  enabled: true,
  createdAt: 0,
  updatedAt: 0,
  ...over,
});

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the API plans are the scheduler plans', () => {
  it('schedules enabled plans with their fields unchanged, named uniquely by id', () => {
    const plans = schedulablePlans([
      stored({ id: 1, name: 'a', meters: { profiles: ['is15959-1ph'] }, reads: ['block', 'events'] }),
      stored({ id: 2, name: 'a', enabled: false }),
      stored({ id: 3, name: 'a', cron: '0 0 * * *', meters: { ids: [4, 5] }, windowSeconds: 0 }),
    ]);
    expect(plans).toEqual([
      {
        name: 'a#1',
        cron: '*/15 * * * *',
        reads: ['block', 'events'],
        meters: { profiles: ['is15959-1ph'] },
        windowSeconds: 600,
      },
      { name: 'a#3', cron: '0 0 * * *', reads: ['block'], meters: { ids: [4, 5] }, windowSeconds: 0 },
    ]);
  });

  it('leaves out a plan whose cron the scheduler refuses, and reports it with its code', () => {
    const refused: unknown[] = [];
    const plans = schedulablePlans([stored({ id: 1, cron: '99 99 * * *' }), stored({ id: 2 })], (e) =>
      refused.push(e),
    );
    expect(plans.map((p) => p.name)).toEqual(['p#2']);
    expect(refused.map((e) => (e as { code: string }).code)).toEqual([AcquisitionErrorCode.InvalidPlan]);
  });

  it('reports every change of the plan file, and reads plans written in the older shape', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hes-plans-'));
    dirs.push(dir);
    const path = join(dir, 'plans.json');
    writeFileSync(
      path,
      JSON.stringify({
        nextId: 2,
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
        ],
      }),
    );
    const seen: string[][] = [];
    const plans = filePlanStore(
      path,
      { now: () => 1 },
      { onChange: (all) => seen.push(all.map((p) => p.name)) },
    );
    expect(schedulablePlans(await plans.list())).toEqual([
      { name: 'old#1', cron: '0 * * * *', reads: ['registers'], meters: { ids: [7] }, windowSeconds: 0 },
    ]);
    const created = await plans.create({
      name: 'new',
      cron: '* * * * *',
      reads: ['events'],
      meters: 'all',
      windowSeconds: 5,
      enabled: true,
    });
    await plans.replace(1, { ...created, name: 'old', enabled: false });
    await plans.delete(created.id);
    expect(seen).toEqual([['old', 'new'], ['old', 'new'], ['old']]);
    const onDisk = JSON.parse(readFileSync(path, 'utf8')) as { plans: Record<string, unknown>[] };
    expect(onDisk.plans[0]).toMatchObject({ cron: '* * * * *', enabled: false });
    expect(onDisk.plans[0]).not.toHaveProperty('schedule');
  });
});
