import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProfiles, ProfileError, validateProfile } from '../src/profiles.ts';

describe('device profiles', () => {
  const profiles = loadProfiles();

  it('loads the three IS 15959 profiles with their inherited objects', () => {
    expect([...profiles.keys()].sort()).toEqual(['is15959-1ph', 'is15959-3ph', 'is15959-ct']);
    const one = profiles.get('is15959-1ph')!;
    expect(one.framing).toBe('wrapper');
    expect(one.meter.phases).toBe(1);
    expect(one.objects.find((o) => o.obis === '1.0.99.1.0.255')?.profile?.capturePeriod).toBe(900);
    expect(one.associations.map((a) => [a.clientSap, a.authentication])).toEqual([
      [16, 'none'],
      [32, 'low'],
      [48, 'hls-gmac'],
    ]);
    expect(Object.keys(one.eventLogs)).toHaveLength(7);
  });

  it('gives the CT meter no load switch and a 30-minute block profile', () => {
    const ct = profiles.get('is15959-ct')!;
    expect(ct.meter.relay).toBe(false);
    expect(ct.objects.some((o) => o.class === 70)).toBe(false);
    expect(ct.objects.find((o) => o.obis === '1.0.99.1.0.255')?.profile?.capturePeriod).toBe(1800);
    expect(profiles.get('is15959-3ph')!.framing).toBe('hdlc');
  });

  it('rejects a capture object that is not in the profile', () => {
    const one = profiles.get('is15959-1ph')!;
    const broken = structuredClone(one);
    const block = broken.objects.find((o) => o.obis === '1.0.99.1.0.255')!;
    block.profile!.capture.push([3, '1.0.99.99.0.255', 2]);
    expect(() => validateProfile(broken)).toThrow(ProfileError);
  });

  it('rejects unknown sources, classes and association objects', () => {
    const one = profiles.get('is15959-1ph')!;
    const a = structuredClone(one);
    a.objects.find((o) => o.obis === '1.0.1.8.0.255')!.source = 'import.bogus';
    expect(() => validateProfile(a)).toThrow(/unknown source/);
    const b = structuredClone(one);
    b.objects.push({ class: 99, obis: '0.0.1.2.3.255' });
    expect(() => validateProfile(b)).toThrow(/not modelled/);
    const c = structuredClone(one);
    c.associations[0]!.objects = ['9.9.9.9.9.9'];
    expect(() => validateProfile(c)).toThrow(/unknown/);
  });

  it('declares general-glo auth+enc protection under the management keys for every push setup', () => {
    for (const p of profiles.values()) {
      const setups = p.objects.filter((o) => o.class === 40);
      expect(setups.length).toBeGreaterThanOrEqual(3);
      for (const o of setups)
        expect(o.push?.protection).toEqual({
          policy: 'auth+enc',
          style: 'general-glo',
          association: 'management',
        });
    }
    const broken = structuredClone(profiles.get('is15959-1ph')!);
    broken.objects.find((o) => o.class === 40)!.push!.protection!.association = 'nobody';
    expect(() => validateProfile(broken)).toThrow(ProfileError);
  });

  it('resolves extends chains from a directory and reports a missing base', () => {
    const dir = mkdtempSync(join(tmpdir(), 'profiles-'));
    writeFileSync(
      join(dir, 'x.json'),
      JSON.stringify({ id: 'x', extends: 'nope', loadClass: 'residential' }),
    );
    expect(() => loadProfiles(dir)).toThrow(ProfileError);
  });
});
