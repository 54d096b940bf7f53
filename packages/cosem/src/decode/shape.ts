import type { CosemDate, CosemDateTime, CosemTime, DlmsData, DlmsDataOf } from '@openhes/dlms';
import { dateFromOctets, dateTimeFromOctets, timeFromOctets } from '@openhes/dlms';
import { CosemError, CosemErrorCode } from '../errors.ts';
import { type Obis, obisFromBytes } from '../obis.ts';

/** Where a value sits inside an attribute, e.g. `object_list[3].access_rights`. */
export type Path = string;

export function shapeError(path: Path, message: string, cause?: unknown): never {
  throw new CosemError(CosemErrorCode.Shape, `${path}: ${message}`, { path, cause });
}

function describe(d: DlmsData): string {
  if (d.type === 'array' || d.type === 'structure' || d.type === 'compact-array') {
    return `${d.type}(${d.value.length})`;
  }
  if (d.type === 'octet-string') return `octet-string(${d.value.length})`;
  return d.type;
}

export function expectType<T extends DlmsData['type']>(d: DlmsData, type: T, path: Path): DlmsDataOf<T> {
  if (d.type !== type) shapeError(path, `expected ${type}, got ${describe(d)}`);
  return d as DlmsDataOf<T>;
}

export function expectStructure(d: DlmsData, length: number | undefined, path: Path): DlmsData[] {
  if (d.type !== 'structure') shapeError(path, `expected structure, got ${describe(d)}`);
  if (length !== undefined && d.value.length !== length) {
    shapeError(path, `expected structure of ${length} elements, got ${d.value.length}`);
  }
  return d.value;
}

/** A structure of at least `min` elements (later editions append fields). */
export function expectStructureMin(d: DlmsData, min: number, path: Path): DlmsData[] {
  const v = expectStructure(d, undefined, path);
  if (v.length < min) shapeError(path, `expected structure of at least ${min} elements, got ${v.length}`);
  return v;
}

/** array or compact-array; compact-array elements are already expanded by the A-XDR decoder. */
export function expectArray(d: DlmsData, path: Path): DlmsData[] {
  if (d.type !== 'array' && d.type !== 'compact-array')
    shapeError(path, `expected array, got ${describe(d)}`);
  return d.value;
}

export function mapArray<T>(d: DlmsData, path: Path, fn: (e: DlmsData, path: Path, i: number) => T): T[] {
  return expectArray(d, path).map((e, i) => fn(e, `${path}[${i}]`, i));
}

/**
 * The plain number types of A-XDR (integers of every width and floats): the types a value
 * attribute or a threshold is written in, and whose value is read back as a number.
 */
export const NUMBER_TYPES: ReadonlySet<DlmsData['type']> = new Set([
  'integer',
  'long',
  'double-long',
  'unsigned',
  'long-unsigned',
  'double-long-unsigned',
  'long64',
  'long64-unsigned',
  'float32',
  'float64',
]);

const INTEGER_TYPES: ReadonlySet<DlmsData['type']> = new Set([
  'integer',
  'long',
  'double-long',
  'unsigned',
  'long-unsigned',
  'double-long-unsigned',
  'enum',
  'bcd',
  'delta-integer',
  'delta-long',
  'delta-double-long',
  'delta-unsigned',
  'delta-long-unsigned',
  'delta-double-long-unsigned',
]);

export function isNumeric(d: DlmsData): d is Extract<DlmsData, { value: number | bigint }> {
  return (
    INTEGER_TYPES.has(d.type) ||
    d.type === 'long64' ||
    d.type === 'long64-unsigned' ||
    d.type === 'float32' ||
    d.type === 'float64'
  );
}

/** Any integer type (meters differ on unsigned vs enum vs long-unsigned for the same field). */
export function expectInteger(d: DlmsData, path: Path): number {
  if (INTEGER_TYPES.has(d.type)) return (d as { value: number }).value;
  if (d.type === 'long64' || d.type === 'long64-unsigned') {
    if (d.value <= BigInt(Number.MAX_SAFE_INTEGER) && d.value >= BigInt(Number.MIN_SAFE_INTEGER)) {
      return Number(d.value);
    }
    shapeError(path, `${d.type} ${d.value} exceeds the safe integer range`);
  }
  return shapeError(path, `expected an integer, got ${describe(d)}`);
}

export function expectNumber(d: DlmsData, path: Path): number | bigint {
  if (isNumeric(d)) return d.value;
  return shapeError(path, `expected a number, got ${describe(d)}`);
}

export function expectBoolean(d: DlmsData, path: Path): boolean {
  return expectType(d, 'boolean', path).value;
}

export function expectOctets(d: DlmsData, path: Path, length?: number): Uint8Array {
  const v = expectType(d, 'octet-string', path).value;
  if (length !== undefined && v.length !== length) {
    shapeError(path, `expected octet-string of ${length} bytes, got ${v.length}`);
  }
  return v;
}

/** Strings as meters send them: octet-string (as latin1), visible-string or utf8-string. */
export function expectText(d: DlmsData, path: Path): string {
  if (d.type === 'visible-string' || d.type === 'utf8-string') return d.value;
  if (d.type === 'octet-string') return latin1(d.value);
  return shapeError(path, `expected a string, got ${describe(d)}`);
}

export function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

export function expectLogicalName(d: DlmsData, path: Path): Obis {
  return obisFromBytes(expectOctets(d, path, 6));
}

/** date-time as a 12-byte octet-string (the Blue Book convention) or as the date-time tag. */
export function expectDateTime(d: DlmsData, path: Path): CosemDateTime {
  if (d.type === 'date-time') return d.value;
  try {
    return dateTimeFromOctets(expectOctets(d, path, 12));
  } catch (e) {
    if (e instanceof CosemError) throw e;
    return shapeError(path, 'not a date-time', e);
  }
}

export function expectDate(d: DlmsData, path: Path): CosemDate {
  if (d.type === 'date') return d.value;
  try {
    return dateFromOctets(expectOctets(d, path, 5));
  } catch (e) {
    if (e instanceof CosemError) throw e;
    return shapeError(path, 'not a date', e);
  }
}

export function expectTime(d: DlmsData, path: Path): CosemTime {
  if (d.type === 'time') return d.value;
  try {
    return timeFromOctets(expectOctets(d, path, 4));
  } catch (e) {
    if (e instanceof CosemError) throw e;
    return shapeError(path, 'not a time', e);
  }
}

export function element(items: readonly DlmsData[], i: number, path: Path): DlmsData {
  const e = items[i];
  if (e === undefined) shapeError(path, `missing element ${i}`);
  return e;
}

/** Enumeration names as data: value → name. */
export type EnumNames = Readonly<Record<number, string>>;

export interface NamedValue {
  value: number;
  name: string | undefined;
}

export function named(value: number, names: EnumNames): NamedValue {
  return { value, name: names[value] };
}
