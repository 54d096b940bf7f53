import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventCategory } from '@openhes/core';
import { EVENT_CATEGORIES, ProfileInvalidError } from '@openhes/cosem';
import { loadProfiles } from '@openhes/simulator';
import { describe, expect, it } from 'vitest';
import {
  controlObject,
  DriverError,
  DriverErrorCode,
  defaultProfilesDirectory,
  loadDriverProfiles,
  pushSetups,
  registerObjects,
} from '../src/index.ts';

const shipped = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(defaultProfilesDirectory(), name), 'utf8'));

function dirWith(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'driver-profiles-'));
  for (const [name, json] of Object.entries(files)) writeFileSync(join(dir, name), JSON.stringify(json));
  return dir;
}

/** The ids a loader accepts from a directory, or the error code it refuses the directory with. */
function accepted(load: (dir: string) => Map<string, unknown>, dir: string): string[] | string {
  try {
    return [...load(dir).keys()].sort();
  } catch (e) {
    return (e as { code: string }).code;
  }
}

describe('device profiles for drivers', () => {
  it('drivers and simulator accept exactly the same set of profiles', () => {
    const common = shipped('is15959-common.json');
    const one = shipped('is15959-1ph.json');
    const { loadClass: _, ...noLoadClass } = one;
    const dirs: Record<string, Record<string, unknown>> = {
      shipped: {
        'c.json': common,
        '1.json': one,
        '3.json': shipped('is15959-3ph.json'),
        'ct.json': shipped('is15959-ct.json'),
      },
      'abstract base only': { 'c.json': common },
      // Drivers took a file with `extends` but no loadClass as concrete; the simulator skipped it.
      'extends without loadClass': { 'c.json': common, '1.json': noLoadClass },
      'base not marked abstract': { 'c.json': { ...common, abstract: undefined } },
      'missing base': { '1.json': one },
      'abstract leaf': { 'c.json': common, '1.json': { ...one, abstract: true } },
      'control with a read-only association': {
        'c.json': common,
        '1.json': { ...one, control: { disconnect: { obis: '0.0.96.3.10.255', association: 'reader' } } },
      },
    };
    const seen: Record<string, string[] | string> = {};
    for (const [name, files] of Object.entries(dirs)) {
      const dir = dirWith(files);
      const drivers = accepted(loadDriverProfiles, dir);
      const simulator = accepted(loadProfiles, dir);
      expect(simulator === 'COSEM_PROFILE_INVALID' ? 'DRIVER_CONFIGURATION' : simulator, name).toEqual(
        drivers,
      );
      seen[name] = drivers;
    }
    expect(seen).toEqual({
      shipped: ['is15959-1ph', 'is15959-3ph', 'is15959-ct'],
      'abstract base only': [],
      'extends without loadClass': 'DRIVER_CONFIGURATION',
      'base not marked abstract': 'DRIVER_CONFIGURATION',
      'missing base': 'DRIVER_CONFIGURATION',
      'abstract leaf': [],
      'control with a read-only association': 'DRIVER_CONFIGURATION',
    });
  });

  it('wraps the cosem refusal as DRIVER_CONFIGURATION naming the profile and the field', () => {
    const dir = dirWith({
      'c.json': shipped('is15959-common.json'),
      '1.json': { ...shipped('is15959-1ph.json'), framing: 'serial' },
    });
    let caught: unknown;
    try {
      loadDriverProfiles(dir);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DriverError);
    const e = caught as DriverError;
    expect(e.code).toBe(DriverErrorCode.Configuration);
    expect(e.retryable).toBe(false);
    expect(e.detail).toEqual({ profile: 'is15959-1ph', field: 'framing', code: 'COSEM_PROFILE_INVALID' });
    expect(e.cause).toBeInstanceOf(ProfileInvalidError);
  });

  it('keeps its narrower view working over the cosem profiles', () => {
    const p = loadDriverProfiles().get('is15959-1ph')!;
    expect(registerObjects(p).length).toBeGreaterThan(0);
    expect(
      pushSetups(p)
        .map((o) => o.push!.kind)
        .sort(),
    ).toEqual(['alarm', 'block', 'daily', 'instantaneous']);
    expect(controlObject(p, 'disconnect')).toMatchObject({
      obis: '0.0.96.3.10.255',
      classId: 70,
      association: { key: 'management', clientSap: 48, authentication: 'hls-gmac' },
    });
    expect(controlObject(loadDriverProfiles().get('is15959-ct')!, 'disconnect')).toBeUndefined();
  });

  it('cosem names the same event categories as core', () => {
    expect([...EVENT_CATEGORIES].sort()).toEqual(Object.values(EventCategory).sort());
  });
});
