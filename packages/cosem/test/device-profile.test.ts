import { describe, expect, it } from 'vitest';
import {
  CosemError,
  CosemErrorCode,
  controlObject,
  controlObjects,
  type DeviceProfile,
  isConcreteProfile,
  type ProfileFile,
  ProfileInvalidError,
  resolveProfile,
  resolveProfiles,
  validateProfile,
} from '../src/index.ts';

/** A small abstract base and a concrete model extending it, valid as they stand. */
function base(): ProfileFile {
  return {
    id: 'base',
    abstract: true,
    description: 'shared objects',
    framing: 'wrapper',
    serverAddress: 1,
    meter: {
      manufacturer: 'Test',
      nominalVoltage: 240,
      nominalFrequency: 50,
      yearOfManufacture: 2025,
      utcOffsetMinutes: 330,
    },
    associations: [
      {
        key: 'public',
        clientSap: 16,
        logicalName: '0.0.40.0.1.255',
        authentication: 'none',
        policy: 'none',
        objects: ['0.0.40.0.1.255', '0.0.1.0.0.255'],
        rights: 'read',
      },
      {
        key: 'management',
        clientSap: 48,
        logicalName: '0.0.40.0.3.255',
        authentication: 'hls-gmac',
        policy: 'auth+enc',
        objects: '*',
        rights: 'full',
      },
    ],
    eventLogs: {
      control: {
        obis: '0.0.99.98.6.255',
        codeObject: '0.0.96.11.6.255',
        codes: { '301': 'Load disconnected' },
      },
    },
    quirks: { clockDriftPpm: 2, billingDay: 1 },
    control: {
      clock: { obis: '0.0.1.0.0.255', association: 'management' },
      calendar: { obis: '0.0.13.0.0.255', association: 'management' },
    },
    objects: [
      { class: 15, obis: '0.0.40.0.1.255', association: 'public' },
      { class: 15, obis: '0.0.40.0.3.255', association: 'management' },
      { class: 64, obis: '0.0.43.0.3.255', association: 'management' },
      { class: 8, obis: '0.0.1.0.0.255' },
      { class: 20, obis: '0.0.13.0.0.255' },
      { class: 1, obis: '0.0.96.11.6.255', source: 'eventCode', type: 'long-unsigned' },
      {
        class: 7,
        obis: '0.0.99.98.6.255',
        profile: {
          kind: 'event',
          capturePeriod: 0,
          depth: 100,
          capture: [
            [8, '0.0.1.0.0.255', 2],
            [1, '0.0.96.11.6.255', 2],
          ],
          log: 'control',
        },
      },
      {
        class: 3,
        obis: '1.0.1.8.0.255',
        source: 'import.wh',
        type: 'double-long-unsigned',
        scaler: 0,
        unit: 'activeEnergy',
      },
    ],
  };
}

function model(): ProfileFile {
  return {
    id: 'model',
    extends: 'base',
    description: 'a single-phase model',
    loadClass: 'residential',
    meter: {
      type: 6,
      category: 'D1',
      currentRating: '(10-60) A',
      phases: 1,
      ctOperated: false,
      relay: true,
      maxCurrent: 60,
      serialPrefix: 'T1',
      firmware: 'T1-01',
    },
    quirks: { deviationLocalMinusUtc: true },
    control: {
      disconnect: { obis: '0.0.96.3.10.255', association: 'management' },
      limiter: { obis: '0.0.17.0.0.255', association: 'management' },
    },
    objects: [
      { class: 70, obis: '0.0.96.3.10.255' },
      { class: 71, obis: '0.0.17.0.0.255' },
      {
        class: 3,
        obis: '1.0.1.8.0.255',
        source: 'import.wh',
        type: 'double-long-unsigned',
        scaler: 1,
        unit: 'activeEnergy',
      },
      {
        class: 40,
        obis: '0.4.25.9.0.255',
        push: {
          kind: 'alarm',
          objects: [[40, '0.4.25.9.0.255', 1]],
          protection: { policy: 'auth+enc', style: 'general-glo', association: 'management' },
        },
      },
    ],
  };
}

function resolved(): DeviceProfile {
  return resolveProfiles([base(), model()]).get('model')!;
}

/** The ProfileInvalidError `run` throws. */
function refusal(run: () => unknown): ProfileInvalidError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(ProfileInvalidError);
    expect(e).toBeInstanceOf(CosemError);
    return e as ProfileInvalidError;
  }
  throw new Error('expected a ProfileInvalidError');
}

describe('device profile resolver', () => {
  it('merges an extends chain: objects by OBIS (extending file wins), meter, quirks, logs and control key by key', () => {
    const p = resolved();
    expect(p.id).toBe('model');
    expect(p.objects.map((o) => o.obis)).toEqual([
      '0.0.40.0.1.255',
      '0.0.40.0.3.255',
      '0.0.43.0.3.255',
      '0.0.1.0.0.255',
      '0.0.13.0.0.255',
      '0.0.96.11.6.255',
      '0.0.99.98.6.255',
      '1.0.1.8.0.255',
      '0.0.96.3.10.255',
      '0.0.17.0.0.255',
      '0.4.25.9.0.255',
    ]);
    expect(p.objects.find((o) => o.obis === '1.0.1.8.0.255')?.scaler).toBe(1);
    expect(p.meter.utcOffsetMinutes).toBe(330);
    expect(p.meter.phases).toBe(1);
    expect(p.quirks).toEqual({ clockDriftPpm: 2, billingDay: 1, deviationLocalMinusUtc: true });
    expect(Object.keys(p.control).sort()).toEqual(['calendar', 'clock', 'disconnect', 'limiter']);
    expect(p.associations.map((a) => a.key)).toEqual(['public', 'management']);
    expect('extends' in p || 'abstract' in p || 'removeObjects' in p).toBe(false);
  });

  it('returns only concrete profiles: a file is concrete unless it says abstract', () => {
    expect(isConcreteProfile(base())).toBe(false);
    expect(isConcreteProfile(model())).toBe(true);
    expect([...resolveProfiles([base(), model()]).keys()]).toEqual(['model']);
  });

  it('removeObjects drops base objects and the control roles they played', () => {
    const m = model();
    m.removeObjects = ['0.0.13.0.0.255'];
    const p = resolveProfiles([base(), m]).get('model')!;
    expect(p.objects.some((o) => o.obis === '0.0.13.0.0.255')).toBe(false);
    expect(p.control.calendar).toBeUndefined();
    expect(controlObject(p, 'calendar')).toBeUndefined();
    expect(p.control.clock).toEqual({ obis: '0.0.1.0.0.255', association: 'management' });
    // Removed and given again by the extending file: the object and its role stay.
    m.objects!.push({ class: 20, obis: '0.0.13.0.0.255', version: 0 });
    const again = resolveProfiles([base(), m]).get('model')!;
    expect(again.objects.find((o) => o.obis === '0.0.13.0.0.255')?.version).toBe(0);
    expect(controlObject(again, 'calendar')?.classId).toBe(20);
  });

  it('an extending file replaces the associations as a whole', () => {
    const m = model();
    m.associations = [base().associations![1]!];
    expect(
      resolveProfiles([base(), m])
        .get('model')!
        .associations.map((a) => a.key),
    ).toEqual(['management']);
  });

  it('detects an extends cycle', () => {
    const a = { ...model(), id: 'a', extends: 'b' };
    const b = { ...model(), id: 'b', extends: 'a' };
    const e = refusal(() => resolveProfiles([a, b]));
    expect(e.code).toBe(CosemErrorCode.ProfileInvalid);
    expect(e.code).toBe('COSEM_PROFILE_INVALID');
    expect(e.field).toBe('extends');
    expect(e.message).toMatch(/extends cycle a → b → a/);
    expect(refusal(() => resolveProfile('self', [{ ...model(), id: 'self', extends: 'self' }])).field).toBe(
      'extends',
    );
  });

  it('names the profile whose base is missing, and a duplicate id', () => {
    const e = refusal(() => resolveProfiles([model()]));
    expect([e.profile, e.field]).toEqual(['model', 'extends']);
    expect(e.detail).toEqual({ profile: 'model', field: 'extends' });
    const d = refusal(() => resolveProfiles([base(), model(), model()]));
    expect([d.profile, d.field]).toEqual(['model', 'id']);
    expect(refusal(() => resolveProfile('nobody', [base()])).field).toBe('id');
  });

  it('refuses a concrete file that is incomplete instead of skipping it', () => {
    const m = model();
    delete m.loadClass;
    const e = refusal(() => resolveProfiles([base(), m]));
    expect([e.profile, e.field]).toEqual(['model', 'loadClass']);
  });
});

describe('device profile validator', () => {
  type Mutation = [name: string, field: string, change: (p: DeviceProfile) => void, message?: RegExp];
  const obj = (p: DeviceProfile, obis: string) => p.objects.find((o) => o.obis === obis)!;
  const at = (p: DeviceProfile, obis: string) => `objects[${p.objects.findIndex((o) => o.obis === obis)}]`;
  const cases: Mutation[] = [
    ['missing description', 'description', (p) => delete (p as Partial<DeviceProfile>).description],
    ['unknown load class', 'loadClass', (p) => Object.assign(p, { loadClass: 'farm' })],
    ['unknown framing', 'framing', (p) => Object.assign(p, { framing: 'serial' })],
    ['wrapper port beyond 16 bits', 'serverAddress', (p) => Object.assign(p, { serverAddress: 0x10000 })],
    [
      'HDLC address beyond 14 bits',
      'serverAddress',
      (p) => Object.assign(p, { framing: 'hdlc', serverAddress: 0x4000 }),
    ],
    [
      'meter without UTC offset',
      'meter.utcOffsetMinutes',
      (p) => delete (p.meter as Partial<DeviceProfile['meter']>).utcOffsetMinutes,
    ],
    ['meter with 2 phases', 'meter.phases', (p) => Object.assign(p.meter, { phases: 2 })],
    [
      'invalid OBIS',
      'objects[0].obis',
      (p) => Object.assign(p.objects[0]!, { obis: '1.2.3' }),
      /invalid OBIS/,
    ],
    [
      'object listed twice',
      'objects[1].obis',
      (p) => Object.assign(p.objects[1]!, { obis: p.objects[0]!.obis }),
      /twice/,
    ],
    [
      'class not modelled',
      'objects[0].class',
      (p) => Object.assign(p.objects[0]!, { class: 99 }),
      /not modelled/,
    ],
    [
      'register without scaler',
      '*.scaler',
      (p) => delete obj(p, '1.0.1.8.0.255').scaler,
      /needs scaler and unit/,
    ],
    ['scaler out of range', '*.scaler', (p) => Object.assign(obj(p, '1.0.1.8.0.255'), { scaler: 200 })],
    [
      'unknown unit',
      '*.unit',
      (p) => Object.assign(obj(p, '1.0.1.8.0.255'), { unit: 'parsec' }),
      /unknown unit/,
    ],
    [
      'unknown wire type',
      '*.type',
      (p) => Object.assign(obj(p, '1.0.1.8.0.255'), { type: 'float128' }),
      /unknown type/,
    ],
    ['register without wire type', '*.type', (p) => delete obj(p, '1.0.1.8.0.255').type],
    [
      'profile generic without profile',
      '0.0.99.98.6.255.profile',
      (p) => delete obj(p, '0.0.99.98.6.255').profile,
    ],
    [
      'capture of a missing object',
      '0.0.99.98.6.255.profile.capture[2]',
      (p) => obj(p, '0.0.99.98.6.255').profile!.capture.push([3, '1.0.99.99.0.255', 2]),
      /not an object/,
    ],
    [
      'capture with the wrong class',
      '0.0.99.98.6.255.profile.capture[1]',
      (p) => (obj(p, '0.0.99.98.6.255').profile!.capture[1] = [3, '0.0.96.11.6.255', 2]),
      /as class 3, object is class 1/,
    ],
    [
      'capture of an attribute the class lacks',
      '0.0.99.98.6.255.profile.capture[0]',
      (p) => (obj(p, '0.0.99.98.6.255').profile!.capture[0] = [8, '0.0.1.0.0.255', 42]),
      /no attribute 42/,
    ],
    [
      'event profile without code table',
      '0.0.99.98.6.255.profile.log',
      (p) => Object.assign(obj(p, '0.0.99.98.6.255').profile!, { log: 'nothing' }),
      /no code table/,
    ],
    [
      'event log of a missing object',
      'eventLogs.control.codeObject',
      (p) => Object.assign(p.eventLogs.control!, { codeObject: '0.0.96.11.9.255' }),
    ],
    [
      'event log with unknown category',
      'eventLogs.control.category',
      (p) => Object.assign(p.eventLogs.control!, { category: 'weather' }),
    ],
    ['push setup without push', '0.4.25.9.0.255.push', (p) => delete obj(p, '0.4.25.9.0.255').push],
    [
      'push keys of an unknown association',
      '0.4.25.9.0.255.push.protection.association',
      (p) => Object.assign(obj(p, '0.4.25.9.0.255').push!.protection!, { association: 'nobody' }),
      /unknown association nobody/,
    ],
    [
      'HDLC setup out of range',
      'objects[11].hdlc.windowSizeReceive',
      (p) =>
        p.objects.push({
          class: 23,
          obis: '0.0.22.0.0.255',
          hdlc: {
            commSpeed: 5,
            windowSizeTransmit: 1,
            windowSizeReceive: 9,
            maxInfoFieldLengthTransmit: 128,
            maxInfoFieldLengthReceive: 128,
            interOctetTimeOut: 25,
            inactivityTimeOut: 120,
            deviceAddress: 16,
          },
        }),
    ],
    [
      'HDLC setup without values',
      'objects[11].hdlc',
      (p) => p.objects.push({ class: 23, obis: '0.0.22.0.0.255' }),
    ],
    ['no associations', 'associations', (p) => (p.associations = [])],
    [
      'association object not class 15',
      'associations[0].logicalName',
      (p) => Object.assign(p.associations[0]!, { logicalName: '0.0.1.0.0.255' }),
    ],
    [
      'association listing an unknown object',
      'associations[0].objects[0]',
      (p) => Object.assign(p.associations[0]!, { objects: ['9.9.9.9.9.9'] }),
      /unknown/,
    ],
    [
      'association key twice',
      'associations[1].key',
      (p) => Object.assign(p.associations[1]!, { key: 'public' }),
    ],
    [
      'security setup of an unknown association',
      '0.0.43.0.3.255.association',
      (p) => Object.assign(obj(p, '0.0.43.0.3.255'), { association: 'nobody' }),
    ],
    [
      'unknown control role',
      'control.teleport',
      (p) => Object.assign(p.control, { teleport: { obis: '0.0.1.0.0.255', association: 'management' } }),
      /unknown control role/,
    ],
    [
      'control object with the wrong class',
      'control.disconnect.obis',
      (p) => (p.control.disconnect = { obis: '0.0.17.0.0.255', association: 'management' }),
      /class 71, the role needs class 70/,
    ],
    [
      'control object missing',
      'control.limiter.obis',
      (p) => (p.control.limiter = { obis: '0.0.17.0.1.255', association: 'management' }),
      /not an object/,
    ],
    [
      'control by an unknown association',
      'control.disconnect.association',
      (p) => (p.control.disconnect!.association = 'firmware'),
      /unknown association firmware/,
    ],
    [
      'control by a read-only association',
      'control.disconnect.association',
      (p) => (p.control.disconnect!.association = 'public'),
      /may only read/,
    ],
    [
      'control by an association that does not list the object',
      'control.calendar.association',
      (p) => {
        Object.assign(p.associations[0]!, { rights: 'full' });
        p.control.calendar!.association = 'public';
      },
      /does not list 0.0.13.0.0.255/,
    ],
    [
      'event status bit with unknown category',
      'eventStatusBits.3.category',
      (p) => (p.eventStatusBits = { '3': { name: 'Magnet', category: 'weather' as 'tamper' } }),
    ],
    [
      'invocation counter that is not a class-1 object',
      'associations[1].invocationCounter',
      (p) => Object.assign(p.associations[1]!, { invocationCounter: '0.0.43.0.3.255' }),
      /not a class-1 object/,
    ],
    [
      'invocation counter read over an unauthenticated association',
      'associations[0].invocationCounter',
      (p) => {
        p.associations[0]!.objects = ['0.0.40.0.1.255', '0.0.1.0.0.255', '0.0.96.11.6.255'];
        Object.assign(p.associations[0]!, { invocationCounter: '0.0.96.11.6.255' });
      },
      /only over an authenticated association/,
    ],
    [
      'acquisition list naming a missing object',
      'acquisition.registers[0]',
      (p) => (p.acquisition = { registers: ['1.0.99.8.0.255'] }),
    ],
    [
      'counter-reset quirk naming something that is not a key purpose',
      'quirks.counterResetsOnKeyChange',
      (p) => (p.quirks = { ...p.quirks, counterResetsOnKeyChange: ['guek', 'master'] }),
      /must list key purposes/,
    ],
  ];

  it('accepts the resolved model as it stands', () => {
    expect(validateProfile(resolved())).toEqual(resolved());
  });

  for (const [name, field, change, message] of cases) {
    it(`refuses ${name} with COSEM_PROFILE_INVALID naming the field`, () => {
      const p = structuredClone(resolved());
      const expected = field.startsWith('*.')
        ? `${at(p, '1.0.1.8.0.255')}${field.slice(1)}`
        : /^\d/.test(field)
          ? `${at(p, field.split('.').slice(0, 6).join('.'))}.${field.split('.').slice(6).join('.')}`
          : field;
      change(p);
      const e = refusal(() => validateProfile(p));
      expect(e.code).toBe('COSEM_PROFILE_INVALID');
      expect(e.retryable).toBe(false);
      expect(e.profile).toBe('model');
      expect(e.field).toBe(expected);
      expect(e.detail).toEqual({ profile: 'model', field: expected });
      expect(e.message).toMatch(/^device profile model: /);
      if (message) expect(e.message).toMatch(message);
    });
  }
});

describe('control objects', () => {
  it('finds each role with its class and the association that may use it', () => {
    const p = resolved();
    const d = controlObject(p, 'disconnect')!;
    expect(d.obis).toBe('0.0.96.3.10.255');
    expect(d.classId).toBe(70);
    expect(d.association.key).toBe('management');
    expect(d.association.rights).toBe('full');
    expect(controlObject(p, 'specialDays')).toBeUndefined();
    expect(controlObjects(p).map((c) => [c.role, c.classId])).toEqual([
      ['disconnect', 70],
      ['limiter', 71],
      ['calendar', 20],
      ['clock', 8],
    ]);
  });

  it('works on a narrower view that carries only control and associations', () => {
    expect(controlObject({ associations: [{ key: 'x' }] }, 'disconnect')).toBeUndefined();
    expect(
      controlObject(
        { control: { limiter: { obis: '0.0.17.0.0.255', association: 'x' } }, associations: [{ key: 'x' }] },
        'limiter',
      ),
    ).toEqual({ role: 'limiter', obis: '0.0.17.0.0.255', classId: 71, association: { key: 'x' } });
  });
});
