import { ProfileInvalidError } from '@openhes/cosem';
import { describe, expect, it } from 'vitest';
import { ProfileError, validateProfile } from '../src/profiles.ts';
import { PROFILES } from './helpers.ts';

describe('simulator profile checks on top of cosem', () => {
  it('ProfileError is the cosem profile error', () => {
    expect(ProfileError).toBe(ProfileInvalidError);
  });

  it('refuses a value object without a source or with one the truth does not compute, naming the field', () => {
    const one = PROFILES.get('is15959-1ph')!;
    const i = one.objects.findIndex((o) => o.obis === '1.0.1.8.0.255');
    const unknown = structuredClone(one);
    unknown.objects[i]!.source = 'import.bogus';
    const missing = structuredClone(one);
    delete missing.objects[i]!.source;
    for (const p of [unknown, missing]) {
      let caught: unknown;
      try {
        validateProfile(p);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(ProfileInvalidError);
      expect(caught).toMatchObject({
        code: 'COSEM_PROFILE_INVALID',
        profile: 'is15959-1ph',
        field: `objects[${i}].source`,
      });
    }
  });
});
