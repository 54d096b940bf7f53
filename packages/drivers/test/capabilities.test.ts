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
  // Every shipped model has an activity calendar, an image transfer and security setups
  // (is15959-common); the whole-current meters add a disconnect control and a limiter.
  const expected: Record<string, Capability[]> = {
    'is15959-1ph': ['firmware', 'keys', 'limiter', 'reading', 'supply', 'tariff'],
    'is15959-3ph': ['firmware', 'keys', 'limiter', 'reading', 'supply', 'tariff'],
    'is15959-ct': ['firmware', 'keys', 'reading', 'tariff'],
  };

  for (const [id, caps] of Object.entries(expected)) {
    it(`${id}: ${caps.join(', ')}`, () => {
      expect(sorted(capabilitiesOf(PROFILES.get(id)!))).toEqual(caps);
    });

    it(`the DLMS driver on ${id} offers what it implements of them: reading, supply, limiter`, () => {
      const d = driverOn(PROFILES.get(id)!);
      const implemented: Capability[] = ['reading', 'supply', 'limiter'];
      expect(sorted(driverCapabilities(d))).toEqual(caps.filter((c) => implemented.includes(c)));
      expect(d.supply !== undefined).toBe(caps.includes('supply'));
      expect(d.limiter !== undefined).toBe(caps.includes('limiter'));
      // Not implemented yet: never offered, whatever the profile has.
      expect((d as { tariff?: unknown }).tariff).toBeUndefined();
      expect((d as { firmware?: unknown }).firmware).toBeUndefined();
      expect((d as { keys?: unknown }).keys).toBeUndefined();
    });
  }

  it('a model without the control objects gets reading only, and the driver offers no control', () => {
    const base = PROFILES.get('is15959-1ph')!;
    // As the profile resolver leaves it when `removeObjects` drops them: no objects, no roles.
    const bare: DriverProfile = {
      ...base,
      id: 'bare',
      objects: base.objects.filter((o) => ![70, 71, 20, 18, 64].includes(o.class)),
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
    expect(sorted(capabilitiesOf(only))).toEqual(['reading', 'supply']);
    expect(sorted(driverCapabilities(driverOn(only)))).toEqual(['reading', 'supply']);
  });

  it('without a control section, takes the object of each role’s interface class', () => {
    const base = PROFILES.get('is15959-3ph')!;
    const { control: _, ...legacy } = base;
    expect(sorted(capabilitiesOf(legacy))).toEqual([
      'firmware',
      'keys',
      'limiter',
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
    expect(lls.supply).toBeUndefined();
    expect(lls.limiter).toBeUndefined();
  });

  it('is pure: the same profile gives the same set and is left unchanged', () => {
    const p = PROFILES.get('is15959-3ph')!;
    const before = JSON.stringify(p);
    expect(sorted(capabilitiesOf(p))).toEqual(sorted(capabilitiesOf(p)));
    expect(JSON.stringify(p)).toBe(before);
  });
});
