import { describe, expect, it } from 'vitest';
import {
  type Capability,
  CONTROL_CAPABILITIES,
  capabilitiesOf,
  DlmsDriver,
  type DriverProfile,
  driverCapabilities,
  loadDriverProfiles,
  type MeterDriver,
  ModelCache,
  requireCapability,
} from '../src/index.ts';

const PROFILES = loadDriverProfiles();

/** A driver on the management association (full rights) unless another is named. */
function driverOn(profile: DriverProfile, association = 'management'): DlmsDriver {
  return new DlmsDriver({
    meterId: 1,
    profile,
    endpoint: { transport: 'tcp', host: '127.0.0.1', port: 1 },
    secrets: { password: 'x', ek: new Uint8Array(16), ak: new Uint8Array(16) },
    cache: new ModelCache(),
    association,
  });
}

const sorted = (s: ReadonlySet<Capability>): Capability[] => [...s].sort();

describe('capabilities derived from the device profile', () => {
  // Every shipped model has an activity calendar, a clock, an image transfer and security
  // setups (is15959-common's control section) and push setups (class 40 in its object list);
  // the whole-current meters add a disconnect control and a limiter.
  const expected: Record<string, Capability[]> = {
    'is15959-1ph': ['clock', 'firmware', 'keys', 'limiter', 'push', 'reading', 'supply', 'tariff'],
    'is15959-3ph': ['clock', 'firmware', 'keys', 'limiter', 'push', 'reading', 'supply', 'tariff'],
    'is15959-ct': ['clock', 'firmware', 'keys', 'push', 'reading', 'tariff'],
  };

  for (const [id, caps] of Object.entries(expected)) {
    it(`${id}: ${caps.join(', ')}`, () => {
      expect(sorted(capabilitiesOf(PROFILES.get(id)!))).toEqual(caps);
    });

    it(`the DLMS driver on ${id} offers all of them on the management association`, () => {
      const d = driverOn(PROFILES.get(id)!);
      expect(sorted(driverCapabilities(d))).toEqual(caps);
      for (const c of CONTROL_CAPABILITIES) expect(d[c] !== undefined).toBe(caps.includes(c));
      // Push setups come from the object list, every one of them, in profile order.
      const push = PROFILES.get(id)!
        .objects.filter((o) => o.class === 40)
        .map((o) => o.obis);
      expect(d.push?.objects).toEqual(push);
      expect(push.length).toBeGreaterThan(0);
    });
  }

  it('a model without the control objects gets reading only, and the driver offers no control', () => {
    const base = PROFILES.get('is15959-1ph')!;
    // As the profile resolver leaves it when `removeObjects` drops them: no objects, no roles.
    const bare: DriverProfile = {
      ...base,
      id: 'bare',
      objects: base.objects.filter((o) => ![70, 71, 20, 18, 64, 40].includes(o.class)),
      control: {},
    };
    expect(sorted(capabilitiesOf(bare))).toEqual(['reading']);
    const d: MeterDriver = driverOn(bare);
    expect(sorted(driverCapabilities(d))).toEqual(['reading']);
    for (const c of CONTROL_CAPABILITIES) {
      expect(d[c]).toBeUndefined();
      expect(() => requireCapability(d, c)).toThrow(expect.objectContaining({ code: 'DRIVER_UNSUPPORTED' }));
    }
  });

  it('follows the control section where the profile has one: a role it leaves out is not offered', () => {
    const base = PROFILES.get('is15959-1ph')!;
    const only: DriverProfile = {
      ...base,
      control: { disconnect: { obis: '0.0.96.3.10.255', association: 'management' } },
    };
    // Push has no control role: its objects are the object list's push setups.
    expect(sorted(capabilitiesOf(only))).toEqual(['push', 'reading', 'supply']);
    expect(sorted(driverCapabilities(driverOn(only)))).toEqual(['push', 'reading', 'supply']);
  });

  it('without a control section, takes the object of each role’s interface class', () => {
    const base = PROFILES.get('is15959-3ph')!;
    const { control: _, ...legacy } = base;
    expect(sorted(capabilitiesOf(legacy))).toEqual([
      'clock',
      'firmware',
      'keys',
      'limiter',
      'push',
      'reading',
      'supply',
      'tariff',
    ]);
  });

  it('a session on a read-only association is offered no control, whatever the model has', () => {
    const p = PROFILES.get('is15959-1ph')!;
    for (const association of ['public', 'reader']) {
      expect(sorted(driverCapabilities(driverOn(p, association)))).toEqual(['reading']);
    }
    // With no keys the strongest usable association is LLS (read-only): no control either.
    const lls = new DlmsDriver({
      meterId: 1,
      profile: p,
      endpoint: { transport: 'tcp', host: '127.0.0.1', port: 1 },
      secrets: { password: 'x' },
      cache: new ModelCache(),
    });
    for (const c of CONTROL_CAPABILITIES) expect(lls[c]).toBeUndefined();
  });

  it('is pure: the same profile gives the same set and is left unchanged', () => {
    const p = PROFILES.get('is15959-3ph')!;
    const before = JSON.stringify(p);
    expect(sorted(capabilitiesOf(p))).toEqual(sorted(capabilitiesOf(p)));
    expect(JSON.stringify(p)).toBe(before);
  });
});
