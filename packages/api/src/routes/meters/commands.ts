import type { Meter, MeterQuery, MeterStore, NewMeter, Page } from '@openhes/core';
import { isStorageError } from '@openhes/storage';
import { Compile } from 'typebox/compile';
import { NewMeter as NewMeterSchema } from './schema.ts';

export interface MeterFilter extends MeterQuery {
  serial?: string;
  manufacturer?: string;
  model?: string;
  protocol?: string;
  deviceProfile?: string;
  customerClass?: string;
}

const STORE_SCAN_ROUNDS = 64;

function matches(m: Meter, f: MeterFilter): boolean {
  return (
    (f.manufacturer === undefined || m.manufacturer === f.manufacturer) &&
    (f.model === undefined || m.model === f.model) &&
    (f.protocol === undefined || m.protocol === f.protocol) &&
    (f.deviceProfile === undefined || m.deviceProfile === f.deviceProfile) &&
    (f.customerClass === undefined || m.customerClass === f.customerClass) &&
    (f.status === undefined || m.status === f.status)
  );
}

/**
 * Filters the store does not index are applied here. Each store round asks for exactly the
 * number of items still missing, so the store's own cursor after the last scanned item is
 * always a correct resume point: pages may come back short (even empty) but never skip or
 * repeat a meter.
 */
export async function listMeters(meters: MeterStore, f: MeterFilter): Promise<Page<Meter>> {
  const limit = f.limit ?? 500;
  if (f.serial !== undefined) {
    if (f.cursor) return { items: [], nextCursor: null };
    const m = await meters.getBySerial(f.serial);
    const ok =
      m !== null && matches(m, f) && (f.underNode === undefined || (await underNode(meters, m, f.underNode)));
    return { items: ok && m ? [m] : [], nextCursor: null };
  }
  const items: Meter[] = [];
  let cursor = f.cursor ?? null;
  for (let round = 0; round < STORE_SCAN_ROUNDS; round++) {
    const page = await meters.list({
      ...(f.status === undefined ? {} : { status: f.status }),
      ...(f.underNode === undefined ? {} : { underNode: f.underNode }),
      limit: limit - items.length,
      cursor,
    });
    for (const m of page.items) if (matches(m, f)) items.push(m);
    cursor = page.nextCursor;
    if (cursor === null || items.length >= limit) break;
  }
  return { items, nextCursor: cursor };
}

async function underNode(meters: MeterStore, m: Meter, node: number): Promise<boolean> {
  let cursor: string | null = null;
  do {
    const page = await meters.list({ underNode: node, limit: 10_000, cursor });
    if (page.items.some((x) => x.id === m.id)) return true;
    cursor = page.nextCursor;
  } while (cursor !== null);
  return false;
}

const CSV_FIELDS = new Set(Object.keys(NewMeterSchema.properties));
const NUMERIC_FIELDS = new Set(['servicePointId', 'sectionId']);

/** RFC 4180 fields: quotes around fields, `""` for a quote inside one, CRLF or LF rows. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

export interface ImportRow {
  row: number;
  value: unknown;
}

export interface CsvProblem {
  row: number;
  code: string;
  message: string;
}

/** Turns CSV rows into candidate meter objects; unknown columns are refused. */
export function csvToRows(text: string): { rows: ImportRow[]; problems: CsvProblem[] } {
  const [header, ...data] = parseCsv(text);
  if (!header) return { rows: [], problems: [{ row: 0, code: 'IMPORT_EMPTY', message: 'no header row' }] };
  const cols = header.map((h) => h.trim());
  const unknown = cols.filter((c) => !CSV_FIELDS.has(c));
  if (unknown.length > 0) {
    return {
      rows: [],
      problems: [
        { row: 0, code: 'IMPORT_UNKNOWN_COLUMN', message: `unknown columns: ${unknown.join(', ')}` },
      ],
    };
  }
  const rows = data.map((r, i) => {
    const value: Record<string, unknown> = {};
    cols.forEach((c, j) => {
      const v = r[j]?.trim();
      if (v === undefined || v === '') return;
      value[c] = NUMERIC_FIELDS.has(c) && /^\d+$/.test(v) ? Number(v) : v;
    });
    return { row: i + 1, value };
  });
  return { rows, problems: [] };
}

const checkNewMeter = Compile(NewMeterSchema);

export interface ImportResult {
  created: number;
  existing: number;
  failed: CsvProblem[];
  ids: number[];
}

/** Creates each valid row; a serial already registered is counted and left unchanged. */
export async function importMeters(meters: MeterStore, rows: readonly ImportRow[]): Promise<ImportResult> {
  const result: ImportResult = { created: 0, existing: 0, failed: [], ids: [] };
  for (const { row, value } of rows) {
    if (!checkNewMeter.Check(value)) {
      const first = checkNewMeter.Errors(value)[0];
      result.failed.push({
        row,
        code: 'VALIDATION_FAILED',
        message: first ? `${first.instancePath || '/'} ${first.message}` : 'invalid meter',
      });
      continue;
    }
    const meter = value as NewMeter;
    if (await meters.getBySerial(meter.serial)) {
      result.existing += 1;
      continue;
    }
    try {
      const m = await meters.create(meter);
      result.created += 1;
      result.ids.push(m.id);
    } catch (e) {
      if (!isStorageError(e) || e.retryable) throw e;
      result.failed.push({ row, code: e.code, message: e.message });
    }
  }
  return result;
}
