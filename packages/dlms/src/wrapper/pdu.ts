import { ByteReader, ByteWriter } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';

/**
 * TCP/UDP wrapper PDU (IEC 62056-47 / -9-7): an 8-byte header of big-endian Unsigned16
 * fields `version (0x0001) | source wPort | destination wPort | length`, then `length`
 * bytes of APDU (no LLC).
 */
export interface WrapperPdu {
  source: number;
  destination: number;
  apdu: Uint8Array;
}

export const WRAPPER_VERSION = 0x0001;
export const WRAPPER_HEADER_LENGTH = 8;
/** Well-known DLMS/COSEM port for TCP and UDP. */
export const DLMS_WRAPPER_PORT = 4059;

/** Reserved wPorts; they reuse the HDLC SAP numbers (reference tables §10). */
export const WrapperPort = {
  noStation: 0,
  clientManagementProcess: 1,
  publicClient: 16,
  managementLogicalDevice: 1,
  allStation: 127,
} as const;

export interface WrapperHeader {
  version: number;
  source: number;
  destination: number;
  length: number;
}

function u16(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) {
    throw new DlmsError(DlmsErrorCode.Encode, `wrapper ${what} ${v} is not an Unsigned16`);
  }
  return v;
}

export function encodeWrapperPdu(pdu: WrapperPdu): Uint8Array {
  const w = new ByteWriter(WRAPPER_HEADER_LENGTH + pdu.apdu.length);
  w.u16(WRAPPER_VERSION);
  w.u16(u16(pdu.source, 'source wPort'));
  w.u16(u16(pdu.destination, 'destination wPort'));
  w.u16(u16(pdu.apdu.length, 'APDU length'));
  w.bytes(pdu.apdu);
  return w.finish();
}

/** Reads the 8-byte header and checks the version. */
export function readWrapperHeader(r: ByteReader): WrapperHeader {
  const at = r.offset;
  r.need(WRAPPER_HEADER_LENGTH, 'wrapper header');
  const version = r.u16();
  if (version !== WRAPPER_VERSION) r.fail(DlmsErrorCode.Malformed, `wrapper version ${version} is not 1`, at);
  return { version, source: r.u16(), destination: r.u16(), length: r.u16() };
}

/** Decodes exactly one wrapper PDU; bytes beyond the stated length are Malformed. */
export function decodeWrapperPdu(bytes: Uint8Array): WrapperPdu {
  const r = new ByteReader(bytes);
  const h = readWrapperHeader(r);
  const apdu = r.copy(h.length, 'wrapper APDU');
  if (!r.atEnd()) r.fail(DlmsErrorCode.Malformed, `${r.remaining} bytes after the wrapper APDU`);
  return { source: h.source, destination: h.destination, apdu };
}
