import { ByteReader, concatBytes } from '../bytes.ts';
import { DlmsErrorCode } from '../errors.ts';
import {
  encodeInitiateRequest,
  encodeInitiateResponse,
  type InitiateRequest,
  type InitiateResponse,
  readInitiateRequest,
  readInitiateResponse,
  XdlmsInitiateTag,
} from './initiate.ts';
import {
  type ConfirmedServiceError,
  encodeConfirmedServiceError,
  readConfirmedServiceError,
} from './service-error.ts';

/**
 * Ciphered xDLMS APDUs that may stand in ACSE user-information. The glo-/ded- forms are
 * `tag | A-XDR length | SC | IC | ciphertext | tag`; the general-* forms carry their own
 * headers. All stay opaque here: deciphering belongs to the security layer.
 */
export const CipheredInitiateTag = {
  'glo-initiateRequest': 0x21,
  'glo-initiateResponse': 0x28,
  'glo-confirmedServiceError': 0x2e,
  'ded-initiateRequest': 0x41,
  'ded-initiateResponse': 0x48,
  'ded-confirmedServiceError': 0x4e,
  'general-glo-ciphering': 0xdb,
  'general-ded-ciphering': 0xdc,
  'general-ciphering': 0xdd,
} as const;
export type CipheredInitiateName = keyof typeof CipheredInitiateTag;
export type CipheredInitiateTag = (typeof CipheredInitiateTag)[CipheredInitiateName];

/**
 * `trailing`: bytes after a complete InitiateRequest/-Response or ConfirmedServiceError, which
 * some meters append; kept for the caller to report, never interpreted.
 */
export type UserInformation =
  | {
      kind: 'initiate-request';
      tag: typeof XdlmsInitiateTag.initiateRequest;
      value: InitiateRequest;
      trailing?: Uint8Array;
    }
  | {
      kind: 'initiate-response';
      tag: typeof XdlmsInitiateTag.initiateResponse;
      value: InitiateResponse;
      trailing?: Uint8Array;
    }
  | {
      kind: 'confirmed-service-error';
      tag: typeof XdlmsInitiateTag.confirmedServiceError;
      value: ConfirmedServiceError;
      trailing?: Uint8Array;
    }
  /** `raw` is the whole ciphered APDU, tag included. */
  | { kind: 'ciphered'; tag: CipheredInitiateTag; apdu: CipheredInitiateName; raw: Uint8Array };

function cipheredName(tag: number): CipheredInitiateName | undefined {
  for (const k of Object.keys(CipheredInitiateTag) as CipheredInitiateName[]) {
    if (CipheredInitiateTag[k] === tag) return k;
  }
  return undefined;
}

/** Decodes the xDLMS APDU carried in AARQ/AARE/RLRQ/RLRE user-information. */
export function decodeUserInformation(bytes: Uint8Array): UserInformation {
  const r: ByteReader = new ByteReader(bytes);
  const tag = r.peekU8();
  let out: UserInformation;
  if (tag === XdlmsInitiateTag.initiateRequest) {
    out = { kind: 'initiate-request', tag, value: readInitiateRequest(r) };
  } else if (tag === XdlmsInitiateTag.initiateResponse) {
    out = { kind: 'initiate-response', tag, value: readInitiateResponse(r) };
  } else if (tag === XdlmsInitiateTag.confirmedServiceError) {
    out = { kind: 'confirmed-service-error', tag, value: readConfirmedServiceError(r) };
  } else {
    const apdu = cipheredName(tag);
    if (apdu === undefined) {
      r.fail(DlmsErrorCode.Malformed, `user-information APDU tag 0x${tag.toString(16).padStart(2, '0')}`);
    }
    r.u8();
    if (tag < 0xdb) {
      const length = r.axdrLength();
      if (length !== r.remaining) {
        r.fail(DlmsErrorCode.Malformed, `${apdu} length ${length} but ${r.remaining} bytes follow`);
      }
    }
    return { kind: 'ciphered', tag: CipheredInitiateTag[apdu], apdu, raw: bytes.slice() };
  }
  if (!r.atEnd()) out.trailing = r.copy(r.remaining, 'trailing bytes');
  return out;
}

function withTrailing(apdu: Uint8Array, trailing: Uint8Array | undefined): Uint8Array {
  return trailing === undefined ? apdu : concatBytes(apdu, trailing);
}

export function encodeUserInformation(u: UserInformation): Uint8Array {
  switch (u.kind) {
    case 'initiate-request':
      return withTrailing(encodeInitiateRequest(u.value), u.trailing);
    case 'initiate-response':
      return withTrailing(encodeInitiateResponse(u.value), u.trailing);
    case 'confirmed-service-error':
      return withTrailing(encodeConfirmedServiceError(u.value), u.trailing);
    case 'ciphered':
      return u.raw.slice();
  }
}
