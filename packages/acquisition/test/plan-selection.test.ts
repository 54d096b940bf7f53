import {
  cronProblem,
  type Meter,
  type MeterQuery,
  type Page,
  planSelects,
  type ReadingPlan,
} from '@openhes/core';
import { Cron } from 'croner';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CollectTask, startPlanRunner, type TaskResult } from '../src/index.ts';

const plan = (meters: ReadingPlan['meters']): ReadingPlan => ({
  id: 1,
  name: 'p',
  cron: '*/15 * * * *',
  reads: ['block'],
  meters,
  windowSeconds: 0,
  enabled: true,
  createdAt: 0,
  updatedAt: 0,
});

const meter = (id: number, status: Meter['status'], deviceProfile: string) =>
  ({ id, status, deviceProfile }) as Meter;

/** Meter ids the runner submits tasks for in one run of the plan over the fleet. */
async function runFor(fleet: readonly Meter[], meters: ReadingPlan['meters']): Promise<number[]> {
  const submitted: number[] = [];
  const runner = startPlanRunner({
    meters: {
      // Two meters a page, so selection spans pages as in a real fleet.
      async list(q: MeterQuery): Promise<Page<Meter>> {
        const all = fleet.filter((m) => q.status === undefined || m.status === q.status);
        const from = q.cursor ? Number(q.cursor) : 0;
        return {
          items: all.slice(from, from + 2),
          nextCursor: from + 2 < all.length ? String(from + 2) : null,
        };
      },
    },
    async submit(task: CollectTask) {
      submitted.push(task.meterId);
      return { task, status: 'success' } as TaskResult;
    },
  });
  try {
    await runner.runNow(plan(meters), { spread: false });
  } finally {
    runner.stop();
  }
  return submitted.sort((a, b) => a - b);
}

describe('which meters a plan selects', () => {
  const fleet = [
    meter(1, 'active', 'a'),
    meter(2, 'active', 'b'),
    meter(3, 'registered', 'a'),
    meter(4, 'active', 'a'),
    meter(5, 'suspended', 'b'),
    meter(6, 'active', 'c'),
  ];

  it('"all" reads every active meter', async () => {
    expect(await runFor(fleet, 'all')).toEqual([1, 2, 4, 6]);
  });

  it('a list matches any of its values (OR)', async () => {
    expect(await runFor(fleet, { profiles: ['a', 'c'] })).toEqual([1, 4, 6]);
    expect(await runFor(fleet, { ids: [2, 3, 6] })).toEqual([2, 6]);
  });

  it('profiles and ids together combine with AND: an id of another profile is not read', async () => {
    expect(await runFor(fleet, { profiles: ['a'], ids: [1, 2, 4] })).toEqual([1, 4]);
    // The plan the issue describes: every id of another profile, so the plan reads nothing.
    expect(await runFor(fleet, { profiles: ['c'], ids: [1, 2] })).toEqual([]);
  });

  it("core's planSelects (what the API counts) is exactly what the runner reads", async () => {
    const profiles = ['a', 'b', 'c'];
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            status: fc.constantFrom<Meter['status']>('active', 'registered', 'suspended'),
            deviceProfile: fc.constantFrom(...profiles),
          }),
          { maxLength: 12 },
        ),
        fc.oneof(
          fc.constant('all' as const),
          fc.record(
            {
              profiles: fc.uniqueArray(fc.constantFrom(...profiles), { minLength: 1 }),
              ids: fc.uniqueArray(fc.integer({ min: 1, max: 14 }), { minLength: 1 }),
            },
            { requiredKeys: [] },
          ),
        ),
        async (rows, selector) => {
          const f = rows.map((r, i) => meter(i + 1, r.status, r.deviceProfile));
          const counted = f.filter((m) => m.status === 'active' && planSelects(selector, m)).map((m) => m.id);
          expect(await runFor(f, selector)).toEqual(counted);
        },
      ),
      { numRuns: 60 },
    );
  });
});

function cronerAccepts(cron: string): boolean {
  try {
    new Cron(cron, { paused: true, timezone: 'UTC' }).stop();
    return true;
  } catch {
    return false;
  }
}

describe("core's cron check (the API refuses with it) against the scheduler's", () => {
  it('refuses what the issue saw and names the field', () => {
    expect(cronProblem('99 99 * * *')).toBe('field 1 (minute) "99": 99 is outside 0-59');
    expect(cronProblem('0 24 * * *')).toMatch(/^field 2 \(hour\)/);
    expect(cronProblem('0 0 32 * *')).toMatch(/^field 3 \(day of month\)/);
    expect(cronProblem('0 0 * 13 *')).toMatch(/^field 4 \(month\)/);
    expect(cronProblem('0 0 * * 8')).toMatch(/^field 5 \(day of week\)/);
    expect(cronProblem('* * * *')).toMatch(/needs 5 fields/);
    expect(cronProblem('5-1 * * * *')).toMatch(/runs backwards/);
    expect(cronProblem('*/0 * * * *')).toMatch(/at least 1/);
  });

  const accepted = [
    '* * * * *',
    '*/15 * * * *',
    '30 0 * * *',
    '0 0 L * *',
    '0 0 * * 5L',
    '0 0 * * 5#2',
    '0 0 * * SUN#1',
    '0 0 ? * MON-FRI',
    '0 0 * JAN-MAR *',
    '0 0 * jan *',
    '0 0 * * 0-7',
    '1,2,3 * * * *',
    '1-10/3 * * * *',
    '1/5 * * * *',
    '* * * * * *',
    '0 */5 * * * *',
    '0 12 * * 1,3,5',
  ];
  it.each(accepted)('accepts %s as the scheduler does', (cron) => {
    expect(cronProblem(cron)).toBeNull();
    expect(cronerAccepts(cron)).toBe(true);
  });

  const refused = [
    '99 99 * * *',
    '60 * * * *',
    '0 0 0 * *',
    '0 0 * 0 *',
    '0 0 * * 1#6',
    '0 0 * * L',
    '0 0 15W * *',
    ',1 * * * *',
    '1- * * * *',
    'a * * * *',
    '0 0 * * #1',
    '60 * * * * *',
  ];
  it.each(refused)('refuses %s as the scheduler does', (cron) => {
    expect(cronProblem(cron)).not.toBeNull();
    expect(cronerAccepts(cron)).toBe(false);
  });

  it('never lets through an expression the scheduler refuses', () => {
    const item = fc.oneof(
      fc.constantFrom('*', '?', 'L', 'MON', 'jan', 'FRI', '5L', '5#2', '1#6', 'W', '15W', ''),
      fc.integer({ min: 0, max: 70 }).map(String),
      fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 })).map(([a, b]) => `${a}-${b}`),
      fc
        .tuple(fc.constantFrom('*', '0', '3', '1-20'), fc.integer({ min: 0, max: 70 }))
        .map(([b, s]) => `${b}/${s}`),
    );
    const field = fc.array(item, { minLength: 1, maxLength: 3 }).map((xs) => xs.join(','));
    fc.assert(
      fc.property(fc.array(field, { minLength: 5, maxLength: 6 }), (fields) => {
        const cron = fields.join(' ');
        if (cronProblem(cron) === null) expect([cron, cronerAccepts(cron)]).toEqual([cron, true]);
      }),
      { numRuns: 1500 },
    );
  });
});
