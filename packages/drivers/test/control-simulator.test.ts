import type { ActivityCalendar } from '@openhes/cosem';
import { type CosemDateTime, dateTimeFromInstant, fromHex } from '@openhes/dlms';
import {
  activeFirmware,
  buildImage,
  type Fleet,
  imageBlockCounts,
  imageBlocks,
  meterRecord,
  methodCount,
  relayState,
  setControlMode,
  startFleet,
} from '@openhes/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CounterSource,
  DlmsDriver,
  type DriverProfile,
  GlobalKeyId,
  loadDriverProfiles,
  ModelCache,
} from '../src/index.ts';

/**
 * Each control capability of the DLMS driver against the in-repo simulator, asserting on the
 * simulated meter's own state (relay, method counts, blocks, firmware, keys) as well as on
 * what the driver reads back.
 */
const START = Date.UTC(2026, 5, 10, 0, 0);
const NOW = START + 3 * 86_400_000 + 3_600_000 * 5.5;
const PROFILES = loadDriverProfiles();
const DISCONNECT = '0.0.96.3.10.255';

let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({
    meters: 6,
    transformers: 1,
    mix: { residential: 0.5, commercial: 0.3, industrial: 0.2 },
    seed: 11,
    startAt: NOW,
    port: 0,
    tickMs: 0,
    realNow: () => 0,
  });
});

afterAll(async () => {
  await fleet?.close();
});

class MemoryCounters implements CounterSource {
  next = 1;
  async reserve(count: number): Promise<number> {
    const first = this.next;
    this.next += count;
    return first;
  }
}
const counters = new Map<number, MemoryCounters>();

function driverFor(
  index: number,
  keys?: { ek?: Uint8Array; ak?: Uint8Array },
  profile?: DriverProfile,
): DlmsDriver {
  const r = meterRecord(fleet, index);
  let c = counters.get(index);
  if (c === undefined) {
    c = new MemoryCounters();
    counters.set(index, c);
  }
  return new DlmsDriver({
    meterId: index + 1,
    profile: profile ?? PROFILES.get(r.profile)!,
    endpoint: { transport: 'tcp', host: r.host, port: r.port },
    secrets: { password: r.password, ek: keys?.ek ?? fromHex(r.ek), ak: keys?.ak ?? fromHex(r.ak) },
    cache: new ModelCache(),
    counters: c,
    responseTimeoutMs: 5000,
    now: () => NOW,
  });
}

async function session<T>(d: DlmsDriver, work: (d: DlmsDriver) => Promise<T>): Promise<T> {
  await d.open();
  try {
    return await work(d);
  } finally {
    await d.close();
  }
}

/** Meters whose model has an object of the class; each test takes its own so states do not mix. */
function metersWith(classId: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < fleet.size; i++) {
    const p = PROFILES.get(meterRecord(fleet, i).profile)!;
    if (p.objects.some((o) => o.class === classId)) out.push(i);
  }
  return out;
}

describe('supply control against the simulator: control modes', () => {
  it('mode 4: disconnect then reconnect directly; a second disconnect sends nothing', async () => {
    const i = metersWith(70)[0]!;
    await session(driverFor(i), async (d) => {
      const off = await d.supply!.disconnect();
      expect(off).toEqual({ outputState: false, controlState: 0, controlMode: 4, armed: false, sent: true });
      expect(relayState(fleet.truth, i, NOW)).toMatchObject({ output: false, control: 0 });
      expect(await d.supply!.disconnect()).toMatchObject({ sent: false, controlState: 0 });
      expect(methodCount(fleet.truth, i, 70, DISCONNECT, 1)).toBe(1);
      const on = await d.supply!.reconnect();
      expect(on).toEqual({ outputState: true, controlState: 1, controlMode: 4, armed: false, sent: true });
    });
    expect(relayState(fleet.truth, i, NOW)).toMatchObject({ output: true, control: 1 });
  });

  it('mode 1: remote reconnect only arms the relay; reconnecting an armed relay sends nothing', async () => {
    const i = metersWith(70)[1]!;
    setControlMode(fleet.truth, i, 1);
    await session(driverFor(i), async (d) => {
      expect(await d.supply!.disconnect()).toMatchObject({ controlState: 0, controlMode: 1, sent: true });
      const armed = await d.supply!.reconnect();
      expect(armed).toEqual({ outputState: false, controlState: 2, controlMode: 1, armed: true, sent: true });
      expect(relayState(fleet.truth, i, NOW)).toMatchObject({ output: false, control: 2 });
      expect(await d.supply!.reconnect()).toMatchObject({ armed: true, sent: false });
      expect(methodCount(fleet.truth, i, 70, DISCONNECT, 2)).toBe(1);
      // From ready_for_reconnection a remote disconnect is allowed (transition c).
      expect(await d.supply!.disconnect()).toMatchObject({ controlState: 0, sent: true });
    });
  });

  it('mode 0 refuses every remote transition before anything is sent', async () => {
    const i = metersWith(70)[2] ?? metersWith(70)[0]!;
    setControlMode(fleet.truth, i, 0);
    try {
      await session(driverFor(i), async (d) => {
        for (const t of ['disconnect', 'reconnect'] as const)
          await expect(d.supply![t]()).rejects.toMatchObject({
            code: 'DRIVER_MODE_FORBIDS',
            retryable: false,
            detail: { mode: 0, transition: t },
          });
      });
      expect(methodCount(fleet.truth, i, 70, DISCONNECT, 1)).toBe(0);
      expect(methodCount(fleet.truth, i, 70, DISCONNECT, 2)).toBe(0);
    } finally {
      setControlMode(fleet.truth, i, 4);
    }
  });
});

describe('load limiting against the simulator', () => {
  it('thresholds in physical units are converted with the monitored register’s scaler and read back', async () => {
    const i = metersWith(71)[0]!;
    await session(driverFor(i), async (d) => {
      const before = await d.limiter!.readLimits();
      const unit = 10 ** before.scaler;
      const view = await d.limiter!.setLimits({
        thresholdNormal: 4600,
        thresholdEmergency: 2300,
        minOverThresholdDuration: 120,
      });
      expect(view.thresholdNormal).toBeCloseTo(4600, 6);
      expect(view.thresholdEmergency).toBeCloseTo(2300, 6);
      expect(Number(view.raw.thresholdNormal)).toBe(Math.round(4600 / unit));
      expect(view.raw.minOverThresholdDuration).toBe(120);
      expect(view.thresholdActive).toBeCloseTo(4600, 6);
    });
  });

  it('an emergency profile activated for the meter’s group makes the emergency threshold active; clearing ends it', async () => {
    const i = metersWith(71)[1] ?? metersWith(71)[0]!;
    await session(driverFor(i), async (d) => {
      const on = await d.limiter!.activateEmergency({
        profileId: 7,
        activateAt: NOW - 60_000,
        durationSeconds: 3600,
        thresholdEmergency: 1000,
      });
      expect(on.emergencyProfile).toMatchObject({ id: 7, duration: 3600 });
      expect(on.emergencyProfileGroupIds).toEqual([7]);
      expect(on.emergencyProfileActive).toBe(true);
      expect(on.thresholdActive).toBeCloseTo(1000, 6);
      const off = await d.limiter!.clearEmergency();
      expect(off.emergencyProfileGroupIds).toEqual([]);
      expect(off.emergencyProfileActive).toBe(false);
      expect(off.thresholdActive).toBe(off.thresholdNormal);
    });
  });
});

const text = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const wild = (dt: CosemDateTime): CosemDateTime => ({ ...dt });

function calendar(name: string): ActivityCalendar {
  const start = dateTimeFromInstant(new Date(Date.UTC(2026, 0, 1)), { deviation: -330 });
  return {
    calendarName: text(name),
    seasonProfile: [{ name: text('1'), start: wild(start), weekName: text('1') }],
    weekProfileTable: [
      {
        name: text('1'),
        monday: 1,
        tuesday: 1,
        wednesday: 1,
        thursday: 1,
        friday: 1,
        saturday: 2,
        sunday: 2,
      },
    ],
    dayProfileTable: [
      {
        dayId: 1,
        schedule: [
          {
            startTime: { hour: 0, minute: 0, second: 0, hundredths: 0 },
            scriptLogicalName: [0, 0, 10, 0, 100, 255],
            scriptSelector: 1,
          },
          {
            startTime: { hour: 18, minute: 0, second: 0, hundredths: 0 },
            scriptLogicalName: [0, 0, 10, 0, 100, 255],
            scriptSelector: 2,
          },
        ],
      },
      {
        dayId: 2,
        schedule: [
          {
            startTime: { hour: 0, minute: 0, second: 0, hundredths: 0 },
            scriptLogicalName: [0, 0, 10, 0, 100, 255],
            scriptSelector: 1,
          },
        ],
      },
    ],
  };
}

describe('tariff programming against the simulator', () => {
  it('writes the passive calendar, activates it now, and the active calendar reads back equal', async () => {
    const i = 0;
    await session(driverFor(i), async (d) => {
      const cal = calendar('TOU-A');
      const out = await d.tariff!.programCalendar(cal, { kind: 'now' });
      expect(Array.from(out.active.calendarName)).toEqual(Array.from(text('TOU-A')));
      const active = await d.tariff!.readActiveCalendar();
      expect(active.dayProfileTable).toHaveLength(2);
      expect(active.dayProfileTable[0]!.schedule[1]!.scriptSelector).toBe(2);
      expect(methodCount(fleet.truth, i, 20, '0.0.13.0.0.255', 1)).toBe(1);
    });
  });

  it('a timed activation writes attribute 10 and leaves the active calendar as it was', async () => {
    const i = 1;
    await session(driverFor(i), async (d) => {
      const activeBefore = await d.tariff!.readActiveCalendar();
      const time = dateTimeFromInstant(new Date(NOW + 86_400_000), { deviation: -330 });
      const out = await d.tariff!.programCalendar(calendar('TOU-B'), { kind: 'at', time });
      expect(Array.from(out.passive.calendarName)).toEqual(Array.from(text('TOU-B')));
      expect(out.activationTime).toMatchObject({
        year: time.year,
        month: time.month,
        dayOfMonth: time.dayOfMonth,
      });
      expect(Array.from((await d.tariff!.readActiveCalendar()).calendarName)).toEqual(
        Array.from(activeBefore.calendarName),
      );
      expect(methodCount(fleet.truth, i, 20, '0.0.13.0.0.255', 1)).toBe(0);
    });
  });
});

describe('clock control against the simulator', () => {
  it('shift_time moves the meter clock by the seconds given; out of ±900 s is refused before sending', async () => {
    const i = 2;
    await session(driverFor(i), async (d) => {
      const before = await d.readClock();
      const after = await d.clock!.shiftTime(30);
      expect(after.meterTime - before.meterTime).toBe(30_000);
      await expect(d.clock!.shiftTime(901)).rejects.toMatchObject({ code: 'DRIVER_INVALID' });
      expect(methodCount(fleet.truth, i, 8, '0.0.1.0.0.255', 6)).toBe(1);
      // Set to a minute ahead of the meter's own clock: read back a minute ahead (within the simulated drift).
      const target = after.meterTime + 60_000;
      const set = await d.clock!.setTime(target);
      expect(Math.abs(set.meterTime - target)).toBeLessThan(1000);
    });
  });

  it('writes time zone and DST settings and reads them back', async () => {
    const i = 3;
    await session(driverFor(i), async (d) => {
      const state = await d.clock!.readClockState();
      const next = await d.clock!.setClockSettings({
        timeZone: state.timeZone,
        daylightSavingsDeviation: 60,
        daylightSavingsEnabled: false,
      });
      expect(next).toMatchObject({ daylightSavingsDeviation: 60, daylightSavingsEnabled: false });
      expect(await d.clock!.readClockState()).toMatchObject({ daylightSavingsDeviation: 60 });
      await expect(d.clock!.setClockSettings({ daylightSavingsDeviation: 500 })).rejects.toMatchObject({
        code: 'DRIVER_INVALID',
      });
    });
  });
});

describe('firmware transfer against the simulator', () => {
  it('initiate, blocks sized to the meter and the PDU, bitmap read back, verify, activate: the new identifier is active', async () => {
    const i = 4;
    const image = buildImage('SIM-9.9.9', 1500);
    let sent = 0;
    await session(driverFor(i), async (d) => {
      const fw = d.firmware!;
      await fw.initiateImage({ identifier: text('SIM-9.9.9'), size: image.length });
      const state = await fw.readImageTransfer();
      expect(state.status).toBe(1);
      expect(state.blockSize).toBeLessThanOrEqual(fw.maxBlockSize());
      const blocks = imageBlocks(image, state.blockSize);
      sent = blocks.length;
      expect(sent).toBeGreaterThan(2);
      // Every block but the second: the bitmap and attr 4 show the gap.
      for (const [n, value] of blocks.entries()) if (n !== 1) await fw.transferBlock({ number: n, value });
      const gap = await fw.readImageTransfer();
      expect(gap.firstMissingBlock).toBe(1);
      expect(gap.transferredBlocks).toEqual(blocks.map((_, n) => n).filter((n) => n !== 1));
      await fw.transferBlock({ number: 1, value: blocks[1]! });
      expect((await fw.readImageTransfer()).transferredBlocks).toHaveLength(blocks.length);
      await fw.verifyImage();
      expect(await fw.readImageStatus()).toBe(3);
      await fw.activateImage();
      expect(await fw.readImageStatus()).toBe(6);
    });
    // Each block went over once: the gap was filled, nothing resent.
    expect(imageBlockCounts(fleet.truth, i)).toEqual({ received: sent, duplicates: 0 });
    expect(activeFirmware(fleet.truth, i, NOW)).toBe('SIM-9.9.9');
  });

  it('a block before initiate is refused by the meter: DRIVER_REFUSED with the Action-Result, the session goes on', async () => {
    const i = 5;
    await session(driverFor(i), async (d) => {
      await expect(d.firmware!.transferBlock({ number: 0, value: new Uint8Array(10) })).rejects.toMatchObject(
        {
          code: 'DRIVER_REFUSED',
          retryable: false,
          detail: { actionResult: 250 },
        },
      );
      expect((await d.firmware!.readImageTransfer()).status).toBeGreaterThanOrEqual(0);
    });
  });
});

describe('key change and push setup against the simulator', () => {
  it('a new authentication key wrapped under the master key works for the next association; the old one is refused', async () => {
    const i = 5;
    const r = meterRecord(fleet, i);
    const newAk = fromHex('A0A1A2A3A4A5A6A7A8A9AAABACADAEAF');
    await session(driverFor(i), async (d) => {
      await d.keys!.changeKey('authentication', newAk, fromHex(r.kek));
      expect(GlobalKeyId.authentication).toBe(2);
    });
    await session(driverFor(i, { ak: newAk }), async (d) => {
      expect((await d.readClock()).meterTime).toBeGreaterThan(0);
    });
    await expect(session(driverFor(i), async (d) => d.readClock())).rejects.toMatchObject({
      code: expect.stringMatching(/DRIVER_(ASSOCIATION_REJECTED|SECURITY)/),
    });
  });

  it('writes a push destination, randomisation and retries and reads them back', async () => {
    const i = 0;
    await session(driverFor(i), async (d) => {
      const push = d.push!;
      const obis = push.objects[0]!;
      const out = await push.setPushSetup(
        {
          destination: '10.0.0.1:4059',
          randomisationStartInterval: 30,
          numberOfRetries: 2,
          communicationWindow: [{ start: NOW, end: NOW + 3_600_000 }],
          repetitionDelay: 60,
        },
        obis,
      );
      expect(out.communicationWindow).toHaveLength(1);
      expect(out.repetitionDelay).toEqual({ kind: 'fixed', seconds: 60 });
      expect(out.sendDestinationAndMethod.destinationText).toBe('10.0.0.1:4059');
      expect(out.randomisationStartInterval).toBe(30);
      expect(out.numberOfRetries).toBe(2);
      expect((await push.readPushSetup(obis)).sendDestinationAndMethod.transportService.value).toBe(0);
      await expect(push.readPushSetup('9.9.9.9.9.9')).rejects.toMatchObject({ code: 'DRIVER_INVALID' });
    });
  });
});
