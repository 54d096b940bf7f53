import type { CustomerClass, KeyPurpose, Meter, MeterProtocol, Store } from '@openhes/core';
import { fromHex } from '@openhes/dlms';
import type { DriverProfile } from '@openhes/drivers';
import { AcquisitionError, AcquisitionErrorCode } from './errors.ts';
import type { KeyVault } from './keys.ts';

/** One line of a meter list (the simulator's export: CSV with a header, or a JSON array). */
export interface MeterListEntry {
  serial: string;
  host: string;
  port: number;
  framing: 'hdlc' | 'wrapper';
  serverAddress: number;
  profile: string;
  systemTitle: string | undefined;
  loadClass: string | undefined;
  password: string | undefined;
  ek: string | undefined;
  ak: string | undefined;
  kek: string | undefined;
}

/**
 * Where a meter is and how to address it, kept in Meter.address: `host:port` followed by
 * `?logical=N&physical=N&st=HEX&udp=1` as needed.
 */
export interface MeterEndpoint {
  host: string;
  port: number;
  transport: 'tcp' | 'udp';
  logical: number | undefined;
  physical: number | undefined;
  systemTitle: string | undefined;
}

export function formatMeterAddress(e: MeterEndpoint): string {
  const q = new URLSearchParams();
  if (e.logical !== undefined) q.set('logical', String(e.logical));
  if (e.physical !== undefined) q.set('physical', String(e.physical));
  if (e.systemTitle !== undefined) q.set('st', e.systemTitle.toUpperCase());
  if (e.transport === 'udp') q.set('udp', '1');
  const qs = q.toString();
  return `${e.host}:${e.port}${qs === '' ? '' : `?${qs}`}`;
}

export function parseMeterAddress(address: string): MeterEndpoint {
  const [hostPort = '', query = ''] = address.split('?', 2);
  const i = hostPort.lastIndexOf(':');
  const port = Number(hostPort.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new AcquisitionError(
      AcquisitionErrorCode.UnknownMeter,
      `meter address '${address}' is not host:port`,
    );
  const q = new URLSearchParams(query);
  const n = (k: string): number | undefined => (q.has(k) ? Number(q.get(k)) : undefined);
  return {
    host: hostPort.slice(0, i),
    port,
    transport: q.get('udp') === '1' ? 'udp' : 'tcp',
    logical: n('logical'),
    physical: n('physical'),
    systemTitle: q.get('st') ?? undefined,
  };
}

function invalid(line: number, message: string): AcquisitionError {
  return new AcquisitionError(AcquisitionErrorCode.InvalidMeterList, `meter list line ${line}: ${message}`, {
    detail: { line },
  });
}

function entryFrom(r: Record<string, unknown>, line: number): MeterListEntry {
  const text = (k: string): string | undefined => {
    const v = r[k];
    return v === undefined || v === null || v === '' ? undefined : String(v);
  };
  const need = (k: string): string => {
    const v = text(k);
    if (v === undefined) throw invalid(line, `${k} missing`);
    return v;
  };
  const port = Number(need('port'));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(line, 'port is not 1..65535');
  const framing = text('framing') ?? 'wrapper';
  if (framing !== 'wrapper' && framing !== 'hdlc') throw invalid(line, `framing ${framing}`);
  const serverAddress = Number(text('serverAddress') ?? '1');
  if (!Number.isInteger(serverAddress) || serverAddress < 0) throw invalid(line, 'serverAddress');
  for (const [k, len] of [
    ['ek', 16],
    ['ak', 16],
    ['kek', 16],
    ['systemTitle', 8],
  ] as const) {
    const v = text(k);
    if (v !== undefined && !new RegExp(`^[0-9a-fA-F]{${len * 2}}$`).test(v))
      throw invalid(line, `${k} is not ${len} bytes of hex`);
  }
  return {
    serial: need('serial'),
    host: need('host'),
    port,
    framing,
    serverAddress,
    profile: need('profile'),
    systemTitle: text('systemTitle'),
    loadClass: text('loadClass'),
    password: text('password'),
    ek: text('ek'),
    ak: text('ak'),
    kek: text('kek'),
  };
}

/** Parses a meter list: a JSON array of objects, or CSV whose first line names the columns. */
export function parseMeterList(text: string): MeterListEntry[] {
  const t = text.trim();
  if (t.startsWith('[')) {
    let rows: unknown;
    try {
      rows = JSON.parse(t);
    } catch {
      throw invalid(1, 'not valid JSON');
    }
    if (!Array.isArray(rows)) throw invalid(1, 'expected an array');
    return rows.map((r, i) => entryFrom(r as Record<string, unknown>, i + 1));
  }
  const lines = t.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const out: MeterListEntry[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const cells = line.split(',');
    if (cells.length !== header.length)
      throw invalid(i + 1, `${cells.length} fields, header has ${header.length}`);
    out.push(entryFrom(Object.fromEntries(header.map((h, j) => [h, cells[j]!.trim()])), i + 1));
  }
  return out;
}

const CUSTOMER: Record<string, CustomerClass> = {
  residential: 'residential',
  commercial: 'commercial',
  industrial: 'industrial',
};

export interface ImportResult {
  created: number;
  updated: number;
  keysStored: number;
}

/**
 * Creates or updates one meter per entry (matched by serial) and stores its secrets wrapped
 * under the master key; the secrets themselves never appear in results, errors or logs.
 */
export async function importMeters(
  store: Pick<Store, 'meters' | 'keys'>,
  vault: KeyVault,
  entries: readonly MeterListEntry[],
  profiles: ReadonlyMap<string, DriverProfile>,
): Promise<ImportResult> {
  const result: ImportResult = { created: 0, updated: 0, keysStored: 0 };
  for (const [i, e] of entries.entries()) {
    const profile = profiles.get(e.profile);
    if (profile === undefined) throw invalid(i + 1, `unknown device profile ${e.profile}`);
    const protocol: MeterProtocol = e.framing === 'hdlc' ? 'dlms-hdlc' : 'dlms-tcp';
    const address = formatMeterAddress({
      host: e.host,
      port: e.port,
      transport: 'tcp',
      logical: e.serverAddress,
      physical: undefined,
      systemTitle: e.systemTitle,
    });
    const existing = await store.meters.getBySerial(e.serial);
    let meter: Meter;
    if (existing === null) {
      meter = await store.meters.create({
        serial: e.serial,
        manufacturer: profile.meter.manufacturer ?? 'unknown',
        model: profile.id,
        deviceProfile: profile.id,
        protocol,
        address,
        status: 'active',
        customerClass: CUSTOMER[e.loadClass ?? ''] ?? 'residential',
      });
      result.created++;
    } else {
      meter = await store.meters.update(existing.id, {
        address,
        protocol,
        deviceProfile: profile.id,
        model: profile.id,
      });
      result.updated++;
    }
    const secrets: [KeyPurpose, Uint8Array | undefined][] = [
      ['lls-password', e.password === undefined ? undefined : new TextEncoder().encode(e.password)],
      ['guek', e.ek === undefined ? undefined : fromHex(e.ek)],
      ['gak', e.ak === undefined ? undefined : fromHex(e.ak)],
      ['kek', e.kek === undefined ? undefined : fromHex(e.kek)],
    ];
    const keyRefs: Partial<Record<KeyPurpose, string>> = {};
    for (const [purpose, secret] of secrets) {
      if (secret === undefined) continue;
      const version = await vault.put(store.keys, meter.id, purpose, secret);
      keyRefs[purpose] = `${purpose}@${version}`;
      result.keysStored++;
    }
    await store.meters.update(meter.id, { keyRefs });
  }
  return result;
}
