import { ControlState, type Limiter } from '@openhes/cosem';
import { dateTimeFromInstant, fromHex } from '@openhes/dlms';
import { type Fleet, meterRecord, startFleet } from '@openhes/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CounterSource, DlmsDriver, loadDriverProfiles, ModelCache } from '../src/index.ts';

const START = Date.UTC(2026, 5, 10, 0, 0);
const DAY = 86_400_000;
const NOW = START + 3 * DAY + 3_600_000 * 5.5;
const PROFILES = loadDriverProfiles();

let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({
    meters: 6,
    transformers: 1,
    mix: { residential: 0.5, commercial: 0.3, industrial: 0.2 },
    seed: 5,
    startAt: NOW,
    port: 0,
    tickMs: 0,
    realNow: () => 0,
  });
});

afterAll(async () => {
  await fleet?.close();
});

/** One counter source per meter, as the store keeps them: a meter refuses a counter it has seen. */
class MemoryCounters implements CounterSource {
  next = 1;
  async reserve(count: number): Promise<number> {
    const first = this.next;
    this.next += count;
    return first;
  }
}

const sources = new Map<number, MemoryCounters>();
function countersOf(index: number): MemoryCounters {
  let c = sources.get(index);
  if (c === undefined) {
    c = new MemoryCounters();
    sources.set(index, c);
  }
  return c;
}

function driverFor(
  index: number,
  cache: ModelCache,
  counters: CounterSource = countersOf(index),
  association?: string,
): DlmsDriver {
  const r = meterRecord(fleet, index);
  return new DlmsDriver({
    meterId: index + 1,
    profile: PROFILES.get(r.profile)!,
    endpoint: { transport: 'tcp', host: r.host, port: r.port },
    secrets: { password: r.password, ek: fromHex(r.ek), ak: fromHex(r.ak) },
    cache,
    counters,
    ...(association === undefined ? {} : { association }),
    responseTimeoutMs: 5000,
    now: () => NOW,
  });
}

describe('DlmsDriver against the simulator on loopback', () => {
  it('reads clock, registers, instantaneous values, a day of block profile, daily, billing and events in one association', async () => {
    const cache = new ModelCache();
    const counters = countersOf(0);
    const driver = driverFor(0, cache);
    await driver.open();
    try {
      const clock = await driver.readClock();
      expect(Math.abs(clock.driftMs)).toBeLessThan(10_000);
      const registers = await driver.readRegisters();
      const energy = registers.find((v) => v.channel.obis === '1.0.1.8.0.255');
      expect(energy?.channel).toMatchObject({ kind: 'register', unit: 'Wh', attribute: 2 });
      expect(energy!.value).toBeGreaterThan(0);
      const inst = await driver.readInstantaneous();
      expect(inst.some((v) => v.channel.unit === 'V')).toBe(true);
      const from = START + 2 * DAY;
      const block = await driver.readProfile('block', { from: from + 1, to: from + DAY });
      const profile = PROFILES.get(meterRecord(fleet, 0).profile)!;
      const period = profile.objects.find((o) => o.profile?.kind === 'block')!.profile!.capturePeriod;
      const stamps = new Set(block.map((v) => v.ts));
      expect(stamps.size).toBe(DAY / 1000 / period);
      expect(Math.min(...stamps)).toBe(from + period * 1000);
      expect(block.every((v) => v.channel.kind === 'interval' && v.channel.intervalSeconds === period)).toBe(
        true,
      );
      const daily = await driver.readProfile('daily', { from: START, to: NOW });
      expect(daily.length).toBeGreaterThan(0);
      const billing = await driver.readProfile('billing', { from: START - 400 * DAY, to: NOW });
      expect(billing.every((v) => v.channel.kind === 'register')).toBe(true);
      const events = await driver.readEvents({ from: START - 30 * DAY, to: NOW });
      for (const e of events) expect(e.meterTime).toBeLessThanOrEqual(NOW);
      expect(driver.stats.bytesIn).toBeGreaterThan(0);
      expect(counters.next).toBeGreaterThan(1);
    } finally {
      await driver.close();
    }
  });

  it('reads scalers and capture objects once per model', async () => {
    const cache = new ModelCache();
    const counters = countersOf(0);
    const range = { from: START + DAY, to: START + DAY + 3_600_000 };
    const first = driverFor(0, cache, counters);
    await first.open();
    await first.readProfile('block', range);
    await first.readRegisters();
    await first.close();
    const cached = cache.size;
    const second = driverFor(0, cache, counters);
    await second.open();
    const a = await second.readProfile('block', range);
    await second.readRegisters();
    await second.close();
    expect(cache.size).toBe(cached);
    expect(a.length).toBeGreaterThan(0);
    expect(second.stats.bytesIn).toBeLessThan(first.stats.bytesIn);
  });

  it('sets the clock and reads it back within a second', async () => {
    const driver = driverFor(1, new ModelCache());
    await driver.open();
    try {
      await driver.setClock(NOW);
      const clock = await driver.readClock();
      expect(Math.abs(clock.meterTime - NOW)).toBeLessThan(1000);
    } finally {
      await driver.close();
    }
  });

  it('reports a wrong LLS password as a non-retryable association rejection', async () => {
    const r = meterRecord(fleet, 2);
    const driver = new DlmsDriver({
      meterId: 3,
      profile: PROFILES.get(r.profile)!,
      endpoint: { transport: 'tcp', host: r.host, port: r.port },
      secrets: { password: 'WRONGPWD' },
      cache: new ModelCache(),
      responseTimeoutMs: 5000,
    });
    await expect(driver.open()).rejects.toMatchObject({
      code: 'DRIVER_ASSOCIATION_REJECTED',
      retryable: false,
    });
  });
});

/** A meter of the fleet whose model has the object, past the meters the reading tests use. */
function meterWith(classId: number): number {
  for (let i = 3; i < fleet.size; i++) {
    const p = PROFILES.get(meterRecord(fleet, i).profile)!;
    if (p.objects.some((o) => o.class === classId)) return i;
  }
  throw new Error(`no meter with class ${classId}`);
}

describe('DlmsDriver control against the simulator', () => {
  it('disconnects and reconnects the supply, reading the disconnector back each time', async () => {
    const index = meterWith(70);
    const driver = driverFor(index, new ModelCache());
    const supply = driver.supply!;
    expect(supply).toBeDefined();
    await driver.open();
    try {
      const before = await supply.readDisconnector();
      expect(before).toMatchObject({ outputState: true, controlState: ControlState.connected });
      const off = await supply.disconnect();
      expect(off).toEqual({
        outputState: false,
        controlState: ControlState.disconnected,
        controlMode: before.controlMode,
        armed: false,
        sent: true,
      });
      const { sent: _, ...offState } = off;
      expect(await supply.readDisconnector()).toEqual(offState);
      const on = await supply.reconnect();
      // The simulated meters run control mode 4: remote_reconnect closes the relay at once.
      expect(before.controlMode).toBe(4);
      expect(on).toEqual({
        outputState: true,
        controlState: ControlState.connected,
        controlMode: 4,
        armed: false,
        sent: true,
      });
    } finally {
      await driver.close();
    }
    const again = driverFor(index, new ModelCache());
    await again.open();
    try {
      expect(await again.supply!.readDisconnector()).toMatchObject({ outputState: true, controlState: 1 });
    } finally {
      await again.close();
    }
  });

  it('writes limiter thresholds and durations and reads them back, in this session and the next', async () => {
    const index = meterWith(71);
    const driver = driverFor(index, new ModelCache());
    await driver.open();
    let written: Limiter;
    try {
      const before = await driver.limiter!.readLimiter();
      expect(before.monitoredValue.classId).toBe(3);
      written = await driver.limiter!.setLimiter({
        thresholdNormal: 4600,
        thresholdEmergency: 2300,
        minOverThresholdDuration: 1800,
        minUnderThresholdDuration: 600,
      });
      expect(written).toMatchObject({
        thresholdActive: 4600,
        thresholdNormal: 4600,
        thresholdEmergency: 2300,
        minOverThresholdDuration: 1800,
        minUnderThresholdDuration: 600,
        emergencyProfileActive: false,
      });
    } finally {
      await driver.close();
    }
    const next = driverFor(index, new ModelCache());
    await next.open();
    try {
      expect(await next.limiter!.readLimiter()).toEqual(written);
    } finally {
      await next.close();
    }
  });

  it('writes an emergency profile with setLimiter and reads it back; the session goes on', async () => {
    const index = meterWith(71);
    const driver = driverFor(index, new ModelCache());
    await driver.open();
    try {
      const activationTime = dateTimeFromInstant(new Date(NOW + 86_400_000), { deviation: 330 });
      const l = await driver.limiter!.setLimiter({
        emergencyProfile: { id: 1, activationTime, duration: 3600 },
      });
      expect(l.emergencyProfile).toMatchObject({ id: 1, duration: 3600 });
      expect(l.emergencyProfileActive).toBe(false);
      expect((await driver.supply!.readDisconnector()).outputState).toBe(true);
    } finally {
      await driver.close();
    }
  });

  it('a model without a disconnect control or a limiter gets neither', () => {
    for (let i = 0; i < fleet.size; i++) {
      const p = PROFILES.get(meterRecord(fleet, i).profile)!;
      const d = driverFor(i, new ModelCache());
      expect(d.supply !== undefined).toBe(p.objects.some((o) => o.class === 70));
      expect(d.limiter !== undefined).toBe(p.objects.some((o) => o.class === 71));
    }
  });
});
