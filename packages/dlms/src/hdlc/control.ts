import { DlmsError, DlmsErrorCode } from '../errors.ts';

/** HDLC frame kinds used by IEC 62056-46 (reference tables §9, control field). */
export const HdlcFrameKind = {
  I: 'I',
  RR: 'RR',
  RNR: 'RNR',
  SNRM: 'SNRM',
  UA: 'UA',
  DISC: 'DISC',
  DM: 'DM',
  FRMR: 'FRMR',
  UI: 'UI',
} as const;
export type HdlcFrameKind = (typeof HdlcFrameKind)[keyof typeof HdlcFrameKind];

export type HdlcUnnumberedKind = 'SNRM' | 'UA' | 'DISC' | 'DM' | 'FRMR' | 'UI';

/**
 * Decoded control field. `pf` is the P/F bit (b4): poll on commands, final on responses.
 * N(S) and N(R) are modulo 8.
 */
export type HdlcControl =
  | { kind: 'I'; ns: number; nr: number; pf: boolean }
  | { kind: 'RR' | 'RNR'; nr: number; pf: boolean }
  | { kind: HdlcUnnumberedKind; pf: boolean };

const PF = 0x10;

/** U-frame control values with the P/F bit cleared. */
const UNNUMBERED: Readonly<Record<HdlcUnnumberedKind, number>> = {
  SNRM: 0x83,
  DISC: 0x43,
  UA: 0x63,
  DM: 0x0f,
  FRMR: 0x87,
  UI: 0x03,
};

const UNNUMBERED_BY_VALUE = new Map<number, HdlcUnnumberedKind>(
  (Object.entries(UNNUMBERED) as [HdlcUnnumberedKind, number][]).map(([k, v]) => [v, k]),
);

function seq(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 7) {
    throw new DlmsError(DlmsErrorCode.Encode, `${what} ${v} is not a sequence number 0..7`);
  }
  return v;
}

export function encodeHdlcControl(c: HdlcControl): number {
  const pf = c.pf ? PF : 0;
  switch (c.kind) {
    case 'I':
      return (seq(c.nr, 'N(R)') << 5) | pf | (seq(c.ns, 'N(S)') << 1);
    case 'RR':
      return (seq(c.nr, 'N(R)') << 5) | pf | 0x01;
    case 'RNR':
      return (seq(c.nr, 'N(R)') << 5) | pf | 0x05;
    default: {
      const base = UNNUMBERED[c.kind];
      if (base === undefined) throw new DlmsError(DlmsErrorCode.Encode, `unknown HDLC frame kind ${c.kind}`);
      return base | pf;
    }
  }
}

/** Returns the control field, or a short reason when the byte is not one DLMS uses. */
export function decodeHdlcControl(b: number): HdlcControl | string {
  const pf = (b & PF) !== 0;
  if ((b & 0x01) === 0) return { kind: 'I', ns: (b >> 1) & 7, nr: b >> 5, pf };
  if ((b & 0x03) === 0x01) {
    const type = (b >> 2) & 3;
    if (type === 0) return { kind: 'RR', nr: b >> 5, pf };
    if (type === 1) return { kind: 'RNR', nr: b >> 5, pf };
    return `supervisory frame type ${type === 2 ? 'REJ' : 'SREJ'} not used by IEC 62056-46`;
  }
  const kind = UNNUMBERED_BY_VALUE.get(b & ~PF & 0xff);
  return kind === undefined ? `unknown control field 0x${b.toString(16)}` : { kind, pf };
}
