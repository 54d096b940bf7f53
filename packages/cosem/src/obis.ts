import { CosemError, CosemErrorCode } from './errors.ts';

/** OBIS code A.B.C.D.E.F (IEC 62056-6-1); each value group 0..255. */
export type Obis = readonly [a: number, b: number, c: number, d: number, e: number, f: number];

export type ObisStyle = 'dotted' | 'iec';

function invalid(input: string, why: string): never {
  throw new CosemError(CosemErrorCode.InvalidObis, `invalid OBIS "${input}": ${why}`, {
    detail: { input },
  });
}

function checkGroups(groups: readonly number[], input: string): Obis {
  if (groups.length !== 6) invalid(input, `expected 6 value groups, got ${groups.length}`);
  for (const g of groups) {
    if (!Number.isInteger(g) || g < 0 || g > 255) invalid(input, `value group ${g} outside 0..255`);
  }
  return groups as unknown as Obis;
}

export function obis(a: number, b: number, c: number, d: number, e: number, f = 255): Obis {
  return checkGroups([a, b, c, d, e, f], `${a}.${b}.${c}.${d}.${e}.${f}`);
}

const DECIMAL = /^\d{1,3}$/;
const HEX12 = /^[0-9a-fA-F]{12}$/;
/** A-B:C.D.E, optionally followed by *F, &F or .F */
const IEC = /^(\d{1,3})-(\d{1,3}):(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:[*&.](\d{1,3}))?$/;

/**
 * Accepts `1.0.1.8.0.255`, `1-0:1.8.0*255`, `1-0:1.8.0` (F = 255), `1-0:1.8.0.255`,
 * `1.0.1.8.0` (F = 255) and the 12-hex-digit form `0100010800FF`.
 */
export function parseObis(input: string): Obis {
  const s = input.trim();
  const iec = IEC.exec(s);
  if (iec) {
    const groups = iec.slice(1, 6).map(Number);
    groups.push(iec[6] === undefined ? 255 : Number(iec[6]));
    return checkGroups(groups, input);
  }
  const parts = s.split('.');
  if ((parts.length === 6 || parts.length === 5) && parts.every((p) => DECIMAL.test(p))) {
    const groups = parts.map(Number);
    if (groups.length === 5) groups.push(255);
    return checkGroups(groups, input);
  }
  if (HEX12.test(s)) return obisFromBytes(hexBytes(s));
  return invalid(input, 'not in A.B.C.D.E.F, A-B:C.D.E*F or 12-hex-digit form');
}

function hexBytes(s: string): Uint8Array {
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) out[i] = Number.parseInt(s.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** A logical_name octet-string is exactly 6 bytes, A first. */
export function obisFromBytes(bytes: Uint8Array): Obis {
  if (bytes.length !== 6) {
    throw new CosemError(CosemErrorCode.InvalidObis, `logical name must be 6 bytes, got ${bytes.length}`, {
      detail: { length: bytes.length },
    });
  }
  return [bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!, bytes[4]!, bytes[5]!];
}

export function obisToBytes(o: Obis): Uint8Array {
  const checked = checkGroups(o, o.join('.'));
  return Uint8Array.from(checked);
}

/** Strings are parsed, 6-byte arrays converted, tuples checked. */
export function toObis(input: Obis | string | Uint8Array): Obis {
  if (typeof input === 'string') return parseObis(input);
  if (input instanceof Uint8Array) return obisFromBytes(input);
  return checkGroups(input, input.join('.'));
}

export function formatObis(o: Obis, style: ObisStyle = 'dotted'): string {
  const [a, b, c, d, e, f] = o;
  return style === 'iec' ? `${a}-${b}:${c}.${d}.${e}*${f}` : `${a}.${b}.${c}.${d}.${e}.${f}`;
}

export function obisToHex(o: Obis): string {
  return o.map((g) => g.toString(16).padStart(2, '0').toUpperCase()).join('');
}

export function obisEquals(x: Obis, y: Obis): boolean {
  for (let i = 0; i < 6; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Lexicographic by value group A first; usable as an Array.sort comparator. */
export function compareObis(x: Obis, y: Obis): number {
  for (let i = 0; i < 6; i++) {
    const d = x[i]! - y[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** A string key for maps and sets: the dotted form. */
export function obisKey(o: Obis): string {
  return formatObis(o, 'dotted');
}

export function isObis(x: unknown): x is Obis {
  return (
    Array.isArray(x) &&
    x.length === 6 &&
    x.every((g) => typeof g === 'number' && Number.isInteger(g) && g >= 0 && g <= 255)
  );
}
