import type { DlmsData } from '../axdr/index.ts';
import { decodeData, encodeData } from '../axdr/index.ts';
import type { ByteReader, ByteWriter } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';
import { readOptional, writeI8, writeOptional, writeU8, writeU16 } from './wire.ts';

/** Cosem-Object-Instance-Id: OCTET STRING (SIZE(6)), sent without a length byte. */
export const INSTANCE_ID_LENGTH = 6;

/**
 * Six OBIS value groups from 'A.B.C.D.E.F' (also accepts the 'A-B:C.D.E*F' notation).
 * Formatting and naming OBIS codes belongs to @openhes/cosem; this is the minimum the codec needs.
 */
/** Separators accepted between OBIS groups: `.`, `:`, `*` and `-`. */
function isObisSeparator(c: number): boolean {
  return c === 0x2e || c === 0x3a || c === 0x2a || c === 0x2d;
}

/** Six groups of 1 to 3 decimal digits, each at most 255, separated by any of `.:*-`. */
export function obisFromString(text: string): Uint8Array {
  const s = text.trim();
  const out = new Uint8Array(INSTANCE_ID_LENGTH);
  let group = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : -1;
    if (c >= 0x30 && c <= 0x39) {
      value = value * 10 + (c - 0x30);
      if (++digits > 3) break;
      continue;
    }
    if ((c !== -1 && !isObisSeparator(c)) || digits === 0 || value > 255 || group === INSTANCE_ID_LENGTH)
      break;
    out[group++] = value;
    value = 0;
    digits = 0;
    if (c === -1) return group === INSTANCE_ID_LENGTH ? out : fail(text);
  }
  return fail(text);
}

function fail(text: string): never {
  throw new DlmsError(DlmsErrorCode.Malformed, `not an OBIS code: '${text}'`);
}

export function obisToString(bytes: Uint8Array): string {
  if (bytes.length !== INSTANCE_ID_LENGTH) {
    throw new DlmsError(DlmsErrorCode.Malformed, `OBIS code needs 6 bytes, got ${bytes.length}`);
  }
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}.${bytes[4]}.${bytes[5]}`;
}

/** Cosem-Attribute-Descriptor: class-id Unsigned16, instance-id OCTET STRING(6), attribute-id Integer8. */
export interface CosemAttributeDescriptor {
  classId: number;
  instanceId: Uint8Array;
  /** Integer8: negative ids are manufacturer-specific attributes. */
  attributeId: number;
}

/** Cosem-Method-Descriptor: class-id Unsigned16, instance-id OCTET STRING(6), method-id Integer8. */
export interface CosemMethodDescriptor {
  classId: number;
  instanceId: Uint8Array;
  methodId: number;
}

/** Selective-Access-Descriptor: access-selector Unsigned8, access-parameters Data. */
export interface SelectiveAccessDescriptor {
  accessSelector: number;
  accessParameters: DlmsData;
}

export interface CosemAttributeDescriptorWithSelection {
  cosemAttributeDescriptor: CosemAttributeDescriptor;
  accessSelection?: SelectiveAccessDescriptor;
}

function writeInstanceId(w: ByteWriter, id: Uint8Array): void {
  if (id.length !== INSTANCE_ID_LENGTH) {
    throw new DlmsError(DlmsErrorCode.Encode, `instance-id needs 6 bytes, got ${id.length}`);
  }
  w.bytes(id);
}

export function decodeCosemAttributeDescriptor(r: ByteReader): CosemAttributeDescriptor {
  const classId = r.u16();
  const instanceId = r.copy(INSTANCE_ID_LENGTH, 'instance-id');
  return { classId, instanceId, attributeId: r.i8() };
}

export function encodeCosemAttributeDescriptor(w: ByteWriter, d: CosemAttributeDescriptor): void {
  writeU16(w, d.classId, 'class-id');
  writeInstanceId(w, d.instanceId);
  writeI8(w, d.attributeId, 'attribute-id');
}

export function decodeCosemMethodDescriptor(r: ByteReader): CosemMethodDescriptor {
  const classId = r.u16();
  const instanceId = r.copy(INSTANCE_ID_LENGTH, 'instance-id');
  return { classId, instanceId, methodId: r.i8() };
}

export function encodeCosemMethodDescriptor(w: ByteWriter, d: CosemMethodDescriptor): void {
  writeU16(w, d.classId, 'class-id');
  writeInstanceId(w, d.instanceId);
  writeI8(w, d.methodId, 'method-id');
}

export function decodeSelectiveAccessDescriptor(r: ByteReader): SelectiveAccessDescriptor {
  const accessSelector = r.u8();
  return { accessSelector, accessParameters: decodeData(r) };
}

export function encodeSelectiveAccessDescriptor(w: ByteWriter, d: SelectiveAccessDescriptor): void {
  writeU8(w, d.accessSelector, 'access-selector');
  encodeData(w, d.accessParameters);
}

/** access-selection is OPTIONAL: presence byte, then the descriptor. */
export function decodeAccessSelection(r: ByteReader): SelectiveAccessDescriptor | undefined {
  return readOptional(r, 'access-selection', decodeSelectiveAccessDescriptor);
}

export function encodeAccessSelection(w: ByteWriter, d: SelectiveAccessDescriptor | undefined): void {
  writeOptional(w, d, encodeSelectiveAccessDescriptor);
}

export function decodeCosemAttributeDescriptorWithSelection(
  r: ByteReader,
): CosemAttributeDescriptorWithSelection {
  const cosemAttributeDescriptor = decodeCosemAttributeDescriptor(r);
  const accessSelection = decodeAccessSelection(r);
  return accessSelection === undefined
    ? { cosemAttributeDescriptor }
    : { cosemAttributeDescriptor, accessSelection };
}

export function encodeCosemAttributeDescriptorWithSelection(
  w: ByteWriter,
  d: CosemAttributeDescriptorWithSelection,
): void {
  encodeCosemAttributeDescriptor(w, d.cosemAttributeDescriptor);
  encodeAccessSelection(w, d.accessSelection);
}
