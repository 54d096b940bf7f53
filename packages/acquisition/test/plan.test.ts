import { describe, expect, it } from 'vitest';
import { nextRuns, parsePlans, selects, spreadOffsetMs } from '../src/index.ts';

describe('reading plans', () => {
  it('parses plans and refuses bad cron, unknown reads and a missing list', () => {
    const [p] = parsePlans({
      plans: [{ name: 'b', cron: '*/15 * * * *', reads: ['block'], windowSeconds: 600 }],
    });
    expect(p).toMatchObject({ name: 'b', meters: 'all', windowSeconds: 600 });
    expect(() => parsePlans({ plans: [{ name: 'x', cron: 'not cron', reads: ['block'] }] })).toThrow(
      expect.objectContaining({ code: 'ACQ_INVALID_PLAN' }),
    );
    expect(() => parsePlans({ plans: [{ name: 'x', cron: '* * * * *', reads: ['coffee'] }] })).toThrow(
      expect.objectContaining({ code: 'ACQ_INVALID_PLAN' }),
    );
    expect(() => parsePlans({})).toThrow(expect.objectContaining({ code: 'ACQ_INVALID_PLAN' }));
  });

  it('computes the next runs in UTC', () => {
    const [p] = parsePlans({ plans: [{ name: 'b', cron: '*/15 * * * *', reads: ['block'] }] });
    const runs = nextRuns(p!, new Date(Date.UTC(2026, 0, 1, 0, 7)), 3).map((d) => d.toISOString());
    expect(runs).toEqual([
      '2026-01-01T00:15:00.000Z',
      '2026-01-01T00:30:00.000Z',
      '2026-01-01T00:45:00.000Z',
    ]);
  });

  it('spreads meters over the window, stably and roughly evenly', () => {
    const window = 600;
    const offsets = Array.from({ length: 6000 }, (_, i) => spreadOffsetMs('block', i + 1, window));
    expect(offsets.every((o) => o >= 0 && o < window * 1000)).toBe(true);
    expect(spreadOffsetMs('block', 42, window)).toBe(offsets[41]);
    const buckets = new Array(10).fill(0);
    for (const o of offsets) buckets[Math.floor(o / 60_000)]++;
    for (const b of buckets) expect(b).toBeGreaterThan(450);
    expect(spreadOffsetMs('block', 1, 0)).toBe(0);
  });

  it('selects meters by profile and id', () => {
    const m = { id: 3, deviceProfile: 'is15959-1ph' };
    expect(selects('all', m)).toBe(true);
    expect(selects({ profiles: ['is15959-ct'] }, m)).toBe(false);
    expect(selects({ ids: [3], profiles: ['is15959-1ph'] }, m)).toBe(true);
  });
});
