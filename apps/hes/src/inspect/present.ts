import { obisName } from '@openhes/cosem';
import {
  DataTag,
  type DlmsData,
  dataToJson,
  dateTimeFromOctets,
  formatData,
  formatDateTime,
  toHex,
  tryDateTimeToInstant,
} from '@openhes/dlms';

/**
 * Turns decoded protocol structures into something people read: a JSON-safe tree (for
 * `--json`) and an indented text rendering. OBIS codes are formatted and named, A-XDR data is
 * typed, bytes are hex, bigints are decimal strings.
 */

const OBIS_KEYS = new Set(['instanceId', 'logicalName', 'obis', 'scriptLogicalName']);

export function isDlmsData(v: unknown): v is DlmsData {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) return false;
  const t = (v as { type?: unknown }).type;
  if (typeof t !== 'string' || !(t in DataTag)) return false;
  const keys = Object.keys(v);
  return keys.every((k) => k === 'type' || k === 'value' || k === 'description');
}

export function obisText(bytes: Uint8Array): string {
  const dotted = Array.from(bytes).join('.');
  const name = safeObisName(dotted);
  return name ? `${dotted} (${name})` : dotted;
}

function safeObisName(dotted: string): string | undefined {
  try {
    return obisName(dotted);
  } catch {
    return undefined;
  }
}

export function toJsonTree(value: unknown, key = ''): unknown {
  if (value instanceof Uint8Array) {
    if (value.length === 6 && OBIS_KEYS.has(key)) return obisText(value);
    return toHex(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (isDlmsData(value)) return dataJsonAnnotated(value);
  if (Array.isArray(value)) return value.map((v) => toJsonTree(v, key));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    out[k] = toJsonTree(v, k);
  }
  return out;
}

function pad(depth: number): string {
  return '  '.repeat(depth);
}

/** YAML-like text: `key: value`, nested blocks indented, data via formatData. */
export function renderText(value: unknown, depth = 0, key = ''): string {
  const lines: string[] = [];
  const emit = (k: string, v: unknown, d: number) => {
    if (v === undefined) return;
    if (v instanceof Uint8Array) {
      lines.push(
        `${pad(d)}${k}: ${v.length === 6 && OBIS_KEYS.has(k) ? obisText(v) : toHex(v, ' ') || '(empty)'}`,
      );
    } else if (typeof v === 'bigint' || typeof v !== 'object' || v === null) {
      lines.push(`${pad(d)}${k}: ${String(v)}`);
    } else if (isDlmsData(v)) {
      const text = formatDataAnnotated(v, (d + 1) * 2).replace(/^\s+/, '');
      lines.push(`${pad(d)}${k}: ${text}`);
    } else if (Array.isArray(v)) {
      if (v.length === 0) lines.push(`${pad(d)}${k}: []`);
      else if (v.every((x) => typeof x === 'string' || typeof x === 'number')) {
        lines.push(`${pad(d)}${k}: ${v.join(', ')}`);
      } else {
        lines.push(`${pad(d)}${k}:`);
        v.forEach((item, i) => {
          emit(`[${i}]`, item, d + 1);
        });
      }
    } else {
      const entries = Object.entries(v).filter(([, x]) => x !== undefined);
      if (entries.length === 0) lines.push(`${pad(d)}${k}: {}`);
      else {
        lines.push(`${pad(d)}${k}:`);
        for (const [ek, ev] of entries) emit(ek, ev, d + 1);
      }
    }
  };
  if (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array) &&
    !isDlmsData(value)
  ) {
    for (const [k, v] of Object.entries(value)) emit(k, v, depth);
  } else emit(key || 'value', value, depth);
  return lines.join('\n');
}

function plausibleDateTime(b: Uint8Array): boolean {
  if (b.length !== 12) return false;
  const month = b[2]!;
  const day = b[3]!;
  const hour = b[5]!;
  const minute = b[6]!;
  const okMonth = (month >= 1 && month <= 12) || month >= 0xfd;
  const okDay = (day >= 1 && day <= 31) || day >= 0xfd;
  const okHour = hour <= 23 || hour === 0xff;
  const okMinute = minute <= 59 || minute === 0xff;
  return okMonth && okDay && okHour && okMinute;
}

/** A date-time carried in a 12-byte octet-string (class 8, profiles), shown with its fields. */
export function octetDateTimeText(b: Uint8Array): string | undefined {
  if (!plausibleDateTime(b)) return undefined;
  try {
    const dt = dateTimeFromOctets(b);
    const instant = tryDateTimeToInstant(dt);
    return instant ? `${formatDateTime(dt)} = ${instant.toISOString()}` : formatDateTime(dt);
  } catch {
    return undefined;
  }
}

/** formatData, plus date-times recognised inside 12-byte octet-strings. */
export function formatDataAnnotated(d: DlmsData, indent = 0): string {
  if (d.type === 'array' || d.type === 'structure' || d.type === 'compact-array') {
    const head = formatData({ ...d, value: [] } as DlmsData, indent).replace(/\(0\)$/, `(${d.value.length})`);
    return [head, ...d.value.map((c) => formatDataAnnotated(c, indent + 2))].join('\n');
  }
  const text = formatData(d, indent);
  if (d.type === 'octet-string') {
    const dt = octetDateTimeText(d.value);
    if (dt) return `${text} (date-time ${dt})`;
  }
  return text;
}

/** dataToJson, plus `dateTime` text on 12-byte octet-strings that hold one. */
export function dataJsonAnnotated(d: DlmsData): unknown {
  if (d.type === 'array' || d.type === 'structure' || d.type === 'compact-array') {
    const base = dataToJson(d) as Record<string, unknown>;
    return { ...base, value: d.value.map(dataJsonAnnotated) };
  }
  const base = dataToJson(d) as Record<string, unknown>;
  if (d.type === 'octet-string') {
    const dt = octetDateTimeText(d.value);
    if (dt) return { ...base, dateTime: dt };
  }
  return base;
}
