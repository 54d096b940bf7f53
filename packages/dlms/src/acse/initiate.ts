import { ByteReader, ByteWriter } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';
import { type Conformance, readConformance, writeConformance } from './conformance.ts';

/** xDLMS APDU tags that travel in ACSE user-information. */
export const XdlmsInitiateTag = {
  initiateRequest: 0x01,
  initiateResponse: 0x08,
  confirmedServiceError: 0x0e,
} as const;
export type XdlmsInitiateTag = (typeof XdlmsInitiateTag)[keyof typeof XdlmsInitiateTag];

/** vaa-name (ObjectName): 0x0007 for LN referencing, the Association SN base_name 0xFA00 for SN. */
export const VaaName = {
  'logical-name': 0x0007,
  'short-name': 0xfa00,
} as const;
export type VaaName = (typeof VaaName)[keyof typeof VaaName];

/**
 * InitiateRequest (A-XDR, tag 0x01):
 * `01 | dedicated-key OPTIONAL | response-allowed DEFAULT TRUE | [0] QoS Integer8 OPTIONAL |
 *  dlms-version Unsigned8 | conformance (7 bytes) | client-max-receive-pdu-size Unsigned16`.
 * `responseAllowed` absent means the DEFAULT (TRUE, encoded 0x00); present is encoded
 * `01 <boolean>` even when TRUE, so decoded values re-encode to the same bytes.
 */
export interface InitiateRequest {
  dedicatedKey?: Uint8Array;
  responseAllowed?: boolean;
  proposedQualityOfService?: number;
  proposedDlmsVersionNumber: number;
  proposedConformance: Conformance;
  clientMaxReceivePduSize: number;
}

/**
 * InitiateResponse (A-XDR, tag 0x08):
 * `08 | [0] QoS Integer8 OPTIONAL | dlms-version Unsigned8 | conformance (7 bytes) |
 *  server-max-receive-pdu-size Unsigned16 | vaa-name (2 bytes, kept unsigned: 0x0007 / 0xFA00)`.
 */
export interface InitiateResponse {
  negotiatedQualityOfService?: number;
  negotiatedDlmsVersionNumber: number;
  negotiatedConformance: Conformance;
  serverMaxReceivePduSize: number;
  vaaName: number;
}

function checkRange(value: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new DlmsError(DlmsErrorCode.Encode, `${what} ${value} out of range ${min}..${max}`);
  }
}

function writeQualityOfService(w: ByteWriter, qos: number | undefined, what: string): void {
  if (qos === undefined) {
    w.u8(0);
    return;
  }
  checkRange(qos, -128, 127, what);
  w.u8(1).i8(qos);
}

function readPresence(r: ByteReader, what: string): boolean {
  const at = r.offset;
  const flag = r.u8();
  if (flag > 1) r.fail(DlmsErrorCode.Malformed, `${what}: presence flag ${flag}`, at);
  return flag === 1;
}

export function writeInitiateRequest(w: ByteWriter, v: InitiateRequest): void {
  w.u8(XdlmsInitiateTag.initiateRequest);
  if (v.dedicatedKey) w.u8(1).axdrLength(v.dedicatedKey.length).bytes(v.dedicatedKey);
  else w.u8(0);
  if (v.responseAllowed === undefined) w.u8(0);
  else w.u8(1).u8(v.responseAllowed ? 1 : 0);
  writeQualityOfService(w, v.proposedQualityOfService, 'proposed-quality-of-service');
  checkRange(v.proposedDlmsVersionNumber, 0, 255, 'proposed-dlms-version-number');
  w.u8(v.proposedDlmsVersionNumber);
  writeConformance(w, v.proposedConformance);
  checkRange(v.clientMaxReceivePduSize, 0, 0xffff, 'client-max-receive-pdu-size');
  w.u16(v.clientMaxReceivePduSize);
}

export function readInitiateRequest(r: ByteReader): InitiateRequest {
  const at = r.offset;
  if (r.u8() !== XdlmsInitiateTag.initiateRequest)
    r.fail(DlmsErrorCode.Malformed, 'not an InitiateRequest', at);
  const out: Partial<InitiateRequest> = {};
  if (readPresence(r, 'dedicated-key')) out.dedicatedKey = r.copy(r.axdrLength(), 'dedicated-key');
  if (readPresence(r, 'response-allowed')) {
    const b = r.u8();
    if (b > 1) r.fail(DlmsErrorCode.Malformed, `response-allowed BOOLEAN ${b}`, r.offset - 1);
    out.responseAllowed = b === 1;
  }
  if (readPresence(r, 'proposed-quality-of-service')) out.proposedQualityOfService = r.i8();
  const proposedDlmsVersionNumber = r.u8();
  const proposedConformance = readConformance(r);
  const clientMaxReceivePduSize = r.u16();
  return { ...out, proposedDlmsVersionNumber, proposedConformance, clientMaxReceivePduSize };
}

export function encodeInitiateRequest(v: InitiateRequest): Uint8Array {
  const w = new ByteWriter(32);
  writeInitiateRequest(w, v);
  return w.finish();
}

export function decodeInitiateRequest(bytes: Uint8Array): InitiateRequest {
  const r = new ByteReader(bytes);
  const v = readInitiateRequest(r);
  if (!r.atEnd()) r.fail(DlmsErrorCode.Malformed, `${r.remaining} bytes after InitiateRequest`);
  return v;
}

export function writeInitiateResponse(w: ByteWriter, v: InitiateResponse): void {
  w.u8(XdlmsInitiateTag.initiateResponse);
  writeQualityOfService(w, v.negotiatedQualityOfService, 'negotiated-quality-of-service');
  checkRange(v.negotiatedDlmsVersionNumber, 0, 255, 'negotiated-dlms-version-number');
  w.u8(v.negotiatedDlmsVersionNumber);
  writeConformance(w, v.negotiatedConformance);
  checkRange(v.serverMaxReceivePduSize, 0, 0xffff, 'server-max-receive-pdu-size');
  w.u16(v.serverMaxReceivePduSize);
  checkRange(v.vaaName, 0, 0xffff, 'vaa-name');
  w.u16(v.vaaName);
}

export function readInitiateResponse(r: ByteReader): InitiateResponse {
  const at = r.offset;
  if (r.u8() !== XdlmsInitiateTag.initiateResponse)
    r.fail(DlmsErrorCode.Malformed, 'not an InitiateResponse', at);
  const out: Partial<InitiateResponse> = {};
  if (readPresence(r, 'negotiated-quality-of-service')) out.negotiatedQualityOfService = r.i8();
  const negotiatedDlmsVersionNumber = r.u8();
  const negotiatedConformance = readConformance(r);
  const serverMaxReceivePduSize = r.u16();
  const vaaName = r.u16();
  return { ...out, negotiatedDlmsVersionNumber, negotiatedConformance, serverMaxReceivePduSize, vaaName };
}

export function encodeInitiateResponse(v: InitiateResponse): Uint8Array {
  const w = new ByteWriter(16);
  writeInitiateResponse(w, v);
  return w.finish();
}

export function decodeInitiateResponse(bytes: Uint8Array): InitiateResponse {
  const r = new ByteReader(bytes);
  const v = readInitiateResponse(r);
  if (!r.atEnd()) r.fail(DlmsErrorCode.Malformed, `${r.remaining} bytes after InitiateResponse`);
  return v;
}
