import { parse } from 'csv-parse/sync';
import {
  type CustomerClass,
  type KeyPurpose,
  type Meter,
  type MeterPatch,
  MeterProtocol,
  MeterStatus,
  type NewMeter,
  type PaymentMode,
} from '../domain/meter.ts';
import { CodedError, CoreErrorCode, ErrorKind, isCodedError, ValidationError } from '../errors.ts';
import type { MeterStore, SecretVault } from '../ports.ts';
import { validateNewMeter, validateText } from '../validation.ts';
import { formatMeterAddress, type MeterEndpoint } from './meter-address.ts';

/**
 * The one meter import. A meter list is CSV (RFC 4180, a header row naming the columns) or a
 * JSON array of objects, in either of two shapes that may be mixed column by column:
 * - the registry's own fields (`serial, manufacturer, model, deviceProfile, protocol,
 *   address, status, customerClass, tariff, paymentMode, servicePointId, sectionId, keyRefs,
 *   firmwareVersion, tags, segment`); in CSV `tags` is one cell, tags separated by `;`;
 * - the simulator's export (`serial, host, port, framing, serverAddress, profile, loadClass,
 *   systemTitle, password, ek, ak, kek`, plus informational columns that are ignored).
 * Rules, the same for every caller:
 * - each row is checked on its own; a problem names its row, source line and field;
 * - a device profile must be one of the known profiles when the caller passes them;
 * - the protocol must be one a driver speaks and the address one its driver can dial
 *   (`meterRecordProblem`, the same rule the head end applies to stored records at start);
 * - secrets (password, ek, ak, kek) are stored through the secret vault, never in the meter,
 *   and never appear in a problem's message;
 * - a created meter whose row gives no status is `active` (IMPORT_DEFAULT_STATUS): it is read
 *   by the plans that select it; a row may give `registered`, `commissioned` or `suspended`;
 * - a serial already registered (or repeated in the list) is updated from the row: the
 *   fields the row gives replace the stored ones (status is never changed by an import).
 */
export const MeterImportCode = {
  /** The list has no rows (or no header row). */
  Empty: 'IMPORT_EMPTY',
  /** The list is not JSON/CSV that can be read at all. */
  Malformed: 'IMPORT_MALFORMED',
  /** A column (or JSON property) no rule knows. */
  UnknownColumn: 'IMPORT_UNKNOWN_COLUMN',
  /** A row breaks a field rule. */
  InvalidRow: 'VALIDATION_FAILED',
  /** A row names a device profile the head end does not know. */
  UnknownProfile: 'IMPORT_UNKNOWN_PROFILE',
  /** A row carries secrets and the import has no secret vault to put them in. */
  NoVault: 'IMPORT_NO_VAULT',
  /** A row's address is not one its protocol's driver can dial. */
  BadAddress: 'IMPORT_BAD_ADDRESS',
  /** A row names a protocol no driver of the head end speaks. */
  NoDriver: 'IMPORT_NO_DRIVER',
} as const;
export type MeterImportCode = (typeof MeterImportCode)[keyof typeof MeterImportCode];

/** The whole list cannot be imported (as opposed to one row of it). */
export class MeterImportError extends CodedError {
  constructor(code: MeterImportCode, message: string, detail?: Record<string, unknown>) {
    super(ErrorKind.invalid, code, message, detail === undefined ? {} : { detail });
    this.name = 'MeterImportError';
  }
}

/** One row of a meter list: its position among the rows (1-based) and its first source line. */
export interface MeterListRow {
  row: number;
  line: number;
  value: Readonly<Record<string, unknown>>;
}

export interface MeterImportProblem {
  row: number;
  line: number;
  /** The offending column, when one is to blame. */
  field?: string;
  code: string;
  message: string;
}

const REGISTRY_COLUMNS = [
  'serial',
  'manufacturer',
  'model',
  'deviceProfile',
  'protocol',
  'address',
  'keyRefs',
  'status',
  'customerClass',
  'tariff',
  'paymentMode',
  'servicePointId',
  'sectionId',
  'firmwareVersion',
  'tags',
  'segment',
] as const;
const SIMULATOR_COLUMNS = [
  'host',
  'port',
  'framing',
  'serverAddress',
  'profile',
  'loadClass',
  'systemTitle',
  'password',
  'ek',
  'ak',
  'kek',
] as const;
/** Columns of the simulator's export that describe the simulated meter, not the registry. */
const IGNORED_COLUMNS = [
  'id',
  'role',
  'transformer',
  'feeder',
  'associations',
  'securitySuite',
  'pushProtection',
  'pushClientSap',
  'deviationConvention',
] as const;
const KNOWN_COLUMNS: ReadonlySet<string> = new Set<string>([
  ...REGISTRY_COLUMNS,
  ...SIMULATOR_COLUMNS,
  ...IGNORED_COLUMNS,
]);

const csvOptions = () => ({
  relax_column_count: true,
  skip_empty_lines: true,
  trim: true,
  record_delimiter: ['\r\n', '\n'],
});

function malformed(e: unknown): MeterImportError {
  const x = e as { message?: unknown; lines?: unknown };
  return new MeterImportError(
    MeterImportCode.Malformed,
    `meter list is not valid CSV: ${typeof x.message === 'string' ? x.message : String(e)}`,
    typeof x.lines === 'number' ? { line: x.lines } : undefined,
  );
}

/** RFC 4180 records (quoted fields with commas, `""` and line breaks; CRLF or LF rows). */
export function parseCsv(text: string): string[][] {
  try {
    return parse(text, csvOptions()) as string[][];
  } catch (e) {
    throw malformed(e);
  }
}

function unknownColumns(names: Iterable<string>): void {
  const unknown = [...names].filter((c) => !KNOWN_COLUMNS.has(c));
  if (unknown.length > 0)
    throw new MeterImportError(MeterImportCode.UnknownColumn, `unknown columns: ${unknown.join(', ')}`, {
      columns: unknown,
    });
}

/** Line breaks inside the fields of a record; csv-parse counts a CRLF inside quotes as two lines. */
function lineBreaks(fields: readonly string[]): { lines: number; crlf: number } {
  let lines = 0;
  let crlf = 0;
  for (const f of fields) {
    lines += f.match(/\r\n|\r|\n/g)?.length ?? 0;
    crlf += f.match(/\r\n/g)?.length ?? 0;
  }
  return { lines, crlf };
}

/** Rows of a CSV meter list; empty cells are absent values. Throws MeterImportError for the whole list. */
export function csvMeterRows(text: string): MeterListRow[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { ...csvOptions(), info: true }) as unknown as {
      record: string[];
      info: { lines: number };
    }[];
  } catch (e) {
    throw malformed(e);
  }
  const [header, ...data] = records;
  if (header === undefined) throw new MeterImportError(MeterImportCode.Empty, 'no header row');
  const cols = header.record;
  unknownColumns(cols);
  let overcounted = lineBreaks(header.record).crlf;
  return data.map(({ record, info }, i) => {
    const breaks = lineBreaks(record);
    overcounted += breaks.crlf;
    const value: Record<string, unknown> = {};
    cols.forEach((c, j) => {
      const v = record[j];
      if (v !== undefined && v !== '') value[c] = v;
    });
    if (record.length !== cols.length)
      value[FIELD_COUNT] = `${record.length} fields, the header has ${cols.length}`;
    return { row: i + 1, line: info.lines - overcounted - breaks.lines, value };
  });
}

/** Marks a CSV row whose field count differs from the header's. */
const FIELD_COUNT = '\u0000fields';

/** Rows of an already parsed JSON meter list (an array of objects). */
export function jsonMeterRows(values: readonly unknown[]): MeterListRow[] {
  const rows = values.map((v, i) => ({
    row: i + 1,
    line: i + 1,
    value: (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : { [NOT_OBJECT]: true }) as Record<
      string,
      unknown
    >,
  }));
  const names = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.value)) if (k !== NOT_OBJECT) names.add(k);
  unknownColumns(names);
  return rows;
}

const NOT_OBJECT = '\u0000not-object';

/** A meter list in either format: a JSON array when it starts with `[`, else CSV. */
export function parseMeterList(text: string): MeterListRow[] {
  const t = text.trim();
  if (t === '') throw new MeterImportError(MeterImportCode.Empty, 'the meter list is empty');
  if (!t.startsWith('[')) return csvMeterRows(text);
  let values: unknown;
  try {
    values = JSON.parse(t);
  } catch (e) {
    throw new MeterImportError(
      MeterImportCode.Malformed,
      `meter list is not valid JSON: ${(e as Error).message}`,
    );
  }
  if (!Array.isArray(values)) throw new MeterImportError(MeterImportCode.Malformed, 'expected a JSON array');
  return jsonMeterRows(values);
}

/** Status of an imported meter whose row gives none: read by the plans that select it. */
export const IMPORT_DEFAULT_STATUS: MeterStatus = MeterStatus.active;
/** Statuses a row may give a new meter (decommissioned is reached through the lifecycle). */
export const IMPORT_STATUSES: readonly MeterStatus[] = [
  MeterStatus.registered,
  MeterStatus.commissioned,
  MeterStatus.active,
  MeterStatus.suspended,
];

/** What the importer needs of a known device profile. */
export interface KnownDeviceProfile {
  manufacturer?: string | undefined;
}

/** The protocols the head end has a driver for (DLMS/COSEM over TCP, UDP and HDLC). */
export const DRIVEN_PROTOCOLS: ReadonlySet<MeterProtocol> = new Set<MeterProtocol>([
  MeterProtocol.dlmsTcp,
  MeterProtocol.dlmsUdp,
  MeterProtocol.dlmsHdlc,
]);

/** An address the DLMS drivers cannot dial; `message` says why. */
export class MeterAddressError extends CodedError {
  constructor(message: string, detail: Record<string, unknown> = {}) {
    super(ErrorKind.invalid, MeterImportCode.BadAddress, message, {
      detail: { field: 'address', ...detail },
    });
    this.name = 'MeterAddressError';
  }
}

const HOST = /^[A-Za-z0-9._-]+$|^[0-9A-Fa-f:.]+$/;
const ADDRESS_KEYS = new Set(['logical', 'physical', 'st', 'udp']);

/**
 * The address of a DLMS meter, as every DLMS driver reads it: `host:port` (port 1…65535)
 * followed by `?logical=N&physical=N&st=HEX&udp=1` as needed — logical (the server's upper
 * HDLC address or wrapper port) and physical (the HDLC lower address) 0…16383, the system
 * title 8 bytes of hex, `udp=1` for the UDP wrapper. HDLC meters are dialled over TCP (a
 * terminal server or the meter's own socket) with the same form. Throws MeterAddressError.
 */
export function parseDlmsAddress(address: string): MeterEndpoint {
  const bad = (why: string): never => {
    throw new MeterAddressError(`meter address '${address}' ${why}`);
  };
  const q = address.indexOf('?');
  const hostPort = q < 0 ? address : address.slice(0, q);
  const query = q < 0 ? '' : address.slice(q + 1);
  const i = hostPort.lastIndexOf(':');
  if (i <= 0) bad('is not host:port');
  const host = hostPort.slice(0, i);
  const portText = hostPort.slice(i + 1);
  if (!HOST.test(host)) bad(`is not host:port (host '${host}')`);
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    bad(`has no valid port (1…65535, got '${portText}')`);
  const params = new URLSearchParams(query);
  for (const k of params.keys()) if (!ADDRESS_KEYS.has(k)) bad(`has an unknown parameter '${k}'`);
  const hdlcAddress = (k: string): number | undefined => {
    const v = params.get(k);
    if (v === null) return undefined;
    if (!/^\d{1,5}$/.test(v) || Number(v) > 0x3fff) bad(`has ${k}=${v} (0…16383)`);
    return Number(v);
  };
  const st = params.get('st') ?? undefined;
  if (st !== undefined && !/^[0-9A-Fa-f]{16}$/.test(st))
    bad('has a system title (st) that is not 8 bytes of hex');
  const udp = params.get('udp');
  if (udp !== null && udp !== '1') bad(`has udp=${udp} (only udp=1)`);
  return {
    host,
    port,
    transport: udp === '1' ? 'udp' : 'tcp',
    logical: hdlcAddress('logical'),
    physical: hdlcAddress('physical'),
    systemTitle: st,
  };
}

/** At most this many tags per meter, each 1…64 characters. */
export const MAX_METER_TAGS = 32;

/**
 * The labels a meter carries besides its record (firmware version, tags, segment): text of
 * bounded length, tags without duplicates. Throws a core validation error naming the field.
 */
export function validateMeterLabels(m: Pick<NewMeter, 'firmwareVersion' | 'tags' | 'segment'>): void {
  if (m.firmwareVersion != null) validateText('firmwareVersion', m.firmwareVersion, 128);
  if (m.segment != null) validateText('segment', m.segment, 128);
  if (m.tags === undefined) return;
  if (!Array.isArray(m.tags) || m.tags.length > MAX_METER_TAGS)
    throw new ValidationError(
      CoreErrorCode.InvalidValue,
      'tags',
      `must be a list of at most ${MAX_METER_TAGS} tags`,
    );
  for (const t of m.tags) validateText('tags', t, 64);
  if (new Set(m.tags).size !== m.tags.length)
    throw new ValidationError(CoreErrorCode.InvalidValue, 'tags', 'lists a tag twice');
}

/** Why a meter record cannot be used by the drivers: the field to blame, a code and a message. */
export interface MeterRecordProblem {
  field: 'protocol' | 'address' | 'deviceProfile';
  code: MeterImportCode;
  message: string;
}

/**
 * The one rule for a meter record the drivers must use, applied by the import to each row and
 * by the head end to stored records at start: a protocol some driver speaks (`protocols`,
 * default DRIVEN_PROTOCOLS), an address that protocol's driver can dial, a known device
 * profile (when `profiles` is given). Undefined when the record is usable.
 */
export function meterRecordProblem(
  m: Pick<NewMeter, 'protocol' | 'address' | 'deviceProfile'>,
  o: { profiles?: MeterImportOptions['profiles']; protocols?: ReadonlySet<string> } = {},
): MeterRecordProblem | undefined {
  if (!profileKnown(o.profiles, m.deviceProfile))
    return {
      field: 'deviceProfile',
      code: MeterImportCode.UnknownProfile,
      message: `deviceProfile: unknown device profile ${m.deviceProfile}`,
    };
  if (!(o.protocols ?? DRIVEN_PROTOCOLS).has(m.protocol))
    return {
      field: 'protocol',
      code: MeterImportCode.NoDriver,
      message: `protocol: no driver for ${m.protocol} (drivers: ${[...(o.protocols ?? DRIVEN_PROTOCOLS)].join(', ')})`,
    };
  try {
    parseDlmsAddress(m.address);
  } catch (e) {
    if (!(e instanceof MeterAddressError)) throw e;
    return { field: 'address', code: MeterImportCode.BadAddress, message: `address: ${e.message}` };
  }
  return undefined;
}

export interface MeterImportOptions {
  /** The device profiles the head end knows; rows naming another are refused. Unchecked when absent. */
  profiles?: ReadonlyMap<string, KnownDeviceProfile> | ReadonlySet<string>;
  /** The protocols the head end has drivers for; default DRIVEN_PROTOCOLS. */
  protocols?: ReadonlySet<string>;
  /** Status of a created meter whose row gives none; default IMPORT_DEFAULT_STATUS (`active`). */
  defaultStatus?: MeterStatus;
  /** Import nothing when any row has a problem (the problems are returned). */
  allOrNothing?: boolean;
  /** Told of every meter created or updated (e.g. to drop cached look-ups). */
  onChange?: (meter: Meter) => void;
}

export interface MeterImportPorts {
  meters: MeterStore;
  /** Needed only when rows carry secrets. */
  vault?: SecretVault;
}

export interface MeterImportResult {
  created: number;
  /** Rows whose serial was already registered (or came earlier in the list): updated from the row. */
  updated: number;
  keysStored: number;
  failed: MeterImportProblem[];
  /** Ids of created meters, in row order. */
  ids: number[];
}

interface PreparedMeter {
  row: number;
  line: number;
  meter: NewMeter;
  /** Fields the row gave (or derived), i.e. what an update replaces. */
  given: ReadonlySet<keyof NewMeter>;
  secrets: [KeyPurpose, Uint8Array][];
}

class RowProblem extends Error {
  readonly field: string | undefined;
  readonly code: string;

  constructor(field: string | undefined, code: string, message: string) {
    super(message);
    this.field = field;
    this.code = code;
  }
}

const problem = (field: string, message: string, code: string = MeterImportCode.InvalidRow) =>
  new RowProblem(field, code, `${field}: ${message}`);

const HEX = /^[0-9a-fA-F]*$/;

function hexBytes(field: string, v: string, length: number): Uint8Array {
  if (v.length !== length * 2 || !HEX.test(v)) throw problem(field, `is not ${length} bytes of hex`);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Number.parseInt(v.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function profileKnown(profiles: MeterImportOptions['profiles'], id: string): boolean {
  return profiles === undefined || profiles.has(id);
}

function manufacturerOf(profiles: MeterImportOptions['profiles'], id: string): string | undefined {
  if (profiles === undefined || profiles instanceof Set) return undefined;
  return (profiles as ReadonlyMap<string, KnownDeviceProfile>).get(id)?.manufacturer;
}

function prepare(r: MeterListRow, options: MeterImportOptions): PreparedMeter {
  const v = r.value;
  if (v[NOT_OBJECT] === true) throw new RowProblem(undefined, MeterImportCode.InvalidRow, 'not an object');
  const count = v[FIELD_COUNT];
  if (typeof count === 'string') throw new RowProblem(undefined, MeterImportCode.InvalidRow, count);
  const text = (k: string): string | undefined => {
    const x = v[k];
    if (x === undefined || x === null || x === '') return undefined;
    if (typeof x === 'string') return x;
    if (typeof x === 'number' || typeof x === 'boolean') return String(x);
    throw problem(k, 'must be text');
  };
  const need = (k: string): string => {
    const x = text(k);
    if (x === undefined) throw problem(k, 'missing');
    return x;
  };
  const integer = (k: string, min: number, max: number): number | undefined => {
    const x = v[k];
    if (x === undefined || x === null || x === '') return undefined;
    const n = typeof x === 'number' ? x : typeof x === 'string' && /^-?\d+$/.test(x) ? Number(x) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw problem(k, `must be an integer in ${min}..${max}`);
    return n;
  };
  const either = (a: string, b: string): [string, string | undefined] => {
    const x = text(a);
    const y = text(b);
    if (x !== undefined && y !== undefined && x !== y) throw problem(a, `differs from ${b} (${x} ≠ ${y})`);
    return x !== undefined ? [a, x] : [b, y];
  };

  const given = new Set<keyof NewMeter>();
  const meter = { serial: need('serial') } as NewMeter;
  const [profileField, profile] = either('deviceProfile', 'profile');
  if (profile === undefined) throw problem('deviceProfile', 'missing');
  if (!profileKnown(options.profiles, profile))
    throw problem(profileField, `unknown device profile ${profile}`, MeterImportCode.UnknownProfile);
  meter.deviceProfile = profile;
  given.add('deviceProfile');

  const manufacturer = text('manufacturer') ?? manufacturerOf(options.profiles, profile);
  meter.manufacturer = manufacturer ?? 'unknown';
  if (manufacturer !== undefined) given.add('manufacturer');
  meter.model = text('model') ?? profile;
  given.add('model');

  const framing = text('framing');
  if (framing !== undefined && framing !== 'wrapper' && framing !== 'hdlc')
    throw problem('framing', `must be wrapper or hdlc, not ${framing}`);
  const protocol = text('protocol');
  meter.protocol = (protocol ??
    (framing === 'hdlc' ? MeterProtocol.dlmsHdlc : MeterProtocol.dlmsTcp)) as MeterProtocol;
  given.add('protocol');

  const host = text('host');
  const address = text('address');
  if (host !== undefined && address !== undefined)
    throw problem('host', 'give address or host and port, not both');
  const systemTitle = text('systemTitle');
  if (systemTitle !== undefined) hexBytes('systemTitle', systemTitle, 8);
  if (address !== undefined) {
    meter.address = address;
  } else {
    if (host === undefined) throw problem('address', 'missing (give address, or host and port)');
    const port = integer('port', 1, 65_535);
    if (port === undefined) throw problem('port', 'missing');
    meter.address = formatMeterAddress({
      host,
      port,
      transport: 'tcp',
      logical: integer('serverAddress', 0, 0x3fff) ?? 1,
      physical: undefined,
      systemTitle,
    });
  }
  given.add('address');

  const status = text('status') ?? options.defaultStatus ?? IMPORT_DEFAULT_STATUS;
  if (!IMPORT_STATUSES.includes(status as MeterStatus))
    throw problem('status', `must be one of ${IMPORT_STATUSES.join(', ')}, not ${status}`);
  meter.status = status as MeterStatus;
  const firmwareVersion = text('firmwareVersion');
  if (firmwareVersion !== undefined) {
    meter.firmwareVersion = firmwareVersion;
    given.add('firmwareVersion');
  }
  const segment = text('segment');
  if (segment !== undefined) {
    meter.segment = segment;
    given.add('segment');
  }
  const tags = v.tags;
  if (tags !== undefined && tags !== null && tags !== '') {
    const list =
      typeof tags === 'string'
        ? tags
            .split(';')
            .map((t) => t.trim())
            .filter((t) => t !== '')
        : tags;
    if (!Array.isArray(list) || list.some((t) => typeof t !== 'string'))
      throw problem('tags', 'must be a list of text (in CSV: tags separated by ;)');
    meter.tags = list as string[];
    given.add('tags');
  }
  const [, customerClass] = either('customerClass', 'loadClass');
  if (customerClass !== undefined) {
    meter.customerClass = customerClass as CustomerClass;
    given.add('customerClass');
  }
  const tariff = text('tariff');
  if (tariff !== undefined) {
    meter.tariff = tariff;
    given.add('tariff');
  }
  const paymentMode = text('paymentMode');
  if (paymentMode !== undefined) {
    meter.paymentMode = paymentMode as PaymentMode;
    given.add('paymentMode');
  }
  for (const k of ['servicePointId', 'sectionId'] as const) {
    const n = integer(k, 1, Number.MAX_SAFE_INTEGER);
    if (n !== undefined) {
      meter[k] = n;
      given.add(k);
    }
  }
  const keyRefs = v.keyRefs;
  if (keyRefs !== undefined && keyRefs !== null) {
    if (typeof keyRefs !== 'object' || Array.isArray(keyRefs)) throw problem('keyRefs', 'must be an object');
    meter.keyRefs = { ...(keyRefs as Record<KeyPurpose, string>) };
    given.add('keyRefs');
  }
  try {
    validateNewMeter(meter);
    validateMeterLabels(meter);
  } catch (e) {
    const field = (e as { field?: unknown }).field;
    throw new RowProblem(
      typeof field === 'string' ? field : undefined,
      MeterImportCode.InvalidRow,
      (e as Error).message,
    );
  }
  const unusable = meterRecordProblem(meter, options);
  if (unusable !== undefined) throw new RowProblem(unusable.field, unusable.code, unusable.message);

  const secrets: [KeyPurpose, Uint8Array][] = [];
  const password = text('password');
  if (password !== undefined) secrets.push(['lls-password', new TextEncoder().encode(password)]);
  for (const [k, purpose] of [
    ['ek', 'guek'],
    ['ak', 'gak'],
    ['kek', 'kek'],
  ] as const) {
    const x = text(k);
    if (x !== undefined) secrets.push([purpose, hexBytes(k, x, 16)]);
  }
  return { row: r.row, line: r.line, meter, given, secrets };
}

/** Checks every row; returns the meters ready to import and the problems, in row order. */
export function checkMeterRows(
  rows: readonly MeterListRow[],
  options: MeterImportOptions = {},
): { meters: PreparedMeter[]; problems: MeterImportProblem[] } {
  const meters: PreparedMeter[] = [];
  const problems: MeterImportProblem[] = [];
  for (const r of rows) {
    try {
      meters.push(prepare(r, options));
    } catch (e) {
      if (!(e instanceof RowProblem)) throw e;
      problems.push({
        row: r.row,
        line: r.line,
        ...(e.field === undefined ? {} : { field: e.field }),
        code: e.code,
        message: `row ${r.row} (line ${r.line}): ${e.message}`,
      });
    }
  }
  return { meters, problems };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function patchOf(p: PreparedMeter, existing: Meter): MeterPatch {
  const patch: Record<string, unknown> = {};
  for (const k of p.given) {
    const next = p.meter[k];
    const old = existing[k as keyof Meter];
    if (JSON.stringify(next) !== JSON.stringify(old)) patch[k] = next;
  }
  if (patch.keyRefs !== undefined) patch.keyRefs = { ...existing.keyRefs, ...(patch.keyRefs as object) };
  return patch as MeterPatch;
}

async function storeSecrets(
  vault: SecretVault,
  meter: Meter,
  secrets: readonly [KeyPurpose, Uint8Array][],
): Promise<{ refs: Partial<Record<KeyPurpose, string>>; stored: number }> {
  const refs: Partial<Record<KeyPurpose, string>> = {};
  let stored = 0;
  for (const [purpose, secret] of secrets) {
    const ref = meter.keyRefs[purpose];
    const current = ref === undefined ? null : await vault.get(meter.id, purpose);
    if (ref !== undefined && current !== null && sameBytes(current, secret)) {
      refs[purpose] = ref;
    } else {
      refs[purpose] = await vault.put(meter.id, purpose, secret);
    }
    stored++;
  }
  return { refs, stored };
}

/**
 * Imports checked rows: creates each new serial, updates a known one from its row, stores its
 * secrets through the vault. A store refusal of one row (a conflict, a rule) fails that row;
 * an outage stops the import (rows before it are kept).
 */
export async function importMeters(
  ports: MeterImportPorts,
  rows: readonly MeterListRow[],
  options: MeterImportOptions = {},
): Promise<MeterImportResult> {
  const checked = checkMeterRows(rows, options);
  const problems = checked.problems;
  let prepared = checked.meters;
  if (ports.vault === undefined && prepared.some((m) => m.secrets.length > 0)) {
    // Secrets are never stored anywhere but the vault: without one, such rows are refused.
    for (const m of prepared) {
      if (m.secrets.length === 0) continue;
      problems.push({
        row: m.row,
        line: m.line,
        code: MeterImportCode.NoVault,
        message: `row ${m.row} (line ${m.line}): carries secrets (password, ek, ak, kek) but this import has no secret vault`,
      });
    }
    problems.sort((a, b) => a.row - b.row);
    prepared = prepared.filter((m) => m.secrets.length === 0);
  }
  const result: MeterImportResult = { created: 0, updated: 0, keysStored: 0, failed: problems, ids: [] };
  if (options.allOrNothing && problems.length > 0) return result;
  const failedRows: MeterImportProblem[] = [];
  for (const p of prepared) {
    try {
      const existing = await ports.meters.getBySerial(p.meter.serial);
      let meter: Meter;
      if (existing === null) {
        meter = await ports.meters.create(p.meter);
        result.created++;
        result.ids.push(meter.id);
      } else {
        const patch = patchOf(p, existing);
        meter = Object.keys(patch).length === 0 ? existing : await ports.meters.update(existing.id, patch);
        result.updated++;
      }
      if (ports.vault !== undefined && p.secrets.length > 0) {
        const { refs, stored } = await storeSecrets(ports.vault, meter, p.secrets);
        result.keysStored += stored;
        if (Object.entries(refs).some(([k, ref]) => meter.keyRefs[k as KeyPurpose] !== ref))
          meter = await ports.meters.update(meter.id, { keyRefs: { ...meter.keyRefs, ...refs } });
      }
      options.onChange?.(meter);
    } catch (e) {
      if (!isCodedError(e) || e.retryable) throw e;
      const field = typeof e.detail?.field === 'string' ? e.detail.field : undefined;
      failedRows.push({
        row: p.row,
        line: p.line,
        ...(field === undefined ? {} : { field }),
        code: e.code,
        message: `row ${p.row} (line ${p.line}): ${e.message}`,
      });
    }
  }
  result.failed = [...problems, ...failedRows].sort((a, b) => a.row - b.row);
  return result;
}
