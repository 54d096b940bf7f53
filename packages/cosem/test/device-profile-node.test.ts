import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ClassId,
  CONTROL_ROLE_CLASS,
  type ControlRole,
  controlObject,
  controlObjects,
  ProfileInvalidError,
} from '../src/index.ts';
import { defaultProfilesDirectory, loadDeviceProfiles, readProfileFiles } from '../src/node/index.ts';

const SHIPPED = loadDeviceProfiles();

function dirWith(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cosem-profiles-'));
  for (const [name, json] of Object.entries(files))
    writeFileSync(join(dir, name), typeof json === 'string' ? json : JSON.stringify(json));
  return dir;
}

describe('Node profile loader', () => {
  it('reads the profiles shipped in packages/cosem/profiles', () => {
    expect(defaultProfilesDirectory()).toMatch(/packages[/\\]cosem[/\\]profiles[/\\]?$/);
    expect(readProfileFiles().map((f) => f.id)).toEqual([
      'is15959-1ph',
      'is15959-3ph',
      'is15959-common',
      'is15959-ct',
    ]);
    expect([...SHIPPED.keys()].sort()).toEqual(['is15959-1ph', 'is15959-3ph', 'is15959-ct']);
  });

  it('reports a file that is not JSON or has no id with the typed error', () => {
    const e = (() => {
      try {
        loadDeviceProfiles(dirWith({ 'broken.json': '{ "id": ' }));
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(ProfileInvalidError);
    expect((e as ProfileInvalidError).profile).toBe('broken.json');
    expect(() => loadDeviceProfiles(dirWith({ 'x.json': { description: 'no id' } }))).toThrow(
      ProfileInvalidError,
    );
  });

  it('loads only concrete profiles of a directory and ignores other files', () => {
    const common = JSON.parse(readFileSync(join(defaultProfilesDirectory(), 'is15959-common.json'), 'utf8'));
    const one = JSON.parse(readFileSync(join(defaultProfilesDirectory(), 'is15959-1ph.json'), 'utf8'));
    expect([
      ...loadDeviceProfiles(dirWith({ 'a.json': common, 'notes.txt': 'not a profile' })).keys(),
    ]).toEqual([]);
    const dir = dirWith({ 'a.json': common, 'b.json': { ...one, id: 'mine' }, 'notes.txt': 'not a profile' });
    expect([...loadDeviceProfiles(dir).keys()]).toEqual(['mine']);
  });
});

describe('control objects of the shipped IS 15959 profiles', () => {
  const COMMON_ROLES = {
    calendar: '0.0.13.0.0.255',
    specialDays: '0.0.11.0.0.255',
    imageTransfer: '0.0.44.0.0.255',
    securitySetup: '0.0.43.0.3.255',
    clock: '0.0.1.0.0.255',
    mdReset: '0.0.10.0.1.255',
  };
  const expected: Record<string, Partial<Record<ControlRole, string>>> = {
    'is15959-1ph': { disconnect: '0.0.96.3.10.255', limiter: '0.0.17.0.0.255', ...COMMON_ROLES },
    'is15959-3ph': { disconnect: '0.0.96.3.10.255', limiter: '0.0.17.0.0.255', ...COMMON_ROLES },
    // A CT-operated meter has no load switch, hence no disconnect control and no limiter.
    'is15959-ct': COMMON_ROLES,
  };

  for (const [id, roles] of Object.entries(expected)) {
    it(`${id}: each control object has its class and is used through the HLS management association`, () => {
      const p = SHIPPED.get(id)!;
      expect(Object.fromEntries(controlObjects(p).map((c) => [c.role, c.obis]))).toEqual(roles);
      for (const c of controlObjects(p)) {
        expect(p.objects.find((o) => o.obis === c.obis)?.class).toBe(CONTROL_ROLE_CLASS[c.role]);
        expect(c.association).toMatchObject({
          key: 'management',
          clientSap: 48,
          authentication: 'hls-gmac',
          rights: 'full',
        });
      }
      const security = p.objects.find((o) => o.obis === controlObject(p, 'securitySetup')!.obis)!;
      expect(security.association).toBe('management');
      expect(p.meter.relay).toBe(controlObject(p, 'disconnect')?.classId === ClassId.DisconnectControl);
    });
  }
});
