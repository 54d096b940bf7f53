import type { Meter, MeterQuery, Page, ReadingPlan } from '@openhes/core';
import { describe, expect, it } from 'vitest';
import {
  AcquisitionErrorCode,
  type CollectTask,
  schedulablePlans,
  startPlanRunner,
  type TaskResult,
} from '../src/index.ts';

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

describe('the stored plans are the scheduler plans', () => {
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
});

function meter(id: number, status: Meter['status'], deviceProfile = 'x'): Meter {
  return { id, status, deviceProfile } as Meter;
}

describe('the plan runner', () => {
  const fleet = [meter(1, 'active'), meter(2, 'registered'), meter(3, 'active', 'y'), meter(4, 'active')];
  const meters = {
    async list(q: MeterQuery): Promise<Page<Meter>> {
      return {
        items: fleet.filter((m) => q.status === undefined || m.status === q.status),
        nextCursor: null,
      };
    },
  };

  it('runs a plan once over the active meters it selects, at most maxOutstanding at a time, and resolves when done', async () => {
    const tasks: CollectTask[] = [];
    let running = 0;
    let most = 0;
    const runner = startPlanRunner(
      {
        meters,
        async submit(task) {
          tasks.push(task);
          most = Math.max(most, ++running);
          await new Promise((r) => setTimeout(r, 5));
          running--;
          return { task, status: 'success' } as TaskResult;
        },
      },
      { maxOutstanding: 1 },
    );
    const results = await runner.runNow(stored({ id: 7, name: 'b', meters: { profiles: ['x'] } }), {
      spread: false,
    });
    expect(results.map((r) => r.task.meterId)).toEqual([1, 4]);
    expect(tasks.map((t) => t.id)).toEqual([
      expect.stringMatching(/^b#7@.*#1$/),
      expect.stringMatching(/^b#7@.*#4$/),
    ]);
    expect(most).toBe(1);
    runner.stop();
  });

  it('skips a meter whose task of the same plan has not finished, and drops waiting tasks on stop', async () => {
    const release: (() => void)[] = [];
    const runner = startPlanRunner(
      {
        meters,
        submit: (task) =>
          new Promise<TaskResult>((done) =>
            release.push(() => done({ task, status: 'success' } as TaskResult)),
          ),
      },
      { maxOutstanding: 2 },
    );
    const plan = stored({ windowSeconds: 0 });
    const first = runner.runNow(plan);
    await new Promise((r) => setTimeout(r, 5));
    const second = runner.runNow(plan);
    expect(await second).toEqual([]);
    expect(runner.overlapped).toBe(3);
    expect(runner.waiting).toBe(1);
    runner.stop();
    for (const r of release) r();
    expect((await first).map((r) => r.task.meterId)).toEqual([1, 3]);
  });
});
