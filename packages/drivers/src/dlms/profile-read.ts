import type { CollectedValue, Instant, TimeRange } from '@openhes/core';
import {
  type CaptureObject,
  ClassId,
  decodeCaptureObjects,
  decodeProfileBuffer,
  decodeScalerUnit,
  formatObis,
  type ProfileCell,
  type ScalerUnit,
  scalerUnitAttribute,
  unitSymbol,
} from '@openhes/cosem';
import type { DlmsData } from '@openhes/dlms';
import { DriverError, DriverErrorCode, toDriverError } from '../errors.ts';
import type { DriverProfile, ProfileObject } from '../profile.ts';
import type { DlmsClientPort } from './client-port.ts';
import { profileAccess } from './cosem-profile.ts';
import type { ModelCache, ProfileShape } from './model-cache.ts';
import { meterInstant } from './time.ts';

const PROFILE_GENERIC = ClassId.ProfileGeneric;
const CLOCK = ClassId.Clock;

async function shapeOf(
  client: DlmsClientPort,
  cache: ModelCache,
  model: string,
  obis: string,
): Promise<ProfileShape> {
  const cached = cache.shape(model, obis);
  if (cached) return cached;
  const captureObjects = decodeCaptureObjects(await client.get(obis, PROFILE_GENERIC, 3));
  const wanted = new Map<string, { co: CaptureObject; attr: number }>();
  for (const co of captureObjects) {
    const attr = scalerUnitAttribute(co.classId, co.attributeIndex);
    if (attr !== undefined) wanted.set(`${co.classId}|${formatObis(co.logicalName)}|${attr}`, { co, attr });
  }
  const found = new Map<string, ScalerUnit>();
  const items = [...wanted.entries()];
  for (let i = 0; i < items.length; i += 16) {
    const chunk = items.slice(i, i + 16);
    const results = await client.getMany(
      chunk.map(([, w]) => ({
        obis: Uint8Array.from(w.co.logicalName),
        classId: w.co.classId,
        attr: w.attr,
      })),
    );
    chunk.forEach(([k], j) => {
      const r = results[j];
      if (r?.ok) found.set(k, decodeScalerUnit(r.value));
    });
  }
  const scalers = captureObjects.map((co) => {
    const attr = scalerUnitAttribute(co.classId, co.attributeIndex);
    return attr === undefined ? undefined : found.get(`${co.classId}|${formatObis(co.logicalName)}|${attr}`);
  });
  const shape = { captureObjects, scalers };
  cache.setShape(model, obis, shape);
  return shape;
}

export interface ProfileRows {
  shape: ProfileShape;
  /** Rows whose time lies in the range, with that time. */
  rows: { at: Instant; cells: ProfileCell[] }[];
}

function rowTime(cells: readonly ProfileCell[], p: DriverProfile): Instant | undefined {
  for (const c of cells) if (c.kind === 'date-time') return meterInstant(c.value, p);
  return undefined;
}

function isRefusal(e: DriverError): boolean {
  return e.code === DriverErrorCode.Refused;
}

/**
 * Rows of one profile captured in [from, to]: by range_descriptor on the clock column, or, when
 * the model has no clock column, refuses range access or refused it once, by entries (the
 * newest ones that can cover the range when the capture period is known); when the meter
 * refuses entry access too, the whole buffer without selective access, filtered here. Without
 * a range: the whole buffer, without selective access (every row that has a time).
 */
export async function readProfileRows(
  client: DlmsClientPort,
  cache: ModelCache,
  p: DriverProfile,
  object: ProfileObject,
  range: TimeRange | undefined,
  now: Instant,
): Promise<ProfileRows> {
  const obis = object.obis;
  const shape = await shapeOf(client, cache, p.id, obis);
  if (shape.captureObjects.length === 0) return { shape, rows: [] };
  let buffer: DlmsData | undefined;
  if (range === undefined) buffer = await client.get(obis, PROFILE_GENERIC, 2);
  else buffer = await selectiveRead(client, cache, p, object, shape, range, now);
  if (buffer === undefined) buffer = await client.get(obis, PROFILE_GENERIC, 2);
  const table = decodeProfileBuffer(buffer, shape.captureObjects, shape.scalers);
  const rows: ProfileRows['rows'] = [];
  for (const cells of table.rows) {
    const at = rowTime(cells, p);
    if (at === undefined) continue;
    if (range === undefined || (at >= range.from && at <= range.to)) rows.push({ at, cells });
  }
  return { shape, rows };
}

/** By range, else by entries; undefined when the meter refuses both (or refused them before). */
async function selectiveRead(
  client: DlmsClientPort,
  cache: ModelCache,
  p: DriverProfile,
  object: ProfileObject,
  shape: ProfileShape,
  range: TimeRange,
  now: Instant,
): Promise<DlmsData | undefined> {
  const obis = object.obis;
  const hasClock = shape.captureObjects.some((co) => co.classId === CLOCK && co.attributeIndex === 2);
  if (hasClock && !p.quirks.noRangeAccess && !cache.refusesRange(p.id, obis)) {
    try {
      return await client.get(
        obis,
        PROFILE_GENERIC,
        2,
        profileAccess(shape.captureObjects, { from: new Date(range.from), to: new Date(range.to) }),
      );
    } catch (e) {
      const err = toDriverError(e);
      if (!isRefusal(err)) throw err;
      cache.markRangeRefused(p.id, obis);
    }
  }
  if (cache.refusesEntry(p.id, obis)) return undefined;
  const period = (object.profile?.capturePeriod ?? 0) * 1000;
  let fromEntry = 1;
  let toEntry = 0;
  if (period > 0) {
    const inUse = Number(numberOf(await client.get(obis, PROFILE_GENERIC, 7)));
    const wanted = Math.ceil((now - range.from) / period) + 2;
    fromEntry = Math.max(1, inUse - wanted + 1);
    toEntry = inUse;
  }
  try {
    return await client.get(
      obis,
      PROFILE_GENERIC,
      2,
      profileAccess(shape.captureObjects, { fromEntry, toEntry }),
    );
  } catch (e) {
    const err = toDriverError(e);
    if (!isRefusal(err)) throw err;
    cache.markEntryRefused(p.id, obis);
    return undefined;
  }
}

function numberOf(d: DlmsData): number | bigint {
  if ('value' in d && (typeof d.value === 'number' || typeof d.value === 'bigint')) return d.value;
  throw new DriverError(DriverErrorCode.Protocol, `expected a number, got ${d.type}`);
}

/** Numeric columns of profile rows as readings of the given channel kind. */
export function rowsToValues(
  rows: ProfileRows,
  kind: 'interval' | 'register' | 'instantaneous',
  intervalSeconds: number | null,
): CollectedValue[] {
  const out: CollectedValue[] = [];
  // One channel definition per column, shared by all of its values.
  const cols = rows.shape.captureObjects.map((co, i) => {
    const su = rows.shape.scalers[i];
    return {
      obis: formatObis(co.logicalName),
      attribute: co.attributeIndex,
      unit: su === undefined ? '' : (unitSymbol(su.unit) ?? ''),
      scaler: su?.scaler ?? 0,
      kind,
      intervalSeconds,
    };
  });
  for (const row of rows.rows) {
    const cells = row.cells;
    for (let i = 0; i < cells.length; i++) {
      const cell = cells[i]!;
      const channel = cols[i];
      if (cell.kind !== 'number' || channel === undefined) continue;
      out.push({ channel, ts: row.at, value: cell.value });
    }
  }
  return out;
}
