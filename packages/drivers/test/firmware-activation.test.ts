import { fromHex } from '@openhes/dlms';
import {
  activeFirmware,
  buildImage,
  type Fleet,
  imageBlocks,
  meterRecord,
  methodCount,
  startFleet,
} from '@openhes/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CounterSource,
  DlmsDriver,
  type DriverProfile,
  type FirmwareTransfer,
  firmwareVersionObject,
  imageActivationSchedule,
  loadDriverProfiles,
  ModelCache,
} from '../src/index.ts';

/**
 * The active firmware identifier and the timed activation (single-action schedule
 * 0.0.15.0.2.255) of the DLMS driver against the simulator, whose clock the test moves by hand:
 * asserted on the simulated meter's own firmware and method counts.
 */
const START = Date.UTC(2026, 5, 10, 0, 0);
const PROFILES = loadDriverProfiles();
const IMAGE = '0.0.44.0.0.255';

let t = START;
let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({
    meters: 3,
    transformers: 1,
    mix: { residential: 1 },
    seed: 5,
    startAt: START,
    port: 0,
    tickMs: 0,
    clock: () => t,
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

function driverFor(index: number, profile?: DriverProfile): DlmsDriver {
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
    secrets: { password: r.password, ek: fromHex(r.ek), ak: fromHex(r.ak) },
    cache: new ModelCache(),
    counters: c,
    responseTimeoutMs: 5000,
    now: () => t,
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

const text = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Initiate, every block, verify: the meter holds a verified image (status 3). */
async function transferAndVerify(fw: FirmwareTransfer, version: string): Promise<void> {
  const image = buildImage(version, 900);
  await fw.initiateImage({ identifier: text(version), size: image.length });
  const { blockSize } = await fw.readImageTransfer();
  for (const [n, value] of imageBlocks(image, blockSize).entries())
    await fw.transferBlock({ number: n, value });
  await fw.verifyImage();
  expect(await fw.readImageStatus()).toBe(3);
}

describe('the active firmware identifier', () => {
  it('every IS 15959 profile names its firmware version object (source firmware) and the image activation schedule', () => {
    for (const id of ['is15959-1ph', 'is15959-3ph', 'is15959-ct']) {
      const p = PROFILES.get(id)!;
      expect(firmwareVersionObject(p), id).toMatchObject({ class: 1, obis: '1.0.0.2.0.255' });
      expect(imageActivationSchedule(p)?.obis, id).toBe('0.0.15.0.2.255');
    }
  });

  it('is what the simulated meter reports as its active firmware', async () => {
    const i = 0;
    const read = await session(driverFor(i), (d) => d.firmware!.readActiveFirmware!());
    expect(read).toBe(activeFirmware(fleet.truth, i, t));
    expect(read.length).toBeGreaterThan(0);
  });

  it('a profile without the objects offers neither readActiveFirmware nor scheduleActivation', async () => {
    const base = PROFILES.get(meterRecord(fleet, 1).profile)!;
    const bare: DriverProfile = {
      ...base,
      objects: base.objects.filter((o) => o.source !== 'firmware' && o.class !== 22),
    };
    const d = driverFor(1, bare);
    expect(d.firmware).toBeDefined();
    expect(d.firmware!.readActiveFirmware).toBeUndefined();
    expect(d.firmware!.scheduleActivation).toBeUndefined();
  });
});

describe('timed activation through the image activation schedule', () => {
  it('the meter activates the verified image at the scheduled time, without image_activate being sent', async () => {
    const i = 1;
    const before = activeFirmware(fleet.truth, i, t);
    const at = t + 600_000;
    await session(driverFor(i), async (d) => {
      const fw = d.firmware!;
      await transferAndVerify(fw, 'SIM-7.1.0');
      expect(await fw.scheduleActivation!(at)).toBe(at);
      expect(await fw.readActivationSchedule!()).toBe(at);
    });
    // Before the time: still verified, the old identifier active.
    t = at - 1000;
    await session(driverFor(i), async (d) => {
      expect(await d.firmware!.readImageStatus()).toBe(3);
      expect(await d.firmware!.readActiveFirmware!()).toBe(before);
    });
    t = at + 1000;
    await session(driverFor(i), async (d) => {
      expect(await d.firmware!.readImageStatus()).toBe(6);
      expect(await d.firmware!.readActiveFirmware!()).toBe('SIM-7.1.0');
    });
    expect(activeFirmware(fleet.truth, i, t)).toBe('SIM-7.1.0');
    expect(methodCount(fleet.truth, i, 18, IMAGE, 4)).toBe(0);
  });

  it('a cancelled schedule activates nothing; a time in the past is refused before sending', async () => {
    const i = 2;
    const before = activeFirmware(fleet.truth, i, t);
    const at = t + 300_000;
    await session(driverFor(i), async (d) => {
      const fw = d.firmware!;
      await transferAndVerify(fw, 'SIM-7.2.0');
      await fw.scheduleActivation!(at);
      await fw.cancelActivationSchedule!();
      expect(await fw.readActivationSchedule!()).toBeUndefined();
      await expect(fw.scheduleActivation!(t - 60_000)).rejects.toMatchObject({ code: 'DRIVER_INVALID' });
    });
    t = at + 60_000;
    await session(driverFor(i), async (d) => {
      expect(await d.firmware!.readImageStatus()).toBe(3);
      expect(await d.firmware!.readActiveFirmware!()).toBe(before);
    });
    expect(activeFirmware(fleet.truth, i, t)).toBe(before);
  });
});
