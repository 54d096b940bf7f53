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

/** Flags → 24-bit integer (bit 0 = 0x800000). Missing flags count as false. */
export function conformanceToBits(c: Partial<Conformance>): number {
  let bits = 0;
  for (const name of CONFORMANCE_NAMES) if (c[name]) bits |= conformanceMask(name);
  return bits;
}

export function conformanceFromBits(bits: number): Conformance {
  if (!Number.isInteger(bits) || bits < 0 || bits > 0xffffff) {
    throw new DlmsError(DlmsErrorCode.Encode, `conformance ${bits} is not a 24-bit value`);
  }
  const out = {} as Conformance;
  for (const name of CONFORMANCE_NAMES) out[name] = (bits & conformanceMask(name)) !== 0;
  return out;
}

/** Names of the bits set, in bit order. */
export function conformanceNames(bits: number): ConformanceName[] {
  return CONFORMANCE_NAMES.filter((name) => (bits & conformanceMask(name)) !== 0);
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
  for (const b of CONFORMANCE_HEADER) {
    if (r.u8() !== b) r.fail(DlmsErrorCode.Malformed, 'conformance block must start 5F 1F 04 00', at);
  }
  const bits = (r.u8() << 16) | (r.u8() << 8) | r.u8();
  return conformanceFromBits(bits);
}
