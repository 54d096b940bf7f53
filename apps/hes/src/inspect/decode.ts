import {
  ByteReader,
  CipheredApduTag,
  cipheringFamilyOf,
  DlmsError,
  DlmsErrorCode,
  decipherApdu,
  decodeAare,
  decodeAarq,
  decodeConfirmedServiceError,
  decodeHdlcFrame,
  decodeHdlcParameters,
  decodeInitiateRequest,
  decodeInitiateResponse,
  decodeRlre,
  decodeRlrq,
  decodeUserInformation,
  decodeWrapperPdu,
  decodeXdlmsApdu,
  describeAssociationResult,
  describeSecurityControl,
  type HdlcParameters,
  isCipheredTag,
  type SecurityKeys,
  toHex,
} from '@openhes/dlms';

/** Keys the translator may use to open ciphered APDUs. */
export interface InspectKeys {
  ek?: Uint8Array;
  ak?: Uint8Array;
  /**
   * Sender's system title for glo-/ded- APDUs (general-* carry their own, and the ciphered
   * user-information of an AARQ/AARE is opened with its calling/responding AP title).
   */
  systemTitle?: Uint8Array;
  /** Dedicated key, tried for ded- APDUs. */
  dedicatedKey?: Uint8Array;
}

export interface InspectedApdu {
  apdu: string;
  tag: string;
  fields?: unknown;
  userInformation?: unknown;
  security?: string;
  invocationCounter?: number;
  systemTitle?: Uint8Array;
  /** Where `systemTitle` came from when not from the APDU's own header (e.g. calling-AP-title). */
  systemTitleFrom?: string;
  plaintext?: Uint8Array;
  deciphered?: InspectedApdu;
  note?: string;
  trailing?: Uint8Array;
}

export type Inspected =
  | { layer: 'hdlc'; frame: unknown; apdu?: InspectedApdu; parameters?: HdlcParameters; note?: string }
  | { layer: 'wrapper'; header: unknown; apdu: InspectedApdu }
  | { layer: 'apdu'; apdu: InspectedApdu };

const ACSE_NAMES: Record<number, string> = { 96: 'AARQ', 97: 'AARE', 98: 'RLRQ', 99: 'RLRE' };
const LLC = [
  [0xe6, 0xe6, 0x00],
  [0xe6, 0xe7, 0x00],
] as const;

function hexTag(tag: number): string {
  return `0x${tag.toString(16).padStart(2, '0').toUpperCase()}`;
}

const SYSTEM_TITLE_LENGTH = 8;

/**
 * The user-information of an ACSE APDU, deciphered when keys allow. `apTitle` is the sender's
 * AP title the APDU carries (AARQ calling-AP-title, AARE responding-AP-title): it is the
 * system title the ciphered xDLMS APDU was protected under, so the keys alone suffice.
 */
function withUserInformation(
  fields: { userInformation?: Uint8Array },
  keys: InspectKeys,
  apTitle?: { field: string; value: Uint8Array | undefined },
): unknown {
  if (!fields.userInformation) return undefined;
  const ui = decodeUserInformation(fields.userInformation);
  if (ui.kind !== 'ciphered') return ui;
  const title = apTitle?.value;
  if (title === undefined || title.length !== SYSTEM_TITLE_LENGTH || isGeneralCiphering(ui.raw[0]!)) {
    return inspectApdu(ui.raw, keys);
  }
  const inner = inspectApdu(ui.raw, { ...keys, systemTitle: title });
  return { ...inner, systemTitle: title, systemTitleFrom: apTitle!.field };
}

function isGeneralCiphering(tag: number): boolean {
  return tag === CipheredApduTag.generalGloCiphering || tag === CipheredApduTag.generalDedCiphering;
}

/** Decodes one bare APDU of any kind, deciphering it when keys allow. */
export function inspectApdu(bytes: Uint8Array, keys: InspectKeys = {}): InspectedApdu {
  if (bytes.length === 0) throw new DlmsError(DlmsErrorCode.Truncated, 'empty APDU');
  const tag = bytes[0]!;
  const acse = ACSE_NAMES[tag];
  if (acse) {
    switch (tag) {
      case 0x60: {
        const f = decodeAarq(bytes);
        const title = { field: 'calling-AP-title', value: f.callingApTitle };
        return {
          apdu: acse,
          tag: hexTag(tag),
          fields: f,
          userInformation: withUserInformation(f, keys, title),
        };
      }
      case 0x61: {
        const f = decodeAare(bytes);
        return {
          apdu: acse,
          tag: hexTag(tag),
          fields: f,
          note: describeAssociationResult(f),
          userInformation: withUserInformation(f, keys, {
            field: 'responding-AP-title',
            value: f.respondingApTitle,
          }),
        };
      }
      case 0x62: {
        const f = decodeRlrq(bytes);
        return { apdu: acse, tag: hexTag(tag), fields: f, userInformation: withUserInformation(f, keys) };
      }
      default: {
        const f = decodeRlre(bytes);
        return { apdu: acse, tag: hexTag(tag), fields: f, userInformation: withUserInformation(f, keys) };
      }
    }
  }
  if (tag === 0x01)
    return { apdu: 'InitiateRequest', tag: hexTag(tag), fields: decodeInitiateRequest(bytes) };
  if (tag === 0x08)
    return { apdu: 'InitiateResponse', tag: hexTag(tag), fields: decodeInitiateResponse(bytes) };
  if (tag === 0x0e) {
    return { apdu: 'ConfirmedServiceError', tag: hexTag(tag), fields: decodeConfirmedServiceError(bytes) };
  }
  if (isCipheredTag(tag)) return inspectCiphered(bytes, keys);
  const decoded = decodeXdlmsApdu(bytes);
  const { trailing, ...fields } = decoded as typeof decoded & { trailing?: Uint8Array };
  return { apdu: decoded.type, tag: hexTag(tag), fields, trailing };
}

function inspectCiphered(bytes: Uint8Array, keys: InspectKeys): InspectedApdu {
  const tag = bytes[0]!;
  const out: InspectedApdu = { apdu: cipheredName(tag), tag: hexTag(tag) };
  if (tag === CipheredApduTag.generalCiphering) {
    // Its header (transaction id, titles, date-time, key info) is not parsed here.
    out.note = 'general-ciphering is not decoded by this tool';
    return out;
  }
  const header = readCipheredHeader(bytes);
  out.security = describeSecurityControl(header.sc);
  out.invocationCounter = header.ic;
  if (header.systemTitle) out.systemTitle = header.systemTitle;
  const dedicated = cipheringFamilyOf(tag) === 'ded' || tag === CipheredApduTag.generalDedCiphering;
  const ek = dedicated ? (keys.dedicatedKey ?? keys.ek) : keys.ek;
  if (!ek) {
    out.note = 'ciphered: give --ek (and --ak) to decipher';
    return out;
  }
  if (header.systemTitle === undefined && keys.systemTitle === undefined) {
    out.note = "ciphered: give --system-title (the sender's) to decipher";
    return out;
  }
  const sk: SecurityKeys = { ek, ak: keys.ak ?? new Uint8Array(16) };
  const opened = decipherApdu(bytes, { keys: sk, systemTitle: keys.systemTitle });
  out.plaintext = opened.plaintext;
  out.deciphered = inspectApdu(opened.plaintext, keys);
  return out;
}

/** `gloGetRequest` → `glo-get-request`, named from the security layer's tag table. */
const CIPHERED_NAMES = new Map<number, string>(
  Object.entries(CipheredApduTag).map(([name, tag]) => [
    tag,
    name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
  ]),
);

function cipheredName(tag: number): string {
  return CIPHERED_NAMES.get(tag) ?? `ciphered ${hexTag(tag)}`;
}

/** SC, IC and (general-*) system title, read without keys so they show even when ciphered. */
function readCipheredHeader(bytes: Uint8Array): { sc: number; ic: number; systemTitle?: Uint8Array } {
  const r = new ByteReader(bytes, 1);
  let systemTitle: Uint8Array | undefined;
  if (isGeneralCiphering(bytes[0]!)) {
    systemTitle = r.take(r.axdrLength(), 'system-title');
  }
  const length = r.axdrLength();
  r.need(length, 'ciphered content');
  return { sc: r.u8(), ic: r.u32(), systemTitle };
}

function startsWithLlc(info: Uint8Array): boolean {
  return LLC.some((l) => info.length >= 3 && info[0] === l[0] && info[1] === l[1] && info[2] === l[2]);
}

function looksLikeWrapper(bytes: Uint8Array): boolean {
  if (bytes.length < 8 || bytes[0] !== 0x00 || bytes[1] !== 0x01) return false;
  const len = (bytes[6]! << 8) | bytes[7]!;
  return len === bytes.length - 8;
}

/** Recognises an HDLC frame, a wrapper PDU or a bare APDU and decodes every layer. */
export function inspect(bytes: Uint8Array, keys: InspectKeys = {}): Inspected {
  if (bytes.length >= 2 && bytes[0] === 0x7e && bytes[bytes.length - 1] === 0x7e) {
    const frame = decodeHdlcFrame(bytes);
    const info = (frame as { information?: Uint8Array }).information;
    if (!info || info.length === 0) return { layer: 'hdlc', frame };
    const kind = (frame as { control?: { kind?: string } }).control?.kind;
    if (kind === 'SNRM' || kind === 'UA') {
      // The HDLC link parameter negotiation, not an APDU.
      return { layer: 'hdlc', frame, parameters: decodeHdlcParameters(info) };
    }
    const segmented = (frame as { segmented?: boolean }).segmented === true;
    if (segmented) return { layer: 'hdlc', frame, note: 'segment of a longer APDU: reassemble to decode' };
    if (!startsWithLlc(info)) return { layer: 'hdlc', frame, note: 'continuation segment (no LLC header)' };
    return { layer: 'hdlc', frame, apdu: inspectApdu(info.subarray(3), keys) };
  }
  if (looksLikeWrapper(bytes)) {
    const pdu = decodeWrapperPdu(bytes);
    const { apdu, ...header } = pdu as typeof pdu & { apdu: Uint8Array };
    return { layer: 'wrapper', header, apdu: inspectApdu(apdu, keys) };
  }
  return { layer: 'apdu', apdu: inspectApdu(bytes, keys) };
}

export { toHex };
