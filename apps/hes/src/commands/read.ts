import {
  className,
  decodeScalerUnit,
  describeValue,
  formatObis,
  NUMBER_TYPES,
  type ObjectListEntry,
  obisName,
  type ProfileCell,
  parseObis,
  type ScalerUnit,
  scalerUnitAttribute,
  unitSymbol,
} from '@openhes/cosem';
import {
  type DlmsData,
  DlmsError,
  DlmsErrorCode,
  dataToJson,
  formatData,
  formatDateTime,
  fromHex,
  tryDateTimeToInstant,
} from '@openhes/dlms';
import {
  type DeviationSign,
  type ProfileRange,
  type ProfileTable,
  readObjectList,
  readProfileTable,
  standardDateTime,
} from '@openhes/drivers';
import {
  type ClientLinkOptions,
  type ClientSecurityOptions,
  DlmsClient,
  type DlmsClientOptions,
  type FrameTrace,
} from '@openhes/transport';
import type { Command } from 'commander';
import { annotate } from '../inspect/annotate.ts';
import { inspect } from '../inspect/decode.ts';
import { renderText, toJsonTree } from '../inspect/present.ts';
import { ExitCode, type Io } from '../io.ts';

interface ReadOptions {
  host: string;
  port: string;
  udp?: boolean;
  hdlc?: boolean;
  client: string;
  server: string;
  physical?: string;
  localAddress?: string;
  auth: string;
  password?: string;
  ek?: string;
  ak?: string;
  systemTitle?: string;
  class?: string;
  profile?: string;
  from?: string;
  to?: string;
  entries?: string;
  objects?: boolean;
  trace?: boolean;
  invocationCounter?: string;
  counterFrom?: string;
  timeout: string;
  json?: boolean;
  deviationSign: string;
}

/** One attribute to read: `OBIS`, `OBIS:attr`, `CLASS/OBIS` or `CLASS/OBIS:attr`. */
export interface AttributeSpec {
  obis: string;
  classId: number;
  attr: number;
}

class UsageError extends Error {}

function int(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${name} must be an integer in ${min}..${max}, got '${text}'`);
  return n;
}

function hexOption(name: string, text: string | undefined, length: number): Uint8Array | undefined {
  if (text === undefined) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = fromHex(text);
  } catch {
    throw new UsageError(`${name} is not hex`);
  }
  if (bytes.length !== length)
    throw new UsageError(`${name} must be ${length} bytes (${length * 2} hex digits)`);
  return bytes;
}

/**
 * Interface class a head end assumes for an OBIS code when none is given: clock, association,
 * disconnect control, profiles, then electricity quantities by processing (D) as registers
 * (demand registers for current/last average, extended for maximum demand), else Data.
 */
export function defaultClassFor(obis: string): number {
  const [a, , c, d] = parseObis(obis);
  if (a === 0 && c === 1 && d === 0) return 8;
  if (a === 0 && c === 40 && d === 0) return 15;
  if (a === 0 && c === 96 && d === 3 && obis.startsWith('0.0.96.3.10')) return 70;
  if (c === 99 || (a === 0 && c === 98)) return 7;
  if (a !== 0 && c !== 0 && c < 96) {
    if (d === 4 || d === 5) return 5;
    if (d === 6) return 4;
    return 3;
  }
  return 1;
}

export function parseAttributeSpec(spec: string, classOverride?: number): AttributeSpec {
  const m = /^(?:(\d+)\/)?([0-9.\-:*]+?)(?::(\d+))?$/.exec(spec.trim());
  if (!m) throw new UsageError(`cannot read '${spec}': expected OBIS[:attr] or CLASS/OBIS[:attr]`);
  let obis: string;
  try {
    obis = formatObis(parseObis(m[2]!));
  } catch {
    throw new UsageError(`'${m[2]}' is not an OBIS code`);
  }
  const classId =
    m[1] !== undefined ? int('class', m[1], 1, 0xffff) : (classOverride ?? defaultClassFor(obis));
  return { obis, classId, attr: m[3] === undefined ? 2 : int('attribute', m[3], 1, 127) };
}

function scalerAttributeOf(s: AttributeSpec): number | undefined {
  return scalerUnitAttribute(s.classId, s.attr);
}

/**
 * The rows of `--profile` to read: a time range, an entry range, or undefined for the whole
 * buffer (a GET without selective access, which every meter must serve).
 */
function parseRange(o: ReadOptions): ProfileRange | undefined {
  if (o.entries !== undefined) {
    if (o.from !== undefined || o.to !== undefined)
      throw new UsageError('--entries and --from/--to exclude each other');
    const m = /^(\d+)-(\d*)$/.exec(o.entries);
    if (!m) throw new UsageError(`--entries must look like 1-96 (or 100- for "to the last")`);
    return { fromEntry: Number(m[1]), toEntry: m[2] === '' ? 0 : Number(m[2]) };
  }
  if (o.from === undefined && o.to === undefined) return undefined;
  if (o.from === undefined || o.to === undefined)
    throw new UsageError('--from and --to go together (or give neither for the whole buffer)');
  const from = new Date(o.from);
  const to = new Date(o.to);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()))
    throw new UsageError('--from and --to must be ISO 8601 times');
  return { from, to };
}

function profileObis(text: string): string {
  try {
    return formatObis(parseObis(text));
  } catch {
    throw new UsageError(`--profile '${text}' is not an OBIS code`);
  }
}

function linkOptions(o: ReadOptions, clientSap: number): ClientLinkOptions {
  const server = int('--server', o.server, 0, 0x3fff);
  if (!o.hdlc) return { kind: 'wrapper', clientWPort: clientSap, serverWPort: server };
  return {
    kind: 'hdlc',
    clientAddress: clientSap,
    serverAddress:
      o.physical === undefined
        ? { logical: server }
        : { logical: server, physical: int('--physical', o.physical, 0, 0x3fff) },
  };
}

function deviationSignOption(v: string): DeviationSign {
  if (v === 'standard' || v === 'inverted') return v;
  throw new UsageError(`--deviation-sign must be standard or inverted, got '${v}'`);
}

function baseOptions(
  o: ReadOptions,
  trace: ((f: FrameTrace) => void) | undefined,
): Omit<DlmsClientOptions, 'link'> {
  const port = int('--port', o.port, 1, 65535);
  return {
    transport: {
      kind: o.udp ? 'udp' : 'tcp',
      host: o.host,
      port,
      ...(o.localAddress === undefined ? {} : { localAddress: o.localAddress }),
    },
    responseTimeoutMs: int('--timeout', o.timeout, 1, 3_600_000),
    ...(trace ? { trace } : {}),
  };
}

function describeError(e: unknown): string {
  if (e instanceof DlmsError) {
    const d = e.detail ?? {};
    const extra = typeof d.diagnostic === 'string' ? ` (diagnostic ${d.diagnostic})` : '';
    return `${e.code}: ${e.message}${extra}`;
  }
  return e instanceof Error ? e.message : String(e);
}

function numeric(d: DlmsData): number | bigint | undefined {
  return NUMBER_TYPES.has(d.type) ? (d as { value: number | bigint }).value : undefined;
}

function scaled(d: DlmsData, su: ScalerUnit | undefined): number | undefined {
  const n = numeric(d);
  if (n === undefined) return undefined;
  if (su === undefined) return Number(n);
  return Number(`${n}e${su.scaler}`);
}

/** A value as one line for people: scaled numbers with units, date-times, enum names. */
function valueText(
  spec: AttributeSpec,
  d: DlmsData,
  su: ScalerUnit | undefined,
  sign: DeviationSign,
): string {
  const n = scaled(d, su);
  if (n !== undefined) {
    const unit = su === undefined ? undefined : unitSymbol(su.unit);
    return unit ? `${n} ${unit}` : String(n);
  }
  const described = describeValue(spec.classId, spec.attr, d).described;
  if (described.kind === 'date_time') {
    const instant = tryDateTimeToInstant(standardDateTime(described.value, sign));
    const text = formatDateTime(described.value);
    return instant ? `${text} = ${instant.toISOString()}` : text;
  }
  if (described.kind === 'enum') return `${described.value.name ?? '?'} (${described.value.value})`;
  if (described.kind === 'scal_unit_type') {
    return `scaler ${described.value.scaler}, unit ${unitSymbol(described.value.unit) ?? described.value.unit}`;
  }
  if (d.type === 'visible-string' || d.type === 'utf8-string') return d.value;
  if (d.type === 'boolean') return String(d.value);
  return formatData(d, 2).trimStart();
}

function cellText(c: ProfileCell): string {
  switch (c.kind) {
    case 'date-time':
      return c.instant?.toISOString() ?? formatDateTime(c.value);
    case 'number':
      return String(c.value);
    case 'boolean':
      return String(c.value);
    case 'text':
      return c.value;
    case 'null':
      return '';
    case 'data':
      return formatData(c.value).replace(/\s+/g, ' ');
  }
}

function cellJson(c: ProfileCell): unknown {
  switch (c.kind) {
    case 'date-time':
      return c.instant?.toISOString() ?? formatDateTime(c.value);
    case 'null':
      return null;
    case 'data':
      return dataToJson(c.value);
    default:
      return c.value;
  }
}

function printProfile(io: Io, obis: string, t: ProfileTable, json: boolean): void {
  const headers = t.columns.map((c) => {
    const unit = c.scalerUnit ? unitSymbol(c.scalerUnit.unit) : undefined;
    const label = c.name ?? formatObis(c.captureObject.logicalName);
    return unit ? `${label} [${unit}]` : label;
  });
  if (json) {
    io.out(
      JSON.stringify({
        profile: obis,
        columns: t.columns.map((c, i) => ({
          obis: formatObis(c.captureObject.logicalName),
          classId: c.captureObject.classId,
          attribute: c.captureObject.attributeIndex,
          name: c.name,
          unit: c.scalerUnit ? (unitSymbol(c.scalerUnit.unit) ?? c.scalerUnit.unit) : undefined,
          header: headers[i],
        })),
        rows: t.rows.map((r) => r.map(cellJson)),
      }),
    );
    return;
  }
  const lines = [headers, ...t.rows.map((r) => r.map(cellText))];
  const widths = headers.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)));
  for (const l of lines)
    io.out(
      l
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
  io.out(`${t.rows.length} rows`);
}

function printObjects(io: Io, list: ObjectListEntry[], json: boolean): void {
  if (json) {
    io.out(
      JSON.stringify(
        list.map((o) => ({
          classId: o.classId,
          className: className(o.classId),
          version: o.version,
          obis: formatObis(o.logicalName),
          name: obisName(o.logicalName),
          attributes: o.accessRights.attributeAccess.map((a) => ({
            id: a.attributeId,
            access: a.accessModeName,
          })),
          methods: o.accessRights.methodAccess.map((m) => ({ id: m.methodId, access: m.accessModeName })),
        })),
      ),
    );
    return;
  }
  for (const o of list) {
    const cls = `${o.classId} ${className(o.classId) ?? ''}`.trim();
    io.out(
      `${formatObis(o.logicalName).padEnd(18)} ${cls.padEnd(26)} ${obisName(o.logicalName) ?? ''}`.trimEnd(),
    );
  }
  io.out(`${list.length} objects`);
}

/** Reads attributes; registers get their scaler_unit read in the same request. */
async function readAttributes(
  io: Io,
  client: DlmsClient,
  specs: AttributeSpec[],
  json: boolean,
  sign: DeviationSign,
): Promise<number> {
  const items = specs.flatMap((s) => {
    const sa = scalerAttributeOf(s);
    return sa === undefined ? [s] : [s, { ...s, attr: sa }];
  });
  const results = await client.getMany(items);
  let failed = 0;
  let k = 0;
  const out: unknown[] = [];
  for (const s of specs) {
    const r = results[k++]!;
    const scalerResult = scalerAttributeOf(s) === undefined ? undefined : results[k++];
    const su = scalerResult?.ok ? decodeScalerUnit(scalerResult.value) : undefined;
    const name = obisName(s.obis);
    const label = `${s.classId}/${s.obis}:${s.attr}`;
    if (!r.ok) {
      failed++;
      if (json) out.push({ obis: s.obis, classId: s.classId, attribute: s.attr, name, error: r.resultName });
      else io.err(`${label}  ${name ?? ''}  error: ${r.resultName}`);
      continue;
    }
    if (json) {
      const n = scaled(r.value, su);
      out.push({
        obis: s.obis,
        classId: s.classId,
        attribute: s.attr,
        name,
        value: toJsonTree(r.value),
        ...(n === undefined || su === undefined ? {} : { scaled: n, unit: unitSymbol(su.unit) ?? su.unit }),
      });
    } else io.out(`${label}  ${name ? `${name}  ` : ''}${valueText(s, r.value, su, sign)}`);
  }
  if (json) io.out(JSON.stringify(out));
  return failed;
}

async function counterFrom(
  o: ReadOptions,
  obis: string,
  trace: ((f: FrameTrace) => void) | undefined,
): Promise<number> {
  const client = await DlmsClient.connect({ ...baseOptions(o, trace), link: linkOptions(o, 16) });
  try {
    const v = numeric(await client.get(obis, 1, 2));
    if (v === undefined)
      throw new DlmsError(DlmsErrorCode.Protocol, `${obis} does not hold an invocation counter`);
    return Number(v) + 1;
  } finally {
    await client.end();
  }
}

async function run(io: Io, specs: string[], o: ReadOptions): Promise<void> {
  const clientSap = int('--client', o.client, 0, 127);
  const auth = o.auth;
  if (auth !== 'none' && auth !== 'low' && auth !== 'hls-gmac')
    throw new UsageError('--auth must be none, low or hls-gmac');
  if (auth === 'low' && o.password === undefined) throw new UsageError('--auth low needs --password');
  const ek = hexOption('--ek', o.ek, 16);
  const ak = hexOption('--ak', o.ak, 16);
  const systemTitle = hexOption('--system-title', o.systemTitle, 8);
  const classOverride = o.class === undefined ? undefined : int('--class', o.class, 1, 0xffff);
  const attributes = specs.map((s) => parseAttributeSpec(s, classOverride));
  if (o.profile === undefined && (o.from !== undefined || o.to !== undefined || o.entries !== undefined))
    throw new UsageError('--from, --to and --entries select rows of --profile: give --profile');
  const profile =
    o.profile === undefined ? undefined : { obis: profileObis(o.profile), range: parseRange(o) };
  const sign = deviationSignOption(o.deviationSign);
  if (attributes.length === 0 && profile === undefined && !o.objects) {
    throw new UsageError('nothing to read: give OBIS codes, --profile or --objects');
  }
  let security: ClientSecurityOptions | undefined;
  if (ek || ak || systemTitle || auth === 'hls-gmac') {
    if (!ek || !ak || !systemTitle)
      throw new UsageError('a secured association needs --ek, --ak and --system-title');
    security = { systemTitle, ek, ak, policy: 'auth+enc' };
  }
  let serverTitle: Uint8Array | undefined;
  const trace = o.trace
    ? (f: FrameTrace) => {
        const keys = { ek, ak, systemTitle: f.direction === 'out' ? systemTitle : serverTitle };
        let text: string;
        try {
          text = renderText(annotate(inspect(f.bytes, keys)), 1);
        } catch (e) {
          text = `  (not decodable: ${describeError(e)})`;
        }
        const head = `${f.direction === 'out' ? '>>' : '<<'} ${new Date(f.time).toISOString()} ${f.link} ${f.bytes.length} bytes`;
        (o.json ? io.err : io.out)(`${head}\n${text}`);
      }
    : undefined;
  if (security && (o.invocationCounter !== undefined || o.counterFrom !== undefined)) {
    security.invocationCounter =
      o.counterFrom !== undefined
        ? await counterFrom(o, formatObis(parseObis(o.counterFrom)), trace)
        : int('--invocation-counter', o.invocationCounter!, 0, 0xffffffff);
  }
  const association = {
    authentication: auth,
    ...(o.password === undefined ? {} : { password: o.password }),
  } as const;
  const client = await DlmsClient.connect({
    ...baseOptions(o, trace),
    link: linkOptions(o, clientSap),
    association,
    ...(security ? { security } : {}),
    onWarning: (w) => io.err(`warning ${w.code}: ${w.message}`),
  });
  serverTitle = client.info?.serverSystemTitle;
  let failed = 0;
  try {
    if (attributes.length > 0) failed += await readAttributes(io, client, attributes, o.json === true, sign);
    if (profile !== undefined) {
      const table = await readProfileTable(client, profile.obis, profile.range, new Map(), sign);
      printProfile(io, profile.obis, table, o.json === true);
    }
    if (o.objects) printObjects(io, await readObjectList(client), o.json === true);
  } finally {
    await client.end().catch(() => {});
  }
  if (failed > 0) throw new ExitCode(1);
}

export function registerReadCommand(program: Command, io: Io): void {
  program
    .command('read')
    .description(
      'read COSEM attributes, a load profile or the object list from a meter over TCP/UDP ' +
        '(wrapper) or HDLC over TCP; attributes as OBIS[:attr] or CLASS/OBIS[:attr]',
    )
    .argument('[attributes...]', 'e.g. 0.0.1.0.0.255 1.0.1.8.0.255 3/1.0.32.7.0.255:2')
    .requiredOption('--host <host>', 'meter (or terminal server) address')
    .option('--port <port>', 'TCP/UDP port', '4059')
    .option('--local-address <ip>', 'source address to connect from')
    .option('--udp', 'UDP instead of TCP')
    .option('--hdlc', 'HDLC framing (meter behind a terminal server) instead of the wrapper')
    .option('--client <sap>', 'client SAP / wPort (16 public, 32 reader, 1 management)', '16')
    .option('--server <address>', 'server logical device (upper HDLC address / wPort)', '1')
    .option('--physical <address>', 'HDLC lower (physical) address')
    .option('--auth <kind>', 'none | low | hls-gmac', 'none')
    .option('--password <text>', 'LLS password')
    .option('--ek <hex>', 'global unicast encryption key (16 bytes hex)')
    .option('--ak <hex>', 'authentication key (16 bytes hex)')
    .option('--system-title <hex>', 'our system title (8 bytes hex)')
    .option('--invocation-counter <n>', 'first invocation counter of the secured association')
    .option(
      '--counter-from <obis>',
      'read the counter from this Data object over the public client first and use the next value',
    )
    .option('--class <id>', 'interface class for OBIS codes given without one')
    .option(
      '--profile <obis>',
      'read this load profile (profile generic buffer); without --from/--to or --entries the whole buffer',
    )
    .option('--from <iso>', 'profile range start (ISO 8601)')
    .option('--to <iso>', 'profile range end (ISO 8601)')
    .option('--entries <a-b>', 'profile entries a..b (from 1; "a-" = to the last)')
    .option('--objects', "list the association's object list")
    .option('--trace', 'print every frame decoded')
    .option('--timeout <ms>', 'response timeout', '10000')
    .option(
      '--deviation-sign <sign>',
      'standard (UTC = local + deviation, Blue Book) or inverted (the meter sends local − UTC, e.g. +330 for IST)',
      'standard',
    )
    .option('--json', 'print JSON')
    .action(async (specs: string[], o: ReadOptions) => {
      try {
        await run(io, specs, o);
      } catch (e) {
        if (e instanceof ExitCode) throw e;
        if (e instanceof UsageError) {
          io.err(`hes read: ${e.message}`);
          throw new ExitCode(2);
        }
        if (o.json)
          io.out(
            JSON.stringify({
              error:
                e instanceof DlmsError
                  ? { code: e.code, message: e.message, detail: toJsonTree(e.detail) }
                  : { message: String(e) },
            }),
          );
        io.err(`hes read: ${describeError(e)}`);
        throw new ExitCode(1);
      }
    });
}
