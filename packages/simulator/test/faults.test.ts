import { DlmsError, DlmsErrorCode, dateTimeFromData, dateTimeToInstant } from '@openhes/dlms';
import { DlmsClient } from '@openhes/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { meterAddress, meterIndexOf } from '../src/fleet/addressing.ts';
import { type Fleet, type FleetOptions, startFleet } from '../src/fleet/fleet.ts';
import { clientOptions, connect } from './client-helpers.ts';
import { DAY, PROFILES, START } from './helpers.ts';

const open: Fleet[] = [];
let now = START + DAY;

async function fleetWith(o: Partial<FleetOptions>): Promise<Fleet> {
  const f = await startFleet({
    meters: 6,
    transformers: 1,
    seed: 21,
    startAt: START,
    port: 0,
    tickMs: 0,
    profiles: PROFILES,
    clock: () => now,
    ...o,
  });
  open.push(f);
  return f;
}

afterEach(async () => {
  for (const f of open.splice(0)) await f.close();
});

async function failure(p: Promise<unknown>): Promise<DlmsError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DlmsError) return e;
    throw e;
  }
  throw new Error('expected a DlmsError');
}

describe('addressing', () => {
  it('maps meter indexes to loopback addresses and back, skipping .0 and .255', () => {
    for (const i of [0, 1, 253, 254, 255, 65_023, 65_024, 100_399, 1_000_000]) {
      const a = meterAddress(i);
      expect(a).toMatch(/^127\.\d+\.\d+\.\d+$/);
      expect(a.endsWith('.0') || a.endsWith('.255')).toBe(false);
      expect(meterIndexOf(a)).toBe(i);
    }
    expect(meterIndexOf('127.0.0.1')).toBeUndefined();
    expect(meterIndexOf('10.1.0.1')).toBeUndefined();
  });
});

describe('link faults and meter faults', () => {
  it('a silent meter never answers: the client times out', async () => {
    const f = await fleetWith({ link: { silent: 1 } });
    const o = clientOptions(f, 0, 'public');
    const e = await failure(DlmsClient.connect({ ...o, responseTimeoutMs: 200 }));
    expect(e.code).toBe(DlmsErrorCode.Timeout);
    expect(f.stats().silent).toBe(1);
  });

  it('a refusing meter closes the connection', async () => {
    const f = await fleetWith({ link: { refused: 1 } });
    const e = await failure(
      DlmsClient.connect({ ...clientOptions(f, 0, 'public'), responseTimeoutMs: 2000 }),
    );
    expect(e.retryable).toBe(true);
    expect(f.stats().refused).toBe(1);
  });

  it('lost responses surface as timeouts and are counted', async () => {
    const f = await fleetWith({ link: { loss: 1 } });
    const e = await failure(DlmsClient.connect({ ...clientOptions(f, 0, 'public'), responseTimeoutMs: 200 }));
    expect(e.code).toBe(DlmsErrorCode.Timeout);
    expect(f.stats().link.dropped).toBeGreaterThan(0);
  });

  it('corrupted responses are refused by the client, never accepted', async () => {
    const f = await fleetWith({ link: { corrupt: 1 } });
    const e = await failure(DlmsClient.connect({ ...clientOptions(f, 0, 'public'), responseTimeoutMs: 300 }));
    expect(e).toBeInstanceOf(DlmsError);
    expect(f.stats().link.corrupted).toBeGreaterThan(0);
  });

  it('latency, jitter and a slow link delay but do not break HDLC and wrapper sessions', async () => {
    const f = await fleetWith({
      latency: 20,
      jitter: 10,
      link: { slow: 1, slowBytesPerSecond: 20_000 },
      mix: { residential: 0.5, commercial: 0.5 },
    });
    const framings = new Set<string>();
    for (let i = 0; i < f.size; i++) {
      const m = f.truth.meter(i);
      if (framings.has(m.profile.framing)) continue;
      framings.add(m.profile.framing);
      const c = await connect(f, i, 'management');
      try {
        expect(await c.get('1.0.1.8.0.255', 3, 2)).toEqual(f.truth.registerAt(i, '1.0.1.8.0.255', now));
      } finally {
        await c.end();
      }
    }
    expect([...framings].sort()).toEqual(['hdlc', 'wrapper']);
    expect(f.stats().link.sent).toBeGreaterThan(8);
  });

  it('a wrong-key meter refuses the issued LLS password and HLS keys', async () => {
    const f = await fleetWith({ scenarios: 'wrong-key=100%' });
    await expect(connect(f, 0, 'reader')).rejects.toBeInstanceOf(DlmsError);
    await expect(connect(f, 0, 'management')).rejects.toBeInstanceOf(DlmsError);
    const pub = await connect(f, 0, 'public');
    await pub.end();
  });

  it('a dead meter is silent', async () => {
    const f = await fleetWith({ scenarios: 'dead=100%' });
    const e = await failure(DlmsClient.connect({ ...clientOptions(f, 1, 'public'), responseTimeoutMs: 200 }));
    expect(e.code).toBe(DlmsErrorCode.Timeout);
  });

  it('a drifting clock runs away from true time until it is set', async () => {
    now = START + 10 * DAY;
    const f = await fleetWith({ scenarios: 'drift=100%' });
    const c = await connect(f, 0, 'reader');
    try {
      const dt = dateTimeFromData(await c.get('0.0.1.0.0.255', 8, 2));
      dt.deviation = -330;
      const offset = dateTimeToInstant(dt).getTime() - now;
      expect(Math.abs(offset - 500e-6 * 10 * DAY)).toBeLessThan(5000);
    } finally {
      await c.end();
    }
  });

  it('an unknown address gets no meter', async () => {
    const f = await fleetWith({});
    const o = clientOptions(f, 0, 'public');
    const e = await failure(
      DlmsClient.connect({
        ...o,
        transport: { kind: 'tcp', host: meterAddress(500), port: f.port },
        responseTimeoutMs: 300,
      }),
    );
    expect(e).toBeInstanceOf(DlmsError);
  });
});

describe('meter export', () => {
  it('lists every meter with address, framing, profile, keys and topology (CSV and JSON agree)', async () => {
    const { exportMeters } = await import('../src/fleet/export.ts');
    const f = await fleetWith({ latency: 5, jitter: 2 });
    const json = JSON.parse([...exportMeters(f, 'json')].join('')) as Record<string, unknown>[];
    const csv = [...exportMeters(f, 'csv')].join('').trim().split('\n');
    expect(json).toHaveLength(f.size);
    expect(csv).toHaveLength(f.size + 1);
    const header = csv[0]!.split(',');
    csv.slice(1).forEach((line, i) => {
      const row = Object.fromEntries(line.split(',').map((v, j) => [header[j], v]));
      expect(row.host).toBe(json[i]!.host);
      expect(row.ek).toBe(json[i]!.ek);
    });
    expect(json[f.size - 1]).toMatchObject({
      role: 'transformer',
      profile: 'is15959-ct',
      framing: 'wrapper',
      transformer: 0,
    });
    expect(new Set(json.map((r) => r.host)).size).toBe(f.size);
    const c = await connect(f, 0, 'reader');
    await c.end();
  });
});
