import { CONFLICT_REASON, QualityFlag, type Store } from '@openhes/core';
import { expect, it } from 'vitest';
import { addMeter, DAY, dayOf, energy, MIN15, T0 } from './helpers.ts';

/**
 * The `keep-current` rule (pushes): a value differing from the stored one at its instant is kept
 * as a flagged conflict and never becomes current, on every engine.
 */
export function conflictContract(s: () => Store): void {
  async function readDay() {
    const meter = await addMeter(s());
    const e = await s().channels.ensure(meter.id, energy);
    await s().readings.ingest({ id: 'read', readings: dayOf(e.id, 0, 100) });
    return { meter, e };
  }
  const at = T0 + 10 * MIN15;
  const stored = 100 + 9;

  it('keep-current: a differing value is kept as a flagged conflict, the stored one stays current', async () => {
    const { meter, e } = await readDay();
    const before = await s().readings.aggregate({
      channelId: e.id,
      from: T0,
      to: T0 + DAY,
      bucket: 'day',
      fn: 'sum',
    });
    const forged = 1e9;
    const res = await s().readings.ingest({
      id: 'push-1',
      readings: [
        {
          channelId: e.id,
          ts: at,
          value: forged,
          source: 'push',
          quality: QualityFlag.suspect,
          reasons: ['x'],
        },
        { channelId: e.id, ts: at + MIN15, value: stored + 1, source: 'push' },
        { channelId: e.id, ts: T0 + DAY + MIN15, value: 5, source: 'push' },
      ],
      onDifferent: 'keep-current',
    });
    expect(res).toMatchObject({ inserted: 1, versioned: 0, unchanged: 1, conflicts: 1 });

    const current = await s().readings.series({ channelId: e.id, from: at, to: at + 1 });
    expect(current.items.map((r) => [r.value, r.version, r.quality])).toEqual([[stored, 1, 0]]);
    const history = await s().readings.history(e.id, at);
    expect(history.map((r) => r.value)).toEqual([forged, stored]);
    const conflict = history[0]!;
    expect(conflict.version).toBeLessThanOrEqual(0);
    expect(conflict.quality & QualityFlag.conflict).toBe(QualityFlag.conflict);
    expect(conflict.quality & QualityFlag.suspect).toBe(QualityFlag.suspect);
    expect(conflict.reasons).toEqual(['x', CONFLICT_REASON]);
    expect(conflict.source).toBe('push');
    const all = await s().readings.series({ channelId: e.id, from: at, to: at + 1, versions: 'all' });
    expect(all.items.map((r) => r.value)).toEqual([forged, stored]);
    expect(
      await s().readings.aggregate({ channelId: e.id, from: T0, to: T0 + DAY, bucket: 'day', fn: 'sum' }),
    ).toEqual(before);
    expect(
      await s().readings.aggregate({ channelId: e.id, from: T0, to: T0 + DAY, bucket: 'hour', fn: 'max' }),
    ).not.toContainEqual(expect.objectContaining({ value: forged }));
    const latest = await s().readings.latestForMeter(meter.id);
    expect(latest.map((r) => r.value)).toEqual([5]);

    // The same conflicting value again is unchanged; another one is a second conflict.
    const again = await s().readings.ingest({
      readings: [
        { channelId: e.id, ts: at, value: forged, source: 'push' },
        { channelId: e.id, ts: at, value: stored, source: 'push' },
      ],
      onDifferent: 'keep-current',
    });
    expect(again).toMatchObject({ inserted: 0, unchanged: 2, conflicts: 0 });
    const second = await s().readings.ingest({
      readings: [{ channelId: e.id, ts: at, value: 7, source: 'push' }],
      onDifferent: 'keep-current',
    });
    expect(second).toMatchObject({ conflicts: 1 });
    const h2 = await s().readings.history(e.id, at);
    expect(h2.map((r) => [r.value, r.version])).toEqual([
      [7, conflict.version - 1],
      [forged, conflict.version],
      [stored, 1],
    ]);
    expect((await s().readings.series({ channelId: e.id, from: at, to: at + 1 })).items[0]!.value).toBe(
      stored,
    );
  });

  it('supersede (the default) still makes a differing read current, above any conflict', async () => {
    const { e } = await readDay();
    await s().readings.ingest({
      readings: [{ channelId: e.id, ts: at, value: 1e9, source: 'push' }],
      onDifferent: 'keep-current',
    });
    const res = await s().readings.ingest({ readings: [{ channelId: e.id, ts: at, value: 111 }] });
    expect(res).toMatchObject({ versioned: 1, conflicts: 0 });
    const h = await s().readings.history(e.id, at);
    expect(h.map((r) => [r.value, r.version])).toEqual([
      [1e9, 0],
      [stored, 1],
      [111, 2],
    ]);
    expect((await s().readings.series({ channelId: e.id, from: at, to: at + 1 })).items[0]!.value).toBe(111);
  });
}
