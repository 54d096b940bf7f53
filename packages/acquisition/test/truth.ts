import type { Reading, Store } from '@openhes/core';
import { type DlmsData, dateTimeFromData } from '@openhes/dlms';
import { type DriverProfile, meterInstant } from '@openhes/drivers';
import type { Fleet } from '@openhes/simulator';

/** `${obis}|${attribute}` → ts → value, in stored (scaled) units. */
export type Expected = Map<string, Map<number, number>>;

function scaled(d: DlmsData, scaler: number): number | undefined {
  if (!('value' in d)) return undefined;
  if (typeof d.value !== 'number' && typeof d.value !== 'bigint') return undefined;
  return Number(`${d.value}e${scaler}`);
}

/** Scaler of attribute 2 of a class 3/4 object, read from the truth (0 when it has none). */
function scalerOf(fleet: Fleet, index: number, classId: number, obis: string, at: number): number {
  if (classId !== 3 && classId !== 4) return 0;
  const su = fleet.truth.attributeAt(index, obis, 3, at);
  if (su.type !== 'structure') return 0;
  const s = su.value[0];
  return s !== undefined && 'value' in s && typeof s.value === 'number' ? s.value : 0;
}

function put(out: Expected, key: string, ts: number, value: number): void {
  let m = out.get(key);
  if (m === undefined) {
    m = new Map();
    out.set(key, m);
  }
  m.set(ts, value);
}

/** Rows of a profile the simulator holds for [from, to], as the values a head end must store. */
export function expectedProfile(
  fleet: Fleet,
  index: number,
  profile: DriverProfile,
  obis: string,
  from: number,
  to: number,
  out: Expected = new Map(),
): Expected {
  const capture = fleet.truth.attributeAt(index, obis, 3, to);
  if (capture.type !== 'array') throw new Error('capture objects are not an array');
  const cols = capture.value.map((c) => {
    if (c.type !== 'structure') throw new Error('capture object is not a structure');
    const [cls, ln, attr] = c.value;
    if (cls?.type !== 'long-unsigned' || ln?.type !== 'octet-string' || attr?.type !== 'integer')
      throw new Error('unexpected capture object');
    const o = Array.from(ln.value).join('.');
    return {
      classId: cls.value,
      obis: o,
      attr: attr.value,
      scaler: scalerOf(fleet, index, cls.value, o, to),
    };
  });
  for (const row of fleet.truth.profileRows(index, obis, from, to)) {
    if (row.type !== 'structure') continue;
    const clock = cols.findIndex((c) => c.classId === 8 && c.attr === 2);
    const at = meterInstant(dateTimeFromData(row.value[clock]!), profile);
    if (at === undefined || at < from || at > to) continue;
    cols.forEach((c, i) => {
      const v = scaled(row.value[i]!, c.scaler);
      if (v !== undefined && c.classId !== 8) put(out, `${c.obis}|${c.attr}`, at, v);
    });
  }
  return out;
}

/** Attribute 2 of each register at `at` (stamped to the second), as stored. */
export function expectedRegisters(
  fleet: Fleet,
  index: number,
  objects: readonly { obis: string; class: number }[],
  at: number,
  out: Expected = new Map(),
): Expected {
  const ts = Math.floor(at / 1000) * 1000;
  for (const o of objects) {
    const v = scaled(fleet.truth.registerAt(index, o.obis, at), scalerOf(fleet, index, o.class, o.obis, at));
    if (v !== undefined) put(out, `${o.obis}|2`, ts, v);
  }
  return out;
}

/** Every stored reading of a meter's channels of `kinds`, per channel key, every version. */
export async function storedReadings(
  store: Store,
  meterId: number,
  kinds: readonly string[],
  from: number,
  to: number,
): Promise<Map<string, Reading[]>> {
  const out = new Map<string, Reading[]>();
  for (const c of await store.channels.forMeter(meterId)) {
    if (!kinds.includes(c.kind)) continue;
    const all: Reading[] = [];
    let cursor: string | null = null;
    do {
      const page = await store.readings.series({
        channelId: c.id,
        from,
        to: to + 1,
        versions: 'all',
        limit: 1000,
        cursor,
      });
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    out.set(`${c.obis}|${c.attribute}`, all);
  }
  return out;
}

/**
 * Differences between what the truth says and what is stored: every expected value must be
 * stored exactly once (one version) with that value; with `exact`, nothing else may be stored.
 */
export function compare(expected: Expected, stored: Map<string, Reading[]>, exact: boolean): string[] {
  const problems: string[] = [];
  for (const [key, values] of expected) {
    const rows = stored.get(key) ?? [];
    const byTs = new Map<number, Reading[]>();
    for (const r of rows) byTs.set(r.ts, [...(byTs.get(r.ts) ?? []), r]);
    for (const [ts, v] of values) {
      const got = byTs.get(ts);
      if (got === undefined) problems.push(`${key}@${ts}: missing`);
      else if (got.length !== 1) problems.push(`${key}@${ts}: ${got.length} versions`);
      else if (got[0]!.value !== v) problems.push(`${key}@${ts}: ${got[0]!.value} != ${v}`);
    }
    if (exact)
      for (const ts of byTs.keys()) if (!values.has(ts)) problems.push(`${key}@${ts}: not in the truth`);
  }
  return problems;
}
