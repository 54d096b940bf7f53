import type { BusMessage, ChannelDef, Clock, Meter, ReadingInput, Store } from '@openhes/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VeeError, VeeService } from '../src/index.ts';
import { localDay, zoneOffset } from '../src/vee/zone.ts';

const I = 900_000;
const HOUR = 3_600_000;
const ZONE = 'Europe/Berlin';
const energy: ChannelDef = {
  obis: '1-0:1.29.0.255',
  attribute: 2,
  kind: 'interval',
  unit: 'Wh',
  scaler: 0,
  intervalSeconds: 900,
};

/** A load that follows the customer's local clock (Wh per quarter hour). */
function load(end: number): number {
  const local = end - I + zoneOffset(end - I, ZONE);
  const h = (local % 86_400_000) / HOUR;
  return Math.round(400 + 250 * Math.sin(((h - 8) / 24) * 2 * Math.PI));
}

function dayValues(
  channelId: number,
  day: string,
  skip: (i: number) => boolean = () => false,
): ReadingInput[] {
  const d = localDay(day, ZONE);
  const out: ReadingInput[] = [];
  for (let t = d.start + I, i = 0; t <= d.end; t += I, i++) {
    if (!skip(i)) out.push({ channelId, ts: t, value: load(t) });
  }
  return out;
}

function days(from: string, n: number): string[] {
  return Array.from({ length: n }, (_, k) =>
    new Date(Date.parse(`${from}T00:00:00Z`) + k * 86_400_000).toISOString().slice(0, 10),
  );
}

/** Opens a fresh store with the given clock; `close` closes it and removes what it made. */
export type OpenStore = (clock: Clock) => Promise<{ store: Store; close(): Promise<void> }>;

/** The VEE service end to end on one engine. */
export function veeServiceSuite(engine: string, open: OpenStore): void {
  describe(`VEE service on a store (${engine})`, () => {
    let opened: Awaited<ReturnType<OpenStore>>;
    let store: Store;
    let now = Date.UTC(2026, 3, 5, 10);
    let vee: VeeService;
    let meter: Meter;
    let channelId: number;
    const slot = (day: string, i: number) => localDay(day, ZONE).start + (i + 1) * I;

    beforeAll(async () => {
      opened = await open({ now: () => now });
      store = opened.store;
      vee = new VeeService({
        store,
        clock: { now: () => now },
        groups: [
          {
            id: 'res',
            match: { customerClasses: ['residential'] },
            timeZone: ZONE,
            channels: ['1-0:1.29.0.255'],
          },
        ],
      });
      meter = await store.meters.create({
        serial: `VEE-${process.pid}`,
        manufacturer: 'ACME',
        model: 'AM550',
        deviceProfile: 'is15959-1ph',
        protocol: 'dlms-tcp',
        address: '127.0.0.1:4059',
        customerClass: 'residential',
      });
      channelId = (await store.channels.ensure(meter.id, energy)).id;
      // March 2026 with the short DST day (29th); gaps on Monday the 30th; a zero run on the 25th.
      for (const day of days('2026-03-02', 30)) {
        const skip =
          day === '2026-03-30' ? (i: number) => (i >= 30 && i < 33) || (i >= 60 && i < 72) : () => false;
        const readings = dayValues(channelId, day, skip).map((r, i) =>
          day === '2026-03-25' && i >= 8 && i < 16 ? { ...r, value: 0 } : r,
        );
        await store.readings.ingest({ id: `read:${day}`, readings });
      }
    });

    afterAll(async () => {
      await opened.close();
    });

    it('finds every gap, estimates it as a new version, leaves raw data alone, counts DST days right', async () => {
      const report = await vee.run({
        from: Date.UTC(2026, 2, 2),
        to: Date.UTC(2026, 2, 31, 12),
        meterIds: [meter.id],
      });
      expect(report).toMatchObject({ meters: 1, channels: 1, gaps: 15, estimated: 15, lateReal: 0 });
      expect(report.byRule).toMatchObject({ missing: 2, 'zero-run': 1 });
      // The short gap (45 min) by interpolation, the 3-hour one from the 3 previous Mondays.
      const short = await store.readings.history(channelId, slot('2026-03-30', 31));
      expect(short).toHaveLength(1);
      expect(short[0]).toMatchObject({ version: 1, quality: 2, source: 'estimate' });
      expect(short[0]!.reasons).toEqual(['vee:est:cubic', 'q:3.8.0']);
      const long = await store.readings.history(channelId, slot('2026-03-30', 65));
      expect(long[0]!.reasons).toEqual(['vee:est:like-day', 'q:3.8.0']);
      // The load repeats daily: a like-day estimate is the truth.
      expect(long[0]!.value).toBeCloseTo(load(slot('2026-03-30', 65)), 6);
      // A zero of the run is raw and stays the only version.
      const zero = await store.readings.history(channelId, slot('2026-03-25', 10));
      expect(zero.map((r) => [r.version, r.value, r.quality])).toEqual([[1, 0, 0]]);
      const open = await vee.exceptions({ meterId: meter.id, status: 'open' });
      expect(open.items.map((e) => [e.rule, e.day, e.qualityCode])).toEqual([
        ['missing', '2026-03-30', '3.5.259'],
        ['missing', '2026-03-30', '3.5.259'],
        ['zero-run', '2026-03-25', '3.6.1'],
      ]);
      const summary = await vee.summary({ meterId: meter.id, fromDay: '2026-03-28', toDay: '2026-03-31' });
      expect(
        summary.items.map((s) => [
          s.day,
          s.expected,
          s.actual,
          s.estimated,
          s.missing,
          s.suspect,
          s.validated,
        ]),
      ).toEqual([
        ['2026-03-28', 96, 96, 0, 0, 0, 96],
        ['2026-03-29', 92, 92, 0, 0, 0, 92],
        ['2026-03-30', 96, 81, 15, 0, 0, 96],
      ]);
      expect(summary.items[1]!.dayEnd - summary.items[1]!.dayStart).toBe(23 * HOUR);
    });

    it('series: raw shows the gaps, validated shows the estimates and findings with quality codes', async () => {
      const from = slot('2026-03-30', 29);
      const to = slot('2026-03-30', 34);
      const raw = await vee.series({ channelId, from, to, mode: 'raw' });
      expect(raw.map((p) => [p.gap, p.codes])).toEqual([
        [false, ['1.0.0']],
        [true, ['3.5.259']],
        [true, ['3.5.259']],
        [true, ['3.5.259']],
        [false, ['1.0.0']],
      ]);
      const validated = await vee.series({ channelId, from, to });
      expect(validated.map((p) => [p.estimated, p.method, p.codes[0], p.rules])).toEqual([
        [false, null, '3.0.1', []],
        [true, 'cubic', '3.8.0', ['missing']],
        [true, 'cubic', '3.8.0', ['missing']],
        [true, 'cubic', '3.8.0', ['missing']],
        [false, null, '3.0.1', []],
      ]);
      const zero = await vee.series({ channelId, from: slot('2026-03-25', 9), to: slot('2026-03-25', 10) });
      expect(zero[0]!.codes).toEqual(['1.0.0', '3.6.1']);
      await expect(vee.series({ channelId, from: 0, to: 365 * 86_400_000 })).rejects.toMatchObject({
        code: 'VEE_INVALID',
        detail: { field: 'to' },
      });
    });

    it('late real data replaces an estimate: read (supersede) and push (kept aside, made current by VEE)', async () => {
      const a = slot('2026-03-30', 30);
      const b = slot('2026-03-30', 31);
      await store.readings.ingest({ id: 'late-read', readings: [{ channelId, ts: a, value: 777 }] });
      const pushed = await store.readings.ingest({
        id: 'late-push',
        readings: [{ channelId, ts: b, value: 778, source: 'push' }],
        onDifferent: 'keep-current',
      });
      expect(pushed.conflicts).toBe(1);
      const r = await vee.runAfterIngest({
        meterId: meter.id,
        batchId: 'late-push',
        channels: 1,
        readings: 1,
        from: b,
        to: b,
      });
      expect(r?.lateReal).toBe(1);
      const ha = await store.readings.history(channelId, a);
      expect(ha.at(-1)).toMatchObject({ value: 777, quality: 0, source: 'scheduled' });
      const hb = (await store.readings.history(channelId, b)).filter((x) => x.version >= 1);
      expect(hb.map((x) => [x.version, x.value, x.quality, x.reasons])).toEqual([
        [1, hb[0]!.value, 2, ['vee:est:cubic', 'q:3.8.0']],
        [2, 778, 0, ['vee:late-real']],
      ]);
      // The 3-hour gap's finding is kept; the short gap, now one interval, is a new finding.
      const missing = (await vee.exceptions({ channelId, rule: 'missing', status: 'open' })).items;
      expect(
        missing.map((e) => [(e.from - slot('2026-03-30', 0)) / I, (e.to - slot('2026-03-30', 0)) / I]),
      ).toEqual([
        [60, 71],
        [32, 32],
      ]);
      // VEE's own batches do not trigger a run.
      expect(
        await vee.runAfterIngest({
          meterId: meter.id,
          batchId: 'vee:est:x',
          channels: 1,
          readings: 1,
          from: a,
          to: a,
        }),
      ).toBeNull();
    });

    it('edits: reason required, a new version, recorded and audited; final values refused', async () => {
      const t = slot('2026-03-25', 12);
      await expect(vee.edit({ channelId, ts: t, value: 300, reason: ' ' }, 'alice')).rejects.toMatchObject({
        code: 'VEE_INVALID',
        kind: 'invalid',
        detail: { field: 'reason' },
      });
      await expect(
        vee.edit({ channelId, ts: t + 1, value: 300, reason: 'x' }, 'alice'),
      ).rejects.toBeInstanceOf(VeeError);
      const { edit, reading } = await vee.edit(
        { channelId, ts: t, value: 300, reason: 'meter bypassed, site visit' },
        'alice',
      );
      expect(edit).toMatchObject({
        oldValue: 0,
        newValue: 300,
        version: 2,
        actor: 'alice',
        reason: 'meter bypassed, site visit',
      });
      expect(reading).toMatchObject({ version: 2, value: 300, quality: 4 });
      expect((await store.readings.history(channelId, t))[0]).toMatchObject({
        version: 1,
        value: 0,
        quality: 0,
      });
      expect(await vee.edits(channelId, t, t + 1)).toEqual([edit]);
      const audit = await store.audit.list({ limit: 100 });
      expect(audit.items.find((x) => x.action === 'vee.edit')).toMatchObject({
        actor: 'alice',
        outcome: 'succeeded',
      });
      // The zero run is now split by the edit: two shorter runs, neither long enough.
      expect((await vee.exceptions({ channelId, rule: 'zero-run', status: 'open' })).items).toEqual([]);
      const [ser] = await vee.series({ channelId, from: t, to: t + 1 });
      expect(ser).toMatchObject({ edited: true, codes: ['3.7.0'] });
      // Billed: the month is final; edits are refused and audited as denied.
      const locks = await vee.lockFinal(
        { meterId: meter.id, from: Date.UTC(2026, 2, 1), to: Date.UTC(2026, 3, 1), label: 'bill 2026-03' },
        'billing',
      );
      expect(locks).toHaveLength(1);
      await expect(
        vee.edit({ channelId, ts: t, value: 301, reason: 'again' }, 'alice'),
      ).rejects.toMatchObject({
        code: 'VEE_FINAL_LOCKED',
        kind: 'conflict',
      });
      const denied = (await store.audit.list({ limit: 100 })).items.filter(
        (x) => x.action === 'vee.edit' && x.outcome === 'denied',
      );
      expect(denied).toHaveLength(1);
    });

    it('resolves exceptions (audited), and a resolved finding keeps its resolution on the next run', async () => {
      const [gap] = (await vee.exceptions({ channelId, rule: 'missing', status: 'open' })).items;
      const done = await vee.resolve(gap!.id, 'estimated', 'bob', 'checked against the neighbours');
      expect(done).toMatchObject({ status: 'resolved', resolution: 'estimated', resolvedBy: 'bob' });
      await expect(vee.resolve(gap!.id, 'accepted', 'bob')).rejects.toMatchObject({ kind: 'conflict' });
      await vee.run({ from: Date.UTC(2026, 2, 29), to: Date.UTC(2026, 2, 30, 12), meterIds: [meter.id] });
      expect(await vee.exception(gap!.id)).toMatchObject({ status: 'resolved' });
    });

    it('runs after each ingest from the bus; timeliness by day 1, day 2 and the final deadline', async () => {
      const handlers: ((m: BusMessage) => Promise<void> | void)[] = [];
      const bus = {
        publish: async () => {},
        subscribe: async (_: string, h: (m: BusMessage) => Promise<void> | void) => {
          handlers.push(h);
          return { unsubscribe: async () => {} };
        },
      };
      await vee.subscribe(bus);
      // April 4 arrives on the 5th with a gap of 2 intervals: day 1 counts it as validated.
      const readings = dayValues(channelId, '2026-04-04', (i) => i === 50 || i === 51);
      await store.readings.ingest({ id: 'read:2026-04-04', readings });
      await handlers[0]!({
        id: 'm1',
        type: 'readings.stored',
        key: `meter:${meter.id}`,
        at: now,
        payload: {
          meterId: meter.id,
          batchId: 'read:2026-04-04',
          channels: 1,
          readings: 94,
          from: readings[0]!.ts,
          to: readings.at(-1)!.ts,
        },
      });
      const [day] = (await vee.summary({ channelId, fromDay: '2026-04-04', toDay: '2026-04-05' })).items;
      expect(day).toMatchObject({
        expected: 96,
        actual: 94,
        estimated: 2,
        validated: 96,
        validatedByDay1: 96,
        validatedByFinal: 96,
      });
      const t = await vee.timeliness({ fromDay: '2026-04-04', toDay: '2026-04-05' });
      expect(t.map((x) => [x.groupId, x.shareByDay1, x.shareByDay2, x.shareByFinal])).toEqual([
        ['res', 1, 1, 1],
        [null, 1, 1, 1],
      ]);
      // March was first run on April 5th: past every deadline but the final one of the 31st (5 days).
      const march = await vee.timeliness({ fromDay: '2026-03-02', toDay: '2026-04-01', groupId: 'res' });
      expect(march[0]).toMatchObject({
        days: 30,
        expected: 30 * 96 - 4,
        validatedByDay1: 0,
        validatedByDay2: 0,
        validatedByFinal: 96,
      });
    });

    it('a 25-hour day holds 100 intervals; one missing is one gap', async () => {
      now = Date.UTC(2026, 9, 30);
      const readings = dayValues(channelId, '2026-10-25', (i) => i === 99);
      expect(readings).toHaveLength(99);
      await store.readings.ingest({ id: 'read:2026-10-25', readings });
      const r = await vee.run({
        from: Date.UTC(2026, 9, 25, 12),
        to: Date.UTC(2026, 9, 25, 13),
        meterIds: [meter.id],
      });
      expect(r).toMatchObject({ slots: 100, values: 99, gaps: 1 });
      const [day] = (await vee.summary({ channelId, fromDay: '2026-10-25', toDay: '2026-10-26' })).items;
      expect(day).toMatchObject({ expected: 100, actual: 99, missing: 1 });
    });
  });
}
