import { QualityFlag } from '@openhes/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startApi } from './helpers.ts';

const T0 = Date.UTC(2025, 0, 1);
const DAY = 86_400_000;
const STEP = 900_000;

describe('GET /channels/:id/readings/aggregate says how many values of each point are estimates', () => {
  let h: Harness;
  let viewer: string;
  let channelId: number;

  beforeAll(async () => {
    h = await startApi({});
    viewer = await h.tokenFor('viewer');
    const meter = await h.store.meters.create({
      serial: 'AGG-EST-1',
      manufacturer: 'Acme',
      model: 'E100',
      deviceProfile: 'is15959-1ph',
      protocol: 'dlms-tcp',
      address: '127.1.0.9:4059',
    });
    const ch = await h.store.channels.ensure(meter.id, {
      obis: '1.0.1.29.0.255',
      attribute: 2,
      kind: 'interval',
      unit: 'Wh',
      scaler: 0,
      intervalSeconds: 900,
    });
    channelId = ch.id;
    // Two days of 10 Wh; day 1 has three gaps VEE filled with estimates of 20 Wh.
    const gaps = new Set([5, 6, 7]);
    const readings = Array.from({ length: 192 }, (_, i) => i)
      .filter((i) => !gaps.has(i))
      .map((i) => ({ channelId, ts: T0 + (i + 1) * STEP, value: 10 }));
    await h.store.readings.ingest({ id: 'agg-raw', readings });
    await h.store.readings.ingest({
      id: 'agg-est',
      readings: [...gaps].map((i) => ({
        channelId,
        ts: T0 + (i + 1) * STEP,
        value: 20,
        quality: QualityFlag.estimated,
        reasons: ['vee:est:linear'],
        source: 'estimate' as const,
      })),
    });
  });
  afterAll(async () => h.close());

  const get = (bucket: string, to: number) =>
    h.call(
      'GET',
      `/channels/${channelId}/readings/aggregate?from=${new Date(T0).toISOString()}&to=${new Date(to).toISOString()}&bucket=${bucket}&fn=sum`,
      { token: viewer },
    );

  it('per day (answered from the day rollup) and per hour (from the readings)', async () => {
    const day = await get('day', T0 + 2 * DAY);
    expect(day.status).toBe(200);
    expect(
      day.json.points.map((p: { value: number; count: number; estimated: number }) => [
        p.value,
        p.count,
        p.estimated,
      ]),
    ).toEqual([
      [93 * 10 + 3 * 20, 96, 3],
      [96 * 10, 96, 0],
    ]);
    const hour = await get('hour', T0 + 3 * 3_600_000);
    expect(hour.json.points.map((p: { estimated: number }) => p.estimated)).toEqual([0, 3, 0]);
  });

  it('documents the count in the schema', async () => {
    const doc = await h.call('GET', '/openapi.json', {});
    const text = JSON.stringify(doc.json);
    expect(text).toContain('are estimates (current version flagged estimated');
  });
});
