import { ByteReader, ByteWriter } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';

/**
 * HDLC link parameters carried in the SNRM and UA information field, each stated from the
 * point of view of the station that sends the frame:
 * `81 80 <group-len> 05 <n> <max-info-tx> 06 <n> <max-info-rx> 07 <n> <window-tx> 08 <n> <window-rx>`.
 */
export interface HdlcParameters {
  maxInfoTransmit: number;
  maxInfoReceive: number;
  windowTransmit: number;
  windowReceive: number;
}

export const HdlcParameterId = {
  maxInfoTransmit: 0x05,
  maxInfoReceive: 0x06,
  windowTransmit: 0x07,
  windowReceive: 0x08,
} as const;
export type HdlcParameterId = (typeof HdlcParameterId)[keyof typeof HdlcParameterId];

export const HDLC_PARAMETER_FORMAT = 0x81;
export const HDLC_PARAMETER_GROUP = 0x80;

/** Values that apply when a parameter (or the whole field) is absent. */
export const HDLC_DEFAULT_PARAMETERS: Readonly<HdlcParameters> = Object.freeze({
  maxInfoTransmit: 128,
  maxInfoReceive: 128,
  windowTransmit: 1,
  windowReceive: 1,
});

/** Ranges IEC 62056-46 allows: information field 32..2030 bytes, window 1..7 frames. */
export const HDLC_MAX_INFO_RANGE = { min: 32, max: 2030 } as const;
export const HDLC_WINDOW_RANGE = { min: 1, max: 7 } as const;

const KEYS: readonly (keyof HdlcParameters)[] = [
  'maxInfoTransmit',
  'maxInfoReceive',
  'windowTransmit',
  'windowReceive',
];

export function isDefaultHdlcParameters(p: HdlcParameters): boolean {
  return KEYS.every((k) => p[k] === HDLC_DEFAULT_PARAMETERS[k]);
}

/** Information lengths in the shortest of 1 or 2 bytes, windows in 4 bytes (as meters send them). */
export function encodeHdlcParameters(p: HdlcParameters): Uint8Array {
  const w = new ByteWriter(32);
  w.u8(HDLC_PARAMETER_FORMAT).u8(HDLC_PARAMETER_GROUP).u8(0);
  for (const key of KEYS) {
    const v = p[key];
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
      throw new DlmsError(DlmsErrorCode.Encode, `HDLC parameter ${key} = ${v} out of range`);
    }
    w.u8(HdlcParameterId[key]);
    if (key === 'windowTransmit' || key === 'windowReceive') w.u8(4).u32(v);
    else if (v <= 0xff) w.u8(1).u8(v);
    else if (v <= 0xffff) w.u8(2).u16(v);
    else w.u8(4).u32(v);
  }
  w.setU8(2, w.length - 3);
  return w.finish();
}

/**
 * Decodes the negotiation field; absent parameters take the defaults, an empty field gives
 * all defaults. Values of 1, 2 or 4 bytes are accepted; unknown parameter ids are skipped.
 */
export function decodeHdlcParameters(info: Uint8Array): HdlcParameters {
  const p: HdlcParameters = { ...HDLC_DEFAULT_PARAMETERS };
  if (info.length === 0) return p;
  const r = new ByteReader(info);
  if (r.u8() !== HDLC_PARAMETER_FORMAT)
    r.fail(DlmsErrorCode.Malformed, 'HDLC parameter format is not 0x81', 0);
  if (r.u8() !== HDLC_PARAMETER_GROUP) r.fail(DlmsErrorCode.Malformed, 'HDLC parameter group is not 0x80', 1);
  const groupLength = r.u8();
  if (groupLength !== r.remaining) {
    r.fail(
      DlmsErrorCode.Malformed,
      `HDLC parameter group length ${groupLength}, ${r.remaining} bytes follow`,
      2,
    );
  }
  while (!r.atEnd()) {
    const id = r.u8();
    const at = r.offset;
    const n = r.u8();
    const key = KEYS.find((k) => HdlcParameterId[k] === id);
    if (key === undefined) {
      r.take(n, 'unknown HDLC parameter');
      continue;
    }
    if (n !== 1 && n !== 2 && n !== 4)
      r.fail(DlmsErrorCode.Malformed, `HDLC parameter 0x${id} of ${n} bytes`, at);
    p[key] = n === 1 ? r.u8() : n === 2 ? r.u16() : r.u32();
  }
  return p;
}

function clamp(v: number, range: { min: number; max: number }, floor: number): number {
  return Math.max(floor, Math.min(range.max, v));
}

/**
 * Our parameters after negotiation, from our limits and the peer's frame (SNRM on the
 * server, UA on the client), each side stating its own view: what we transmit is bounded
 * by what the peer receives and the other way round. Windows end in 1..7, lengths in 1..2030.
 */
export function negotiateHdlcParameters(own: HdlcParameters, peer: HdlcParameters): HdlcParameters {
  return {
    maxInfoTransmit: clamp(Math.min(own.maxInfoTransmit, peer.maxInfoReceive), HDLC_MAX_INFO_RANGE, 1),
    maxInfoReceive: clamp(Math.min(own.maxInfoReceive, peer.maxInfoTransmit), HDLC_MAX_INFO_RANGE, 1),
    windowTransmit: clamp(Math.min(own.windowTransmit, peer.windowReceive), HDLC_WINDOW_RANGE, 1),
    windowReceive: clamp(Math.min(own.windowReceive, peer.windowTransmit), HDLC_WINDOW_RANGE, 1),
  };
}
