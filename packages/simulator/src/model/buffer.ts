import {
  AccessSelector,
  type DlmsData,
  dateTimeFromData,
  dateTimeToInstant,
  parseEntryDescriptor,
  parseRangeDescriptor,
  type SelectiveAccessDescriptor,
} from '@openhes/dlms';
import type { ProfileSpec } from '../profiles.ts';
import { billingInstants, billingStamp, events } from '../truth/measures.ts';
import type { MeterTruth } from '../truth/meter.ts';
import { floorToPeriod, type Instant } from '../truth/time.ts';
import { captureInstant, meterClock, type RowContext } from '../truth/values.ts';
import { type Catalog, type CatalogEntry, obisKey } from './catalog.ts';

export interface Row {
  at: Instant;
  ctx: RowContext;
}

/** Reads one capture column; supplied by the object model so rows and GETs share one code path. */
export type ColumnReader = (entry: CatalogEntry, attribute: number, t: Instant, ctx: RowContext) => DlmsData;

const DataAccess = { objectUndefined: 4, typeUnmatched: 12, scopeViolated: 13, otherReason: 250 } as const;

/** Rows held at `now`, oldest first, optionally only those captured in [from, to]. */
export function rows(m: MeterTruth, p: ProfileSpec, now: Instant, from = -Infinity, to = Infinity): Row[] {
  const tz = m.profile.meter.utcOffsetMinutes;
  const out: Row[] = [];
  switch (p.kind) {
    case 'block':
    case 'daily': {
      // The meter captures when its own clock reaches a period boundary; rows carry that stamp.
      const period = p.capturePeriod * 1000;
      const last = Math.min(floorToPeriod(meterClock(m, now), period, tz), floorToPeriod(to, period, tz));
      let first = last - (p.depth - 1) * period;
      if (from > first) first = floorToPeriod(from + period - 1, period, tz);
      let previous = captureInstant(m, first - period);
      for (let b = first; b <= last; b += period) {
        const at = captureInstant(m, b);
        const ctx: RowContext =
          p.kind === 'block' ? { periodMs: period, previousAt: previous, stamp: b } : { stamp: b };
        out.push({ at, ctx });
        previous = at;
      }
      return out;
    }
    case 'billing':
      for (const t of billingInstants(m, now, p.depth)) {
        const stamp = billingStamp(m, t);
        if (stamp >= from && stamp <= to) out.push({ at: t, ctx: { stamp } });
      }
      return out;
    case 'event': {
      const all = events(m, now).filter((e) => e.log === p.log);
      // A non-rollover log keeps its first entries; the others overwrite the oldest.
      const kept = p.log === 'nonRollover' ? all.slice(0, p.depth) : all.slice(-p.depth);
      for (const e of kept) {
        const stamp = meterClock(m, e.at);
        if (stamp >= from && stamp <= to) out.push({ at: e.at, ctx: { code: e.code, stamp } });
      }
      return out;
    }
    default:
      return [{ at: now, ctx: { live: true } }];
  }
}

export function entriesInUse(m: MeterTruth, p: ProfileSpec, now: Instant): number {
  if (p.kind === 'event') return Math.min(p.depth, events(m, now).filter((e) => e.log === p.log).length);
  return p.kind === 'block' || p.kind === 'daily' || p.kind === 'billing' ? p.depth : 1;
}

function rowData(cat: Catalog, p: ProfileSpec, row: Row, columns: number[], read: ColumnReader): DlmsData {
  const value: DlmsData[] = [];
  for (const c of columns) {
    const ref = p.capture[c]!;
    const entry = cat.byObis.get(ref[1]);
    value.push(entry === undefined ? { type: 'null-data' } : read(entry, ref[2], row.at, row.ctx));
  }
  return { type: 'structure', value };
}

function instantOf(m: MeterTruth, d: DlmsData): Instant {
  const dt = dateTimeFromData(d);
  const off = m.profile.meter.utcOffsetMinutes;
  if (dt.deviation === null) dt.deviation = -off;
  else if (m.profile.quirks.deviationLocalMinusUtc && dt.deviation === off) dt.deviation = -off;
  return dateTimeToInstant(dt).getTime();
}

/** Attribute 2 (buffer), with range or entry selective access. */
export function readBuffer(
  m: MeterTruth,
  cat: Catalog,
  p: ProfileSpec,
  now: Instant,
  access: SelectiveAccessDescriptor | undefined,
  read: ColumnReader,
): DlmsData | number {
  const all = p.capture.map((_, i) => i);
  if (access === undefined) {
    return { type: 'array', value: rows(m, p, now).map((r) => rowData(cat, p, r, all, read)) };
  }
  try {
    if (access.accessSelector === AccessSelector['range-descriptor']) {
      const d = parseRangeDescriptor(access.accessParameters);
      const restricting = obisKey(d.restrictingObject.instanceId);
      if (d.restrictingObject.classId !== 8 || restricting !== p.capture[0]?.[1])
        return DataAccess.scopeViolated;
      const from = instantOf(m, d.fromValue);
      const to = instantOf(m, d.toValue);
      let columns = all;
      if (d.selectedValues.length > 0) {
        columns = d.selectedValues.map((s) =>
          p.capture.findIndex(
            (c) => c[0] === s.classId && c[1] === obisKey(s.instanceId) && c[2] === s.attributeId,
          ),
        );
        if (columns.some((c) => c < 0)) return DataAccess.scopeViolated;
      }
      return {
        type: 'array',
        value: rows(m, p, now, from, to).map((r) => rowData(cat, p, r, columns, read)),
      };
    }
    if (access.accessSelector === AccessSelector['entry-descriptor']) {
      const d = parseEntryDescriptor(access.accessParameters);
      const list = rows(m, p, now);
      const fromEntry = Math.max(1, d.fromEntry);
      const toEntry = d.toEntry === 0 ? list.length : Math.min(d.toEntry, list.length);
      const fromCol = Math.max(1, d.fromSelectedValue);
      const toCol =
        d.toSelectedValue === 0 ? p.capture.length : Math.min(d.toSelectedValue, p.capture.length);
      const columns = all.slice(fromCol - 1, toCol);
      return {
        type: 'array',
        value: list.slice(fromEntry - 1, toEntry).map((r) => rowData(cat, p, r, columns, read)),
      };
    }
    return DataAccess.otherReason;
  } catch {
    return DataAccess.typeUnmatched;
  }
}
