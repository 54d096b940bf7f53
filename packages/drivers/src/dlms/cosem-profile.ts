import {
  type CaptureObject,
  ClassId,
  decodeCaptureObjects,
  decodeProfileBuffer,
  decodeScalerUnit,
  obisKey,
  type ProfileBuffer,
  type ScalerUnit,
  scalerUnitAttribute,
  toObis,
} from '@openhes/cosem';
import {
  type CosemDateTime,
  type DlmsData,
  dateTimeFromInstant,
  dateTimeToOctets,
  entryDescriptor,
  type ListResult,
  rangeDescriptor,
  type SelectiveAccessDescriptor,
  tryDateTimeToInstant,
} from '@openhes/dlms';
/**
 * 'standard': the Blue Book's UTC = local + deviation (UTC+05:30 is -330).
 * 'inverted': the meter sends local − UTC (UTC+05:30 is +330), as many IS 15959 meters do.
 */
export type DeviationSign = 'standard' | 'inverted';

export type ProfileRange = { from: Date; to: Date } | { fromEntry: number; toEntry: number };

/** Columns are the capture objects with names, units and scalers; cells are typed and scaled. */
export type ProfileTable = ProfileBuffer;

/** What readProfileTable needs from the client (DlmsClient, a DlmsClientPort). */
export interface ProfileReader {
  get(
    obis: string | Uint8Array,
    classId: number,
    attr: number,
    access?: SelectiveAccessDescriptor,
  ): Promise<DlmsData>;
  getMany(
    items: readonly { obis: string | Uint8Array; classId: number; attr: number }[],
  ): Promise<ListResult<DlmsData>[]>;
}

interface ProfileShape {
  captureObjects: CaptureObject[];
  scalers: (ScalerUnit | undefined)[];
}

const PROFILE_GENERIC = ClassId.ProfileGeneric;
const CLOCK = ClassId.Clock;

async function shapeOf(
  reader: ProfileReader,
  obis: string | Uint8Array,
  cache: Map<string, unknown>,
): Promise<ProfileShape> {
  const key = obisKey(toObis(obis));
  const cached = cache.get(key) as ProfileShape | undefined;
  if (cached) return cached;
  const captureObjects = decodeCaptureObjects(await reader.get(obis, PROFILE_GENERIC, 3));
  const wanted = captureObjects
    .map((co, column) => ({ co, column, attr: scalerUnitAttribute(co.classId, co.attributeIndex) }))
    .filter((x): x is { co: CaptureObject; column: number; attr: number } => x.attr !== undefined);
  const scalers: (ScalerUnit | undefined)[] = captureObjects.map(() => undefined);
  const byObject = new Map<string, ScalerUnit | undefined>();
  const distinct = wanted.filter((w) => {
    const k = `${w.co.classId}/${obisKey(w.co.logicalName)}`;
    if (byObject.has(k)) return false;
    byObject.set(k, undefined);
    return true;
  });
  if (distinct.length > 0) {
    const results = await reader.getMany(
      distinct.map((w) => ({ obis: Uint8Array.from(w.co.logicalName), classId: w.co.classId, attr: w.attr })),
    );
    distinct.forEach((w, i) => {
      const r = results[i];
      if (r?.ok) byObject.set(`${w.co.classId}/${obisKey(w.co.logicalName)}`, decodeScalerUnit(r.value));
    });
  }
  for (const w of wanted) scalers[w.column] = byObject.get(`${w.co.classId}/${obisKey(w.co.logicalName)}`);
  const shape = { captureObjects, scalers };
  cache.set(key, shape);
  return shape;
}

/** Restricting object of a range read: the clock column, else the first column. */
function restrictingColumn(objects: readonly CaptureObject[]): CaptureObject {
  return objects.find((co) => co.classId === CLOCK && co.attributeIndex === 2) ?? objects[0]!;
}

function instantData(at: Date): DlmsData {
  return { type: 'octet-string', value: dateTimeToOctets(dateTimeFromInstant(at, { deviation: 0 })) };
}

export function profileAccess(
  objects: readonly CaptureObject[],
  range: ProfileRange,
): SelectiveAccessDescriptor {
  if ('fromEntry' in range) {
    return entryDescriptor({
      fromEntry: range.fromEntry,
      toEntry: range.toEntry,
      fromSelectedValue: 1,
      toSelectedValue: 0,
    });
  }
  const r = restrictingColumn(objects);
  return rangeDescriptor({
    restrictingObject: {
      classId: r.classId,
      instanceId: Uint8Array.from(r.logicalName),
      attributeId: r.attributeIndex,
      dataIndex: r.dataIndex,
    },
    fromValue: instantData(range.from),
    toValue: instantData(range.to),
    selectedValues: [],
  });
}

/** A date-time as the Blue Book reads it, whatever sign convention the meter uses. */
export function standardDateTime(v: CosemDateTime, sign: DeviationSign): CosemDateTime {
  if (sign === 'standard' || v.deviation === null) return v;
  return { ...v, deviation: -v.deviation };
}

function withDeviationSign(table: ProfileTable, sign: DeviationSign): ProfileTable {
  if (sign === 'standard') return table;
  const rows = table.rows.map((row) =>
    row.map((cell) =>
      cell.kind === 'date-time'
        ? { ...cell, instant: tryDateTimeToInstant(standardDateTime(cell.value, sign)) }
        : cell,
    ),
  );
  return { ...table, rows };
}

/**
 * A load profile between two instants (range_descriptor on the clock column) or between two
 * entries (entry_descriptor, from 1; `toEntry` 0 = last), or its whole buffer without
 * selective access when `range` is undefined, with capture objects, names, units
 * and scalers. Capture objects and scalers are read once per profile and `cache`; date-times
 * are read with the meter's deviation sign convention.
 */
export async function readProfileTable(
  reader: ProfileReader,
  obis: string | Uint8Array,
  range: ProfileRange | undefined,
  cache: Map<string, unknown> = new Map(),
  sign: DeviationSign = 'standard',
): Promise<ProfileTable> {
  const shape = await shapeOf(reader, obis, cache);
  if (shape.captureObjects.length === 0) return { columns: [], rows: [] };
  const access = range === undefined ? undefined : profileAccess(shape.captureObjects, range);
  const buffer = await reader.get(obis, PROFILE_GENERIC, 2, access);
  return withDeviationSign(decodeProfileBuffer(buffer, shape.captureObjects, shape.scalers), sign);
}
