import type { Store, VeeChannelRunWrite } from '@openhes/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMeter, DAY, energy, failure, type Harness, MIN15, T0 } from './helpers.ts';

const register = { ...energy, obis: '1-0:1.8.0.255', kind: 'register' as const, intervalSeconds: null };

function day(channelId: number, meterId: number, n: number, validated: number) {
  const start = T0 + n * DAY;
  return {
    meterId,
    channelId,
    groupId: 'residential',
    day: new Date(start).toISOString().slice(0, 10),
    dayStart: start,
    dayEnd: start + DAY,
    expected: 96,
    actual: validated,
    estimated: 0,
    edited: 0,
    missing: 96 - validated,
    suspect: 0,
    exceptions: 0,
    validated,
  };
}

/** The VEE store: exceptions kept or cleared per run, resolution, day summaries, timeliness, edits, final marks. */
export function veeContract(name: string, harness: () => Harness): void {
  describe(`${name}: VEE store contract`, () => {
    let h: Harness;
    let store: Store;
    beforeEach(async () => {
      h = harness();
      store = await h.open();
    });
    afterEach(async () => {
      await store.close();
      await h.cleanup();
    });

    async function channel() {
      const meter = await addMeter(store);
      const [c, r] = await store.channels.ensureMany(meter.id, [energy, register]);
      return { meterId: meter.id, channelId: c!.id, registerId: r!.id };
    }

    function run(
      channelId: number,
      meterId: number,
      rules: [string, number][],
      extra: Partial<VeeChannelRunWrite> = {},
    ) {
      return {
        channelId,
        from: T0,
        to: T0 + DAY,
        finalDays: 5,
        exceptions: rules.map(([rule, slot]) => ({
          meterId,
          channelId,
          rule: rule as never,
          from: T0 + slot * MIN15,
          to: T0 + (slot + 1) * MIN15,
          day: '2025-01-01',
          groupId: 'residential',
          qualityCode: '3.6.0',
          detail: { slot },
        })),
        days: [],
        ...extra,
      } satisfies VeeChannelRunWrite;
    }

    it('keeps findings that still fire, clears open ones that no longer do, keeps resolutions', async () => {
      const { meterId, channelId } = await channel();
      expect(
        await store.vee.saveRun(
          run(channelId, meterId, [
            ['spike', 4],
            ['zero-run', 10],
            ['missing', 20],
          ]),
        ),
      ).toEqual({
        opened: 3,
        kept: 0,
        cleared: 0,
      });
      const page = await store.vee.exceptions({ channelId });
      expect(page.items.map((e) => [e.rule, e.status, e.detail])).toEqual([
        ['spike', 'open', { slot: 4 }],
        ['zero-run', 'open', { slot: 10 }],
        ['missing', 'open', { slot: 20 }],
      ]);
      const spike = page.items[0]!;
      const resolved = await store.vee.resolve(spike.id, 'accepted', 'alice', 'kettle');
      expect(resolved).toMatchObject({
        status: 'resolved',
        resolution: 'accepted',
        resolvedBy: 'alice',
        note: 'kettle',
      });
      expect((await failure(store.vee.resolve(spike.id, 'dismissed', 'bob'))).code).toBe('STORAGE_CONFLICT');
      // The second run: the spike still fires (kept, resolution kept), the zero run is gone, a new finding.
      expect(
        await store.vee.saveRun(
          run(channelId, meterId, [
            ['spike', 4],
            ['flat-line', 30],
            ['missing', 20],
          ]),
        ),
      ).toEqual({
        opened: 1,
        kept: 2,
        cleared: 1,
      });
      const after = (await store.vee.exceptions({ channelId })).items;
      expect(after.map((e) => [e.rule, e.status])).toEqual([
        ['spike', 'resolved'],
        ['missing', 'open'],
        ['flat-line', 'open'],
      ]);
      // A run of another range leaves these alone.
      await store.vee.saveRun(run(channelId, meterId, [], { from: T0 + DAY, to: T0 + 2 * DAY }));
      expect((await store.vee.exceptions({ channelId })).items).toHaveLength(3);
      expect((await store.vee.exceptions({ channelId, status: 'open' })).items).toHaveLength(2);
      expect((await store.vee.exceptions({ meterId, rule: 'missing' })).items).toHaveLength(1);
      expect(await store.vee.exception(spike.id)).toMatchObject({ id: spike.id, status: 'resolved' });
      expect(await store.vee.exception(999_999)).toBeNull();
      expect((await failure(store.vee.resolve(999_999, 'accepted', 'x'))).code).toBe('STORAGE_NOT_FOUND');
    });

    it('pages exceptions by cursor without loss or repeat', async () => {
      const { meterId, channelId } = await channel();
      await store.vee.saveRun(
        run(
          channelId,
          meterId,
          Array.from({ length: 25 }, (_, i) => ['spike', i] as [string, number]),
        ),
      );
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const page = await store.vee.exceptions({ channelId, limit: 7, cursor });
        seen.push(...page.items.map((e) => e.detail!.slot as number));
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i));
    });

    it('refuses bad input by field', async () => {
      const { meterId, channelId } = await channel();
      const bad = run(channelId, meterId, [['no-such-rule', 1]]);
      expect((await failure(store.vee.saveRun(bad))).code).toBe('STORAGE_INVALID_INPUT');
      const other = run(channelId + 1000, meterId, []);
      expect((await failure(store.vee.saveRun(other))).code).toBe('STORAGE_NOT_FOUND');
      expect((await failure(store.vee.days({ fromDay: '2025-1-1', toDay: '2025-01-02' }))).code).toBe(
        'STORAGE_INVALID_INPUT',
      );
      expect(
        (
          await failure(
            store.vee.addEdit({
              meterId,
              channelId,
              ts: T0,
              oldValue: 1,
              newValue: 2,
              version: 2,
              reason: '',
              actor: 'a',
            }),
          )
        ).code,
      ).toBe('STORAGE_INVALID_INPUT');
    });

    it('day summaries: replaced per run; timeliness counters only rise before each deadline', async () => {
      const { meterId, channelId } = await channel();
      const other = await channel();
      // The store's clock is the real one; the days are in 2025, long past every deadline, so a
      // run now counts for none of them: only the current `validated` changes.
      await store.vee.saveRun({ ...run(channelId, meterId, []), days: [day(channelId, meterId, 0, 90)] });
      await store.vee.saveRun({ ...run(channelId, meterId, []), days: [day(channelId, meterId, 0, 96)] });
      const page = await store.vee.days({ fromDay: '2025-01-01', toDay: '2025-01-02', channelId });
      expect(page.items).toHaveLength(1);
      expect(page.items[0]).toMatchObject({
        validated: 96,
        missing: 0,
        validatedByDay1: 0,
        validatedByFinal: 0,
        groupId: 'residential',
      });
      // Days of today: every deadline is ahead, so a run counts for all three.
      const today = Math.floor(Date.now() / DAY) * DAY;
      const n = (today - T0) / DAY;
      await store.vee.saveRun({
        ...run(other.channelId, other.meterId, [], { from: today, to: today + DAY }),
        days: [day(other.channelId, other.meterId, n, 48)],
      });
      await store.vee.saveRun({
        ...run(other.channelId, other.meterId, [], { from: today, to: today + DAY }),
        days: [day(other.channelId, other.meterId, n, 40)],
      });
      const d = new Date(today).toISOString().slice(0, 10);
      const [row] = (await store.vee.days({ fromDay: d, toDay: '2099-01-01' })).items;
      expect(row).toMatchObject({
        validated: 40,
        validatedByDay1: 48,
        validatedByDay2: 48,
        validatedByFinal: 48,
      });
      const t = await store.vee.timeliness({ fromDay: '2025-01-01', toDay: '2099-01-01' });
      expect(t).toHaveLength(2);
      expect(t[0]).toMatchObject({
        groupId: 'residential',
        expected: 192,
        validatedByDay1: 48,
        shareByDay1: 0.25,
      });
      expect(t[1]).toMatchObject({ groupId: null, expected: 192, channels: 2, days: 2 });
      const g = await store.vee.timeliness({ fromDay: '2030-01-01', toDay: '2030-02-01', groupId: 'x' });
      expect(g[0]).toMatchObject({ groupId: 'x', expected: 0, shareByDay1: null });
      // Day pages walk in (day, channel) order.
      const all = [];
      let cursor: string | null = null;
      do {
        const p = await store.vee.days({ fromDay: '2025-01-01', toDay: '2099-01-01', limit: 1, cursor });
        all.push(...p.items);
        cursor = p.nextCursor;
      } while (cursor !== null);
      expect(all.map((x) => x.channelId)).toEqual([channelId, other.channelId]);
    });

    it('edits and final marks', async () => {
      const { meterId, channelId } = await channel();
      const e = await store.vee.addEdit({
        meterId,
        channelId,
        ts: T0 + MIN15,
        oldValue: null,
        newValue: 12.5,
        version: 1,
        reason: 'site visit',
        actor: 'alice',
      });
      expect(e).toMatchObject({
        meterId,
        channelId,
        ts: T0 + MIN15,
        oldValue: null,
        newValue: 12.5,
        reason: 'site visit',
      });
      expect(await store.vee.edits(channelId, T0, T0 + DAY)).toEqual([e]);
      expect(await store.vee.edits(channelId, T0 + DAY, T0 + 2 * DAY)).toEqual([]);
      const lock = await store.vee.lock({
        channelId,
        from: T0,
        to: T0 + DAY,
        label: 'bill 2025-01',
        lockedBy: 'billing',
      });
      expect(lock).toMatchObject({ channelId, from: T0, to: T0 + DAY, label: 'bill 2025-01' });
      expect(await store.vee.locks(channelId, T0 + DAY, T0 + DAY)).toHaveLength(1);
      expect(await store.vee.locks(channelId, T0 + DAY + 1, T0 + 2 * DAY)).toHaveLength(0);
    });
  });
}
