import type { ByteReader, ByteWriter } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';

/**
 * Conformance ::= [APPLICATION 31] IMPLICIT BIT STRING (SIZE(24)), on the wire
 * `5F 1F 04 00 b0..7 b8..15 b16..23`. Bit n is named by its Green Book position; bit 0 is
 * the MSB of the first byte, so read as a big-endian 24-bit integer bit n has mask
 * `1 << (23 - n)`. Bit 6 is reserved-six in older editions, delta-value-encoding in newer.
 */
export const ConformanceBit = {
  'reserved-zero': 0,
  'general-protection': 1,
  'general-block-transfer': 2,
  read: 3,
  write: 4,
  'unconfirmed-write': 5,
  'delta-value-encoding': 6,
  'reserved-seven': 7,
  'attribute0-supported-with-set': 8,
  'priority-mgmt-supported': 9,
  'attribute0-supported-with-get': 10,
  'block-transfer-with-get-or-read': 11,
  'block-transfer-with-set-or-write': 12,
  'block-transfer-with-action': 13,
  'multiple-references': 14,
  'information-report': 15,
  'data-notification': 16,
  access: 17,
  'parameterized-access': 18,
  get: 19,
  set: 20,
  'selective-access': 21,
  'event-notification': 22,
  action: 23,
} as const;
export type ConformanceName = keyof typeof ConformanceBit;

export type Conformance = Record<ConformanceName, boolean>;

export const CONFORMANCE_NAMES = Object.keys(ConformanceBit) as ConformanceName[];

/** The 24-bit integer mask of one named bit. */
export function conformanceMask(name: ConformanceName): number {
  return 1 << (23 - ConformanceBit[name]);
}

/** Masks in the order of CONFORMANCE_NAMES. */
const MASKS: readonly number[] = CONFORMANCE_NAMES.map(conformanceMask);

/** Flags → 24-bit integer (bit 0 = 0x800000). Missing flags count as false. */
export function conformanceToBits(c: Partial<Conformance>): number {
  let bits = 0;
  for (let i = 0; i < CONFORMANCE_NAMES.length; i++) if (c[CONFORMANCE_NAMES[i]!]) bits |= MASKS[i]!;
  return bits;
}

/** One literal so every Conformance shares a single object shape; masks are `1 << (23 - bit)`. */
function flags(bits: number): Conformance {
  return {
    'reserved-zero': (bits & 0x800000) !== 0,
    'general-protection': (bits & 0x400000) !== 0,
    'general-block-transfer': (bits & 0x200000) !== 0,
    read: (bits & 0x100000) !== 0,
    write: (bits & 0x080000) !== 0,
    'unconfirmed-write': (bits & 0x040000) !== 0,
    'delta-value-encoding': (bits & 0x020000) !== 0,
    'reserved-seven': (bits & 0x010000) !== 0,
    'attribute0-supported-with-set': (bits & 0x008000) !== 0,
    'priority-mgmt-supported': (bits & 0x004000) !== 0,
    'attribute0-supported-with-get': (bits & 0x002000) !== 0,
    'block-transfer-with-get-or-read': (bits & 0x001000) !== 0,
    'block-transfer-with-set-or-write': (bits & 0x000800) !== 0,
    'block-transfer-with-action': (bits & 0x000400) !== 0,
    'multiple-references': (bits & 0x000200) !== 0,
    'information-report': (bits & 0x000100) !== 0,
    'data-notification': (bits & 0x000080) !== 0,
    access: (bits & 0x000040) !== 0,
    'parameterized-access': (bits & 0x000020) !== 0,
    get: (bits & 0x000010) !== 0,
    set: (bits & 0x000008) !== 0,
    'selective-access': (bits & 0x000004) !== 0,
    'event-notification': (bits & 0x000002) !== 0,
    action: (bits & 0x000001) !== 0,
  };
}

export function conformanceFromBits(bits: number): Conformance {
  if (!Number.isInteger(bits) || bits < 0 || bits > 0xffffff) {
    throw new DlmsError(DlmsErrorCode.Encode, `conformance ${bits} is not a 24-bit value`);
  }
  return flags(bits);
}

/** Names of the bits set, in bit order. */
export function conformanceNames(bits: number): ConformanceName[] {
  const out: ConformanceName[] = [];
  for (let i = 0; i < CONFORMANCE_NAMES.length; i++)
    if ((bits & MASKS[i]!) !== 0) out.push(CONFORMANCE_NAMES[i]!);
  return out;
}

export function conformanceFromNames(names: readonly ConformanceName[]): Conformance {
  const out = conformanceFromBits(0);
  for (const name of names) out[name] = true;
  return out;
}

const CONFORMANCE_HEADER = [0x5f, 0x1f, 0x04, 0x00] as const;

export function writeConformance(w: ByteWriter, c: Partial<Conformance>): void {
  const bits = conformanceToBits(c);
  for (const b of CONFORMANCE_HEADER) w.u8(b);
  w.u8(bits >>> 16)
    .u8(bits >>> 8)
    .u8(bits);
}

export function readConformance(r: ByteReader): Conformance {
  const at = r.offset;
  for (let i = 0; i < CONFORMANCE_HEADER.length; i++) {
    if (r.u8() !== CONFORMANCE_HEADER[i]) {
      r.fail(DlmsErrorCode.Malformed, 'conformance block must start 5F 1F 04 00', at);
    }
  }
  return flags((r.u8() << 16) | (r.u8() << 8) | r.u8());
}
