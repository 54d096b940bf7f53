import { ProfileInvalidError } from '../errors.ts';
import type { DeviceProfile, ObjectSpec, ProfileFile } from './schema.ts';
import { validateProfile } from './validate.ts';

/**
 * The one rule for which files are usable profiles: every file is concrete unless it says
 * `"abstract": true`. A concrete file must resolve and validate; it is never skipped.
 */
export function isConcreteProfile(f: ProfileFile): boolean {
  return f.abstract !== true;
}

function list<T>(f: ProfileFile, field: 'objects' | 'removeObjects', v: T[] | undefined): T[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new ProfileInvalidError(f.id, field, `${field} is not an array`);
  v.forEach((x, i) => {
    const ok = field === 'objects' ? typeof x === 'object' && x !== null : typeof x === 'string';
    if (!ok)
      throw new ProfileInvalidError(
        f.id,
        `${field}[${i}]`,
        `${field}[${i}] is not ${field === 'objects' ? 'an object' : 'an OBIS code'}`,
      );
  });
  return v;
}

function record<T extends object>(f: ProfileFile, field: string, v: T | undefined): T | undefined {
  if (v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v)))
    throw new ProfileInvalidError(f.id, field, `${field} is not an object`);
  return v;
}

function merge(base: ProfileFile, f: ProfileFile): ProfileFile {
  const removed = new Set(list(f, 'removeObjects', f.removeObjects));
  const objects = new Map<string, ObjectSpec>();
  for (const o of list(base, 'objects', base.objects)) if (!removed.has(o.obis)) objects.set(o.obis, o);
  for (const o of list(f, 'objects', f.objects)) objects.set(o.obis, o);
  // A base role whose object is removed (and not given again) goes with it.
  const inheritedControl = { ...record(base, 'control', base.control) };
  for (const [role, c] of Object.entries(inheritedControl))
    if (c !== undefined && removed.has(c.obis) && !objects.has(c.obis))
      delete inheritedControl[role as keyof typeof inheritedControl];
  const control = { ...inheritedControl, ...record(f, 'control', f.control) };
  const { abstract: _a, removeObjects: _r, extends: _e, ...own } = f;
  const { abstract: _ba, ...inherited } = base;
  return {
    ...inherited,
    ...own,
    meter: { ...record(base, 'meter', base.meter), ...record(f, 'meter', f.meter) },
    quirks: { ...record(base, 'quirks', base.quirks), ...record(f, 'quirks', f.quirks) },
    eventLogs: { ...record(base, 'eventLogs', base.eventLogs), ...record(f, 'eventLogs', f.eventLogs) },
    control,
    associations: f.associations ?? base.associations ?? [],
    objects: [...objects.values()],
  };
}

function resolveFile(id: string, files: ReadonlyMap<string, ProfileFile>, seen: string[]): ProfileFile {
  const f = files.get(id);
  if (f === undefined) {
    const by = seen[seen.length - 1];
    if (by === undefined) throw new ProfileInvalidError(id, 'id', 'not found');
    throw new ProfileInvalidError(by, 'extends', `extends ${id}, which is not a profile`);
  }
  if (seen.includes(id))
    throw new ProfileInvalidError(seen[0]!, 'extends', `extends cycle ${[...seen, id].join(' → ')}`);
  if (f.extends === undefined) {
    const { abstract: _a, removeObjects: _r, ...own } = f;
    return own;
  }
  if (typeof f.extends !== 'string')
    throw new ProfileInvalidError(id, 'extends', 'extends is not a profile id');
  return merge(resolveFile(f.extends, files, [...seen, id]), f);
}

function byId(files: readonly ProfileFile[]): Map<string, ProfileFile> {
  const out = new Map<string, ProfileFile>();
  for (const f of files) {
    if (typeof f?.id !== 'string' || f.id === '')
      throw new ProfileInvalidError(String(f?.id ?? '?'), 'id', 'a profile file needs an id');
    if (out.has(f.id)) throw new ProfileInvalidError(f.id, 'id', 'two files have this id');
    out.set(f.id, f);
  }
  return out;
}

/**
 * One profile with its `extends` chain merged (see ProfileFile for the rules), not yet
 * validated. Throws ProfileInvalidError for an unknown id or base and for a cycle.
 */
export function resolveProfile(
  id: string,
  files: readonly ProfileFile[] | ReadonlyMap<string, ProfileFile>,
): ProfileFile {
  const map = files instanceof Map ? files : byId(files as readonly ProfileFile[]);
  return resolveFile(id, map, []);
}

/**
 * Every concrete profile among parsed files, resolved and validated, by id. Throws the first
 * ProfileInvalidError: a set of profiles is usable as a whole or not at all.
 */
export function resolveProfiles(files: readonly ProfileFile[]): Map<string, DeviceProfile> {
  const map = byId(files);
  const out = new Map<string, DeviceProfile>();
  for (const f of files) {
    if (!isConcreteProfile(f)) continue;
    out.set(f.id, validateProfile(resolveFile(f.id, map, [])));
  }
  return out;
}
