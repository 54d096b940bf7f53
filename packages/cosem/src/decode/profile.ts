import type { CosemDateTime, DlmsData } from '@openhes/dlms';
import { dateTimeFromOctets, formatDateTime, toHex, tryDateTimeToInstant } from '@openhes/dlms';
import { attributeDef } from '../classes/index.ts';
import { obisKey } from '../obis.ts';
import { obisName } from '../obis-names.ts';
import { applyScaler, decodeScalerUnit, formatScaled, type ScalerUnit } from '../units.ts';
import { type CaptureObject, decodeCaptureObjects } from './objects.ts';
import { expectArray, expectDateTime, expectStructure, isNumeric, type Path, shapeError } from './shape.ts';

export type ProfileCell =
  /** `instant` is the UTC time when every field is specified (deviation included). */
  | { kind: 'date-time'; value: CosemDateTime; instant: Date | undefined }
  | { kind: 'number'; value: number; raw: number | bigint; scalerUnit: ScalerUnit | undefined }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'text'; value: string }
  | { kind: 'null' }
  /** Anything else (octet-strings, bit-strings, structures) as it came. */
  | { kind: 'data'; value: DlmsData };

export interface ProfileColumn {
  captureObject: CaptureObject;
  name: string | undefined;
  attributeName: string | undefined;
  scalerUnit: ScalerUnit | undefined;
  /** The capture object's attribute is a date-time (clock time, capture_time …). */
  isDateTime: boolean;
}

export interface ProfileBuffer {
  columns: ProfileColumn[];
  rows: ProfileCell[][];
}

/**
 * Scalers per column: an array indexed like the capture objects, or a map keyed by
 * `obisKey(logical_name)` (as built by `scalersFromScalerProfile`).
 */
export type ScalerSource = ReadonlyMap<string, ScalerUnit> | readonly (ScalerUnit | null | undefined)[];

function scalerFor(
  scalers: ScalerSource | undefined,
  co: CaptureObject,
  column: number,
): ScalerUnit | undefined {
  if (scalers === undefined) return undefined;
  if (Array.isArray(scalers))
    return (scalers as readonly (ScalerUnit | null | undefined)[])[column] ?? undefined;
  return (scalers as ReadonlyMap<string, ScalerUnit>).get(obisKey(co.logicalName));
}

function isDateTimeAttribute(co: CaptureObject): boolean {
  return co.dataIndex === 0 && attributeDef(co.classId, co.attributeIndex)?.type === 'date-time';
}

const inRange = (v: number, lo: number, hi: number, ...special: number[]) =>
  (v >= lo && v <= hi) || special.includes(v);

/** A 12-byte octet-string whose every field is a legal date-time value or wildcard. */
export function looksLikeDateTime(bytes: Uint8Array): boolean {
  if (bytes.length !== 12) return false;
  const deviation = (bytes[9]! << 8) | bytes[10]!;
  const signed = deviation >= 0x8000 ? deviation - 0x10000 : deviation;
  return (
    inRange(bytes[2]!, 1, 12, 0xfd, 0xfe, 0xff) &&
    inRange(bytes[3]!, 1, 31, 0xfd, 0xfe, 0xff) &&
    inRange(bytes[4]!, 1, 7, 0xff) &&
    inRange(bytes[5]!, 0, 23, 0xff) &&
    inRange(bytes[6]!, 0, 59, 0xff) &&
    inRange(bytes[7]!, 0, 59, 0xff) &&
    inRange(bytes[8]!, 0, 99, 0xff) &&
    (deviation === 0x8000 || inRange(signed, -720, 720))
  );
}

function dateTimeCell(value: CosemDateTime): ProfileCell {
  return { kind: 'date-time', value, instant: tryDateTimeToInstant(value) };
}

export function decodeProfileCell(
  d: DlmsData,
  column: Pick<ProfileColumn, 'isDateTime' | 'scalerUnit'>,
  path: Path,
): ProfileCell {
  if (d.type === 'null-data') return { kind: 'null' };
  if (d.type === 'date-time') return dateTimeCell(d.value);
  if (column.isDateTime) return dateTimeCell(expectDateTime(d, path));
  if (d.type === 'octet-string' && looksLikeDateTime(d.value))
    return dateTimeCell(dateTimeFromOctets(d.value));
  if (isNumeric(d)) {
    const su = column.scalerUnit;
    const value = su === undefined ? Number(d.value) : applyScaler(d.value, su.scaler);
    return { kind: 'number', value, raw: d.value, scalerUnit: su };
  }
  if (d.type === 'boolean') return { kind: 'boolean', value: d.value };
  if (d.type === 'visible-string' || d.type === 'utf8-string') return { kind: 'text', value: d.value };
  return { kind: 'data', value: d };
}

export function profileColumns(
  captureObjects: readonly CaptureObject[],
  scalers?: ScalerSource,
): ProfileColumn[] {
  return captureObjects.map((co, i) => ({
    captureObject: co,
    name: obisName(co.logicalName),
    attributeName:
      attributeDef(co.classId, co.attributeIndex)?.name ??
      (co.attributeIndex === 1 ? 'logical_name' : undefined),
    scalerUnit: scalerFor(scalers, co, i),
    isDateTime: isDateTimeAttribute(co),
  }));
}

/**
 * Profile generic `buffer` (attribute 2): an array of structures, one element per capture
 * object, in capture-object order. Date-times are recognised by the capture object's
 * attribute type (clock.time, capture_time …) or by a plausible 12-byte octet-string;
 * numbers are scaled by the column's scaler.
 */
export function decodeProfileBuffer(
  buffer: DlmsData,
  captureObjects: readonly CaptureObject[] | DlmsData,
  scalers?: ScalerSource,
  path: Path = 'buffer',
): ProfileBuffer {
  const objects = isCaptureObjectList(captureObjects) ? captureObjects : decodeCaptureObjects(captureObjects);
  const columns = profileColumns(objects, scalers);
  const rows = expectArray(buffer, path).map((row, r) => {
    const rowPath = `${path}[${r}]`;
    const cells = expectStructure(row, undefined, rowPath);
    if (cells.length !== columns.length) {
      shapeError(rowPath, `row has ${cells.length} elements, capture_objects has ${columns.length}`);
    }
    return cells.map((cell, c) => decodeProfileCell(cell, columns[c]!, `${rowPath}[${c}]`));
  });
  return { columns, rows };
}

function isCaptureObjectList(x: readonly CaptureObject[] | DlmsData): x is readonly CaptureObject[] {
  return Array.isArray(x);
}

/**
 * A scaler profile (IS 15959 1.0.94.91.3…7.255): capture objects are the scaler_unit
 * attributes of registers, the single buffer row holds their scal_unit_type values.
 * Returns scalers keyed by `obisKey(logical_name)` for `decodeProfileBuffer`.
 */
export function scalersFromScalerProfile(
  buffer: DlmsData,
  captureObjects: readonly CaptureObject[] | DlmsData,
  path: Path = 'buffer',
): Map<string, ScalerUnit> {
  const objects = isCaptureObjectList(captureObjects) ? captureObjects : decodeCaptureObjects(captureObjects);
  const rows = expectArray(buffer, path);
  const out = new Map<string, ScalerUnit>();
  const row = rows[rows.length - 1];
  if (row === undefined) return out;
  const rowPath = `${path}[${rows.length - 1}]`;
  const cells = expectStructure(row, objects.length, rowPath);
  objects.forEach((co, i) => {
    out.set(obisKey(co.logicalName), decodeScalerUnit(cells[i]!, `${rowPath}[${i}]`));
  });
  return out;
}

/** One line of text per cell, for tables in the CLI and logs. */
export function formatProfileCell(cell: ProfileCell): string {
  switch (cell.kind) {
    case 'date-time':
      return formatDateTime(cell.value);
    case 'number':
      return formatScaled(cell.value, cell.scalerUnit);
    case 'boolean':
      return String(cell.value);
    case 'text':
      return cell.value;
    case 'null':
      return '-';
    case 'data':
      return cell.value.type === 'octet-string' ? toHex(cell.value.value) : cell.value.type;
  }
}
