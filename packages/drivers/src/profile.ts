import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { EventCategory } from '@openhes/core';
import { parseObis } from '@openhes/cosem';
import { DriverError, DriverErrorCode } from './errors.ts';

/**
 * The part of a device profile (packages/cosem/profiles/*.json) a driver uses. Profiles are
 * data: which objects a model has, its load profiles, event logs, pushes, associations and
 * quirks. Fields the simulator adds (sources, types) are ignored here.
 */
export type CaptureRef = readonly [classId: number, obis: string, attribute: number, dataIndex?: number];

export interface ProfileObject {
  class: number;
  obis: string;
  /** Scaler of the value attribute as the model defines it (used for pushes). */
  scaler?: number;
  unit?: string;
  profile?: { kind: string; capturePeriod: number; depth: number; capture: CaptureRef[]; log?: string };
  push?: { kind: string; objects: CaptureRef[] };
}

export interface ProfileAssociation {
  key: string;
  clientSap: number;
  authentication: 'none' | 'low' | 'hls-gmac';
  policy: 'none' | 'auth' | 'enc' | 'auth+enc';
  rights: 'read' | 'full';
}

export interface ProfileEventLog {
  obis: string;
  codeObject: string;
  codes: Record<string, string>;
  /** Category of every code of this log; default by the log's key (see LOG_CATEGORY). */
  category?: EventCategory;
}

export interface DriverProfile {
  id: string;
  framing: 'hdlc' | 'wrapper';
  serverAddress: number;
  meter: { manufacturer?: string; utcOffsetMinutes: number };
  objects: ProfileObject[];
  associations: ProfileAssociation[];
  eventLogs: Record<string, ProfileEventLog>;
  quirks: {
    /** Deviation sent as local − UTC (IS 15959 vendors) instead of UTC − local. */
    deviationLocalMinusUtc?: boolean;
    /** The meter refuses range_descriptor on its load profiles: read by entries. */
    noRangeAccess?: boolean;
  };
  /** Event status word bits reported in alarm pushes: bit → meaning. */
  eventStatusBits?: Record<string, { name: string; category: EventCategory }>;
  /** Explicit register / instantaneous lists; default chosen by OBIS (see below). */
  acquisition?: { registers?: string[]; instantaneous?: string[] };
}

/** Event categories by the IS 15959 log names used in the profiles. */
export const LOG_CATEGORY: Readonly<Record<string, EventCategory>> = {
  voltage: 'power-quality',
  current: 'power-quality',
  power: 'power-failure',
  transaction: 'standard',
  other: 'tamper',
  nonRollover: 'tamper',
  control: 'disconnector',
};

type ProfileFile = Partial<DriverProfile> & { id: string; extends?: string; removeObjects?: string[] };

function bad(id: string, message: string): DriverError {
  return new DriverError(DriverErrorCode.Configuration, `device profile ${id}: ${message}`, {
    detail: { profile: id },
  });
}

export function defaultProfilesDirectory(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@openhes/cosem')), '..', 'profiles');
}

function resolveFile(id: string, files: ReadonlyMap<string, ProfileFile>, seen: string[]): ProfileFile {
  const f = files.get(id);
  if (f === undefined) throw bad(id, 'not found');
  if (seen.includes(id)) throw bad(id, `extends cycle ${[...seen, id].join(' → ')}`);
  if (f.extends === undefined) return f;
  const base = resolveFile(f.extends, files, [...seen, id]);
  const removed = new Set(f.removeObjects ?? []);
  const objects = new Map<string, ProfileObject>();
  for (const o of base.objects ?? []) if (!removed.has(o.obis)) objects.set(o.obis, o);
  for (const o of f.objects ?? []) objects.set(o.obis, o);
  return {
    ...base,
    ...f,
    meter: { ...base.meter, ...f.meter } as DriverProfile['meter'],
    quirks: { ...base.quirks, ...f.quirks },
    eventLogs: { ...base.eventLogs, ...f.eventLogs },
    associations: f.associations ?? base.associations ?? [],
    objects: [...objects.values()],
  };
}

function checked(f: ProfileFile): DriverProfile {
  if (f.framing !== 'wrapper' && f.framing !== 'hdlc') throw bad(f.id, 'framing missing');
  if (typeof f.serverAddress !== 'number') throw bad(f.id, 'serverAddress missing');
  if (typeof f.meter?.utcOffsetMinutes !== 'number') throw bad(f.id, 'meter.utcOffsetMinutes missing');
  if (!Array.isArray(f.objects) || !Array.isArray(f.associations) || f.associations.length === 0)
    throw bad(f.id, 'objects or associations missing');
  const profile: DriverProfile = {
    id: f.id,
    framing: f.framing,
    serverAddress: f.serverAddress,
    meter: f.meter,
    objects: f.objects,
    associations: f.associations,
    eventLogs: f.eventLogs ?? {},
    quirks: f.quirks ?? {},
  };
  if (f.eventStatusBits !== undefined) profile.eventStatusBits = f.eventStatusBits;
  if (f.acquisition !== undefined) profile.acquisition = f.acquisition;
  return profile;
}

/** Resolves `extends` among parsed profile files and returns the concrete profiles by id. */
export function resolveProfiles(files: readonly ProfileFile[]): Map<string, DriverProfile> {
  const byId = new Map(files.map((f) => [f.id, f]));
  const out = new Map<string, DriverProfile>();
  for (const f of files) {
    if ((f as { loadClass?: unknown }).loadClass === undefined && f.extends === undefined) continue;
    out.set(f.id, checked(resolveFile(f.id, byId, [])));
  }
  return out;
}

export function loadDriverProfiles(dir: string = defaultProfilesDirectory()): Map<string, DriverProfile> {
  const files: ProfileFile[] = [];
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.json')) files.push(JSON.parse(readFileSync(join(dir, name), 'utf8')) as ProfileFile);
  }
  return resolveProfiles(files);
}

function obisParts(obis: string): number[] {
  return parseObis(obis) as unknown as number[];
}

/** Cumulative energies (D = 8) and maximum demands (D = 6) of electricity (A = 1). */
export function registerObjects(p: DriverProfile): ProfileObject[] {
  const listed = p.acquisition?.registers;
  return p.objects.filter((o) => {
    if (listed !== undefined) return listed.includes(o.obis);
    const [a, , , d] = obisParts(o.obis);
    return (o.class === 3 || o.class === 4) && a === 1 && (d === 8 || d === 6);
  });
}

/** Instantaneous values (D = 7) of electricity (A = 1). */
export function instantaneousObjects(p: DriverProfile): ProfileObject[] {
  const listed = p.acquisition?.instantaneous;
  return p.objects.filter((o) => {
    if (listed !== undefined) return listed.includes(o.obis);
    const [a, , , d] = obisParts(o.obis);
    return o.class === 3 && a === 1 && d === 7;
  });
}

export function profileObject(p: DriverProfile, kind: string): ProfileObject | undefined {
  return p.objects.find((o) => o.class === 7 && o.profile?.kind === kind);
}

export interface EventLogObject {
  key: string;
  object: ProfileObject;
  log: ProfileEventLog;
  category: EventCategory;
}

export function eventLogObjects(p: DriverProfile): EventLogObject[] {
  const out: EventLogObject[] = [];
  for (const o of p.objects) {
    const key = o.profile?.kind === 'event' ? o.profile.log : undefined;
    const log = key === undefined ? undefined : p.eventLogs[key];
    if (key === undefined || log === undefined) continue;
    out.push({ key, object: o, log, category: log.category ?? LOG_CATEGORY[key] ?? 'other' });
  }
  return out;
}

export function pushSetups(p: DriverProfile): ProfileObject[] {
  return p.objects.filter((o) => o.class === 40 && o.push !== undefined);
}

/** What the head end holds for a meter; decides which association can be used. */
export interface MeterSecrets {
  password?: string;
  ek?: Uint8Array;
  ak?: Uint8Array;
}

/**
 * The association to read with: the named one, else the strongest the secrets allow
 * (HLS-GMAC with keys, then LLS with a password, then no authentication).
 */
export function chooseAssociation(p: DriverProfile, secrets: MeterSecrets, key?: string): ProfileAssociation {
  if (key !== undefined) {
    const a = p.associations.find((x) => x.key === key);
    if (a === undefined) throw bad(p.id, `no association ${key}`);
    return a;
  }
  const usable = (a: ProfileAssociation): boolean => {
    if (a.authentication === 'hls-gmac' || a.policy !== 'none') return !!secrets.ek && !!secrets.ak;
    if (a.authentication === 'low') return secrets.password !== undefined;
    return true;
  };
  const rank = { 'hls-gmac': 3, low: 2, none: 1 } as const;
  const best = p.associations
    .filter(usable)
    .sort((x, y) => rank[y.authentication] - rank[x.authentication])[0];
  if (best === undefined) throw bad(p.id, 'no association usable with the secrets held');
  return best;
}
