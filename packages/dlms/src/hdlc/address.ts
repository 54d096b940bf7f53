import type { ByteReader } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';

/**
 * An HDLC address. Every address byte carries 7 address bits in b7..b1; b0 = 1 marks the
 * last byte. The client address is always 1 byte (`{ logical: sap, size: 1 }`).
 * A server address is 1 byte (upper/logical only), 2 bytes (upper 7 bits + lower/physical
 * 7 bits) or 4 bytes (upper 14 bits in 2 bytes + lower 14 bits in 2 bytes).
 */
export interface HdlcAddress {
  /** Upper HDLC address: the logical device (server) or the client SAP. */
  logical: number;
  /** Lower HDLC address (physical device); absent in the 1-byte form. */
  physical?: number;
  size: HdlcAddressSize;
}
export type HdlcAddressSize = 1 | 2 | 4;

export interface ServerAddressInput {
  logical: number;
  physical?: number;
  size?: HdlcAddressSize;
}

/** Well-known SAPs and upper addresses (reference tables §9). */
export const HdlcReservedAddress = {
  noStation: 0x00,
  clientManagementProcess: 0x01,
  publicClient: 0x10,
  managementLogicalDevice: 0x01,
  allStation: 0x7f,
  allStation14: 0x3fff,
  callingPhysicalDevice: 0x7e,
  callingPhysicalDevice14: 0x3ffe,
} as const;

function inRange(v: number, max: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= max;
}

/** Resolves the wire size of a server address: explicit, or the smallest form that fits. */
export function serverAddress(input: ServerAddressInput): HdlcAddress {
  const { logical, physical } = input;
  let size = input.size;
  if (size === undefined) {
    if (physical === undefined) size = 1;
    else size = logical <= 0x7f && physical <= 0x7f ? 2 : 4;
  }
  const addr: HdlcAddress = physical === undefined ? { logical, size } : { logical, physical, size };
  validate(addr);
  return addr;
}

export function clientAddress(sap: number): HdlcAddress {
  const addr: HdlcAddress = { logical: sap, size: 1 };
  validate(addr);
  return addr;
}

function validate(addr: HdlcAddress): void {
  const max = addr.size === 4 ? 0x3fff : 0x7f;
  const ok =
    inRange(addr.logical, max) &&
    (addr.size === 1
      ? addr.physical === undefined
      : addr.physical !== undefined && inRange(addr.physical, max));
  if (!ok || (addr.size !== 1 && addr.size !== 2 && addr.size !== 4)) {
    throw new DlmsError(
      DlmsErrorCode.Encode,
      `HDLC address ${JSON.stringify(addr)} does not fit the ${addr.size}-byte form`,
    );
  }
}

export function encodeHdlcAddress(addr: HdlcAddress): Uint8Array {
  validate(addr);
  const lower = addr.physical ?? 0;
  switch (addr.size) {
    case 1:
      return Uint8Array.of(((addr.logical << 1) | 1) & 0xff);
    case 2:
      return Uint8Array.of((addr.logical << 1) & 0xff, ((lower << 1) | 1) & 0xff);
    case 4:
      return Uint8Array.of(
        ((addr.logical >> 7) << 1) & 0xff,
        ((addr.logical & 0x7f) << 1) & 0xff,
        ((lower >> 7) << 1) & 0xff,
        (((lower & 0x7f) << 1) | 1) & 0xff,
      );
  }
}

export function encodeServerAddress(input: ServerAddressInput): Uint8Array {
  return encodeHdlcAddress(serverAddress(input));
}

export function encodeClientAddress(sap: number): Uint8Array {
  return encodeHdlcAddress(clientAddress(sap));
}

/** Reads one address: bytes up to and including the first with b0 = 1; 1, 2 or 4 bytes. */
export function readHdlcAddress(reader: ByteReader, what: string): HdlcAddress {
  const at = reader.offset;
  const parts: number[] = [];
  for (;;) {
    const b = reader.u8();
    parts.push(b >> 1);
    if (b & 1) break;
    if (parts.length >= 4) reader.fail(DlmsErrorCode.Malformed, `${what} address longer than 4 bytes`, at);
  }
  switch (parts.length) {
    case 1:
      return { logical: parts[0]!, size: 1 };
    case 2:
      return { logical: parts[0]!, physical: parts[1]!, size: 2 };
    case 4:
      return { logical: (parts[0]! << 7) | parts[1]!, physical: (parts[2]! << 7) | parts[3]!, size: 4 };
    default:
      return reader.fail(DlmsErrorCode.Malformed, `${what} address of ${parts.length} bytes`, at);
  }
}

export function sameHdlcAddress(a: HdlcAddress, b: HdlcAddress): boolean {
  return a.logical === b.logical && (a.physical ?? -1) === (b.physical ?? -1);
}
