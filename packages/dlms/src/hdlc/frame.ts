import { ByteReader } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';
import { encodeHdlcAddress, type HdlcAddress, readHdlcAddress } from './address.ts';
import { decodeHdlcControl, encodeHdlcControl, type HdlcControl } from './control.ts';
import { crc16x25 } from './crc.ts';

/**
 * One HDLC frame of frame format type 3:
 * `7E | format(2) | dest(1/2/4) | src(1/2/4) | control | [HCS(2) | information] | FCS(2) | 7E`.
 * The HCS is present exactly when the information field is non-empty.
 */
export interface HdlcFrame {
  destination: HdlcAddress;
  source: HdlcAddress;
  control: HdlcControl;
  /** S bit of the format field: more segments of the same information follow. */
  segmented: boolean;
  /** Information field; empty when the frame has none. */
  information: Uint8Array;
}

export const HDLC_FLAG = 0x7e;
/** Format type 3 occupies the top nibble of the 16-bit format field. */
export const HDLC_FORMAT_TYPE3 = 0xa000;
export const HDLC_SEGMENTATION_BIT = 0x0800;
/** The frame length is 11 bits: flags excluded, everything else counted. */
export const HDLC_MAX_FRAME_LENGTH = 0x07ff;
/** format(2) + dest(1) + src(1) + control(1) + FCS(2). */
export const HDLC_MIN_FRAME_LENGTH = 7;

function putCrc(out: Uint8Array, at: number, crc: number): number {
  out[at] = crc & 0xff;
  out[at + 1] = crc >> 8;
  return at + 2;
}

function readCrc(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8);
}

export function encodeHdlcFrame(frame: HdlcFrame): Uint8Array {
  const dest = encodeHdlcAddress(frame.destination);
  const src = encodeHdlcAddress(frame.source);
  const info = frame.information;
  const header = 2 + dest.length + src.length + 1;
  const length = header + (info.length > 0 ? 2 + info.length : 0) + 2;
  if (length > HDLC_MAX_FRAME_LENGTH) {
    throw new DlmsError(DlmsErrorCode.Encode, `HDLC frame length ${length} exceeds ${HDLC_MAX_FRAME_LENGTH}`);
  }
  const out = new Uint8Array(length + 2);
  out[0] = HDLC_FLAG;
  const format = HDLC_FORMAT_TYPE3 | (frame.segmented ? HDLC_SEGMENTATION_BIT : 0) | length;
  out[1] = format >> 8;
  out[2] = format & 0xff;
  out.set(dest, 3);
  out.set(src, 3 + dest.length);
  out[header] = encodeHdlcControl(frame.control);
  let at = header + 1;
  if (info.length > 0) {
    at = putCrc(out, at, crc16x25(out, 1, at));
    out.set(info, at);
    at += info.length;
  }
  at = putCrc(out, at, crc16x25(out, 1, at));
  out[at] = HDLC_FLAG;
  return out;
}

/**
 * Decodes exactly one frame, flags included. Bad HCS or FCS → DlmsError Checksum;
 * any other defect → Malformed (or Truncated when the bytes end early).
 */
export function decodeHdlcFrame(bytes: Uint8Array): HdlcFrame {
  const r = new ByteReader(bytes);
  if (bytes.length < HDLC_MIN_FRAME_LENGTH + 2) {
    r.fail(DlmsErrorCode.Truncated, `HDLC frame of ${bytes.length} bytes is shorter than the minimum`, 0);
  }
  if (bytes[0] !== HDLC_FLAG) r.fail(DlmsErrorCode.Malformed, 'HDLC opening flag missing', 0);
  const format = (bytes[1]! << 8) | bytes[2]!;
  if ((format & 0xf000) !== HDLC_FORMAT_TYPE3) {
    r.fail(DlmsErrorCode.Malformed, `HDLC frame format type 0x${(format >> 12).toString(16)} is not 3`, 1);
  }
  const length = format & HDLC_MAX_FRAME_LENGTH;
  if (length + 2 > bytes.length) {
    r.fail(DlmsErrorCode.Truncated, `HDLC frame length ${length} but only ${bytes.length - 2} bytes`, 1);
  }
  if (length + 2 < bytes.length || length < HDLC_MIN_FRAME_LENGTH) {
    r.fail(
      DlmsErrorCode.Malformed,
      `HDLC frame length ${length} does not match ${bytes.length - 2} bytes`,
      1,
    );
  }
  const end = length + 1;
  if (bytes[end] !== HDLC_FLAG) r.fail(DlmsErrorCode.Malformed, 'HDLC closing flag missing', end);
  if (crc16x25(bytes, 1, end - 2) !== readCrc(bytes, end - 2)) {
    r.fail(DlmsErrorCode.Checksum, 'HDLC FCS mismatch', end - 2);
  }
  const body = new ByteReader(bytes, 3, end - 2);
  const destination = readHdlcAddress(body, 'destination');
  const source = readHdlcAddress(body, 'source');
  const controlAt = body.offset;
  const control = decodeHdlcControl(body.u8());
  if (typeof control === 'string') return body.fail(DlmsErrorCode.Malformed, control, controlAt);
  let information: Uint8Array = new Uint8Array(0);
  if (body.remaining > 0) {
    if (body.remaining < 3) body.fail(DlmsErrorCode.Malformed, 'HCS without an information field');
    if (crc16x25(bytes, 1, body.offset) !== readCrc(bytes, body.offset)) {
      body.fail(DlmsErrorCode.Checksum, 'HDLC HCS mismatch');
    }
    body.offset += 2;
    information = body.copy(body.remaining, 'information');
  }
  return { destination, source, control, segmented: (format & HDLC_SEGMENTATION_BIT) !== 0, information };
}
