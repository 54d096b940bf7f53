import { toHex } from '../bytes.ts';
import { formatDate, formatDateTime, formatTime, tryDateTimeToInstant } from './datetime.ts';
import type { BitString, CosemDateTime, DlmsData, TypeDescription } from './types.ts';

/** Bits as a string of '0'/'1', bit 0 (MSB of the first byte) first. */
export function bitStringToText(v: BitString): string {
  let s = '';
  for (let i = 0; i < v.length; i++) s += ((v.bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1 ? '1' : '0';
  return s;
}

/** `structure{unsigned, array[4] of long}` */
export function formatTypeDescription(d: TypeDescription): string {
  switch (d.type) {
    case 'array':
      return `array[${d.count}] of ${formatTypeDescription(d.element)}`;
    case 'structure':
      return `structure{${d.elements.map(formatTypeDescription).join(', ')}}`;
    default:
      return d.type;
  }
}

function jsonNumber(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

function dateTimeJson(v: CosemDateTime): Record<string, unknown> {
  const instant = tryDateTimeToInstant(v);
  const out: Record<string, unknown> = { ...v, text: formatDateTime(v) };
  if (instant !== undefined) out.iso = instant.toISOString();
  return out;
}

/**
 * A JSON-safe rendering of any `Data`: `{ type, value }` with bigint as decimal string,
 * octet-string as hex, bit-string as '0'/'1' text, non-finite floats as strings, and
 * date/time as their fields plus `text` (and `iso` when the date-time is a full instant).
 */
export function dataToJson(d: DlmsData): unknown {
  switch (d.type) {
    case 'null-data':
    case 'dont-care':
      return { type: d.type };
    case 'array':
    case 'structure':
      return { type: d.type, value: d.value.map(dataToJson) };
    case 'compact-array':
      return {
        type: d.type,
        description: formatTypeDescription(d.description),
        value: d.value.map(dataToJson),
      };
    case 'octet-string':
      return { type: d.type, value: toHex(d.value) };
    case 'bit-string':
      return { type: d.type, value: bitStringToText(d.value) };
    case 'long64':
    case 'long64-unsigned':
      return { type: d.type, value: d.value.toString() };
    case 'float32':
    case 'float64':
      return { type: d.type, value: jsonNumber(d.value) };
    case 'date-time':
      return { type: d.type, value: dateTimeJson(d.value) };
    case 'date':
      return { type: d.type, value: { ...d.value, text: formatDate(d.value) } };
    case 'time':
      return { type: d.type, value: { ...d.value, text: formatTime(d.value) } };
    default:
      return { type: d.type, value: d.value };
  }
}

function scalarText(d: DlmsData): string {
  switch (d.type) {
    case 'null-data':
    case 'dont-care':
      return '';
    case 'octet-string':
      return `[${d.value.length}] ${toHex(d.value)}`;
    case 'visible-string':
    case 'utf8-string':
      return JSON.stringify(d.value);
    case 'bit-string':
      return `[${d.value.length}] ${bitStringToText(d.value)}`;
    case 'date-time': {
      const instant = tryDateTimeToInstant(d.value);
      const text = formatDateTime(d.value);
      return instant === undefined ? text : `${text} = ${instant.toISOString()}`;
    }
    case 'date':
      return formatDate(d.value);
    case 'time':
      return formatTime(d.value);
    case 'array':
    case 'structure':
    case 'compact-array':
      return '';
    default:
      return String(d.value);
  }
}

/**
 * Readable multi-line text, one value per line with its type name, children indented by
 * two spaces:
 * ```
 * structure (2)
 *   long-unsigned 5009
 *   octet-string [6] 0100010800FF
 * ```
 */
export function formatData(d: DlmsData, indent = 0): string {
  const lines: string[] = [];
  pushLines(lines, d, indent);
  return lines.join('\n');
}

function pushLines(lines: string[], d: DlmsData, indent: number): void {
  const pad = ' '.repeat(indent);
  switch (d.type) {
    case 'array':
    case 'structure':
      lines.push(`${pad}${d.type} (${d.value.length})`);
      for (const child of d.value) pushLines(lines, child, indent + 2);
      return;
    case 'compact-array':
      lines.push(`${pad}compact-array of ${formatTypeDescription(d.description)} (${d.value.length})`);
      for (const child of d.value) pushLines(lines, child, indent + 2);
      return;
    default: {
      const text = scalarText(d);
      lines.push(text === '' ? `${pad}${d.type}` : `${pad}${d.type} ${text}`);
    }
  }
}
