import type { Meter } from '@openhes/core';
import { type DriverProfile, loadDriverProfiles } from '@openhes/drivers';
import { describe, expect, it } from 'vitest';
import { createOperations } from '../src/operations/index.ts';
import { profileLookup, profileOperationOptions } from '../src/profile-options.ts';
import { Harness, METER } from './operations-fake.ts';

const PROFILES = loadDriverProfiles();
const meterOf = (deviceProfile: string): Meter => ({ ...METER, deviceProfile });

/** The 1-ph profile with another block capture period and counter-reset quirk. */
function variant(capturePeriod: number, resets?: string[]): Map<string, DriverProfile> {
  const base = PROFILES.get('is15959-1ph')!;
  const p: DriverProfile = {
    ...base,
    quirks: { ...base.quirks, ...(resets === undefined ? {} : { counterResetsOnKeyChange: resets }) },
    objects: base.objects.map((o) =>
      o.profile?.kind === 'block' ? { ...o, profile: { ...o.profile, capturePeriod } } : o,
    ),
  };
  return new Map([[p.id, p]]);
}

describe('operation options from the device profile', () => {
  it("capture period: the block load profile of the meter's model; explicit answers win; unknown models get none", () => {
    const o = profileOperationOptions(profileLookup(PROFILES));
    expect(o.capturePeriodSeconds!(meterOf('is15959-1ph'))).toBe(900);
    expect(o.capturePeriodSeconds!(meterOf('is15959-3ph'))).toBe(900);
    expect(o.capturePeriodSeconds!(meterOf('nowhere'))).toBeUndefined();
    const half = profileOperationOptions(profileLookup(variant(1800)));
    expect(half.capturePeriodSeconds!(meterOf('is15959-1ph'))).toBe(1800);
    const given = profileOperationOptions(profileLookup(variant(1800)), {
      capturePeriodSeconds: (m) => (m.id === 7 ? 300 : undefined),
    });
    expect(given.capturePeriodSeconds!(meterOf('is15959-1ph'))).toBe(300);
    expect(given.capturePeriodSeconds!({ ...meterOf('is15959-1ph'), id: 8 })).toBe(1800);
  });

  it("counter reset on key change: the unicast encryption key by default, the profile's quirk, or the explicit rule", () => {
    const o = profileOperationOptions(profileLookup(PROFILES));
    const m = meterOf('is15959-1ph');
    expect([o.counterResetsOnKeyChange!(m, 'guek'), o.counterResetsOnKeyChange!(m, 'gak')]).toEqual([
      true,
      false,
    ]);
    const both = profileOperationOptions(profileLookup(variant(900, ['guek', 'gak'])));
    expect(both.counterResetsOnKeyChange!(m, 'gak')).toBe(true);
    const never = profileOperationOptions(profileLookup(variant(900, ['guek', 'gak'])), {
      counterResetsOnKeyChange: () => false,
    });
    expect(never.counterResetsOnKeyChange!(m, 'guek')).toBe(false);
    expect(profileOperationOptions(undefined)).toEqual({});
  });

  it("time sync keeps off the boundaries of the model's own capture period", async () => {
    const QUARTER = 900_000;
    const run = async (profiles: Map<string, DriverProfile>) => {
      const h = new Harness('time-sync', { boundaryGuardSeconds: 10 });
      // Meter 20 s fast at xx:x5:55 of a quarter that is not a half hour: 5 s before a 15-min boundary.
      h.meter.offsetMs = 20_000;
      const halfHour = Math.floor(h.time.now() / (2 * QUARTER)) * 2 * QUARTER;
      h.time.t = halfHour + QUARTER - 5_000 - h.meter.offsetMs;
      const ops = createOperations(profileOperationOptions(profileLookup(profiles)));
      return (await h.run(ops['time-sync'])).result;
    };
    // A 15-min period: the sync waits past the boundary; a 30-min period has none there.
    expect((await run(variant(900))).waitedMs).toBeGreaterThan(0);
    expect(await run(variant(1800))).toMatchObject({ action: 'shift', waitedMs: 0 });
  });
});
