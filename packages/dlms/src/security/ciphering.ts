import { ByteReader, ByteWriter, toHex } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';
import { type AesGcm, aesGcm } from './aes-gcm.ts';
import type { ReplayGuard } from './invocation-counter.ts';
import {
  checkAuthenticationKey,
  checkSystemTitle,
  initialisationVector,
  type SecurityKeys,
  SYSTEM_TITLE_LENGTH,
} from './iv.ts';
import { decodeSecurityControl, type SecurityControl } from './security-control.ts';
import { CipheredApduTag, type CipheredKind, cipheringFamilyOf, plainTagFor } from './tags.ts';

/** Suite 0 authentication tag length in ciphered APDUs and HLS-GMAC. */
export const SUITE0_TAG_LENGTH = 12;

export interface CipherApduInput {
  /**
   * Wire tag: a glo-/ded- service tag (whose plain tag must be the plaintext's first byte), or
   * general-glo-ciphering 0xDB / general-ded-ciphering 0xDC.
   */
  tag: number;
  securityControl: number;
  /** Our (the sender's) system title. */
  systemTitle: Uint8Array;
  invocationCounter: number;
  /** The complete plain xDLMS APDU. */
  plaintext: Uint8Array;
  keys: SecurityKeys;
  /** Wrap a glo-/ded- service tag's family in general-glo/ded-ciphering instead. */
  general?: boolean;
  aesGcm?: AesGcm;
}

function requireProtection(sc: number, f: SecurityControl): void {
  if (!f.authentication && !f.encryption) {
    throw new DlmsError(
      DlmsErrorCode.Security,
      `security control 0x${sc.toString(16).padStart(2, '0')} applies neither authentication nor encryption`,
    );
  }
}

/** SC ‖ AK, the AAD prefix of every authenticated suite 0 APDU. */
function scAndAk(sc: number, ak: Uint8Array, extra?: Uint8Array): Uint8Array {
  const aad = new Uint8Array(1 + ak.length + (extra?.length ?? 0));
  aad[0] = sc;
  aad.set(ak, 1);
  if (extra !== undefined) aad.set(extra, 1 + ak.length);
  return aad;
}

const EMPTY = new Uint8Array(0);

/**
 * Suite 0 protection. Authenticated and encrypted: AAD = SC ‖ AK. Authenticated only: AAD =
 * SC ‖ AK ‖ plaintext, the plaintext travels in clear. Encrypted only: no AAD, no tag.
 * Returns the body as [text, tag] so the caller copies each once into the APDU.
 */
function protect(
  sc: number,
  f: SecurityControl,
  iv: Uint8Array,
  plaintext: Uint8Array,
  keys: SecurityKeys,
  gcm: AesGcm,
): [Uint8Array, Uint8Array] {
  if (f.authentication) checkAuthenticationKey(keys.ak);
  if (f.authentication && f.encryption) {
    const { ciphertext, tag } = gcm.encrypt(keys.ek, iv, scAndAk(sc, keys.ak), plaintext, SUITE0_TAG_LENGTH);
    return [ciphertext, tag];
  }
  if (f.authentication) {
    const { tag } = gcm.encrypt(keys.ek, iv, scAndAk(sc, keys.ak, plaintext), EMPTY, SUITE0_TAG_LENGTH);
    return [plaintext, tag];
  }
  return [gcm.encrypt(keys.ek, iv, EMPTY, plaintext, 0).ciphertext, EMPTY];
}

function wireTagFor(input: CipherApduInput): { tag: number; general: boolean } {
  const { tag, plaintext } = input;
  if (tag === CipheredApduTag.generalGloCiphering || tag === CipheredApduTag.generalDedCiphering) {
    return { tag, general: true };
  }
  const family = cipheringFamilyOf(tag);
  if (family === undefined) {
    throw new DlmsError(
      DlmsErrorCode.Encode,
      `tag 0x${tag.toString(16)} is not a glo-/ded-/general ciphered tag`,
    );
  }
  const plain = plainTagFor(tag);
  if (plaintext[0] !== plain) {
    throw new DlmsError(
      DlmsErrorCode.Encode,
      `ciphered tag 0x${tag.toString(16)} carries plain tag 0x${plain?.toString(16)}, plaintext starts with 0x${plaintext[0]?.toString(16) ?? '(empty)'}`,
    );
  }
  if (input.general) {
    const generalTag =
      family === 'glo' ? CipheredApduTag.generalGloCiphering : CipheredApduTag.generalDedCiphering;
    return { tag: generalTag, general: true };
  }
  return { tag, general: false };
}

/**
 * Builds a ciphered APDU. glo-/ded-: tag, length, SC ‖ IC ‖ ciphertext ‖ tag. general-glo/ded-:
 * tag, system-title as an octet string (length 8), then the same content as an octet string.
 */
export function cipherApdu(input: CipherApduInput): Uint8Array {
  const sc = input.securityControl;
  const f = decodeSecurityControl(sc);
  requireProtection(sc, f);
  const { tag, general } = wireTagFor(input);
  checkSystemTitle(input.systemTitle);
  const iv = initialisationVector(input.systemTitle, input.invocationCounter);
  const [text, authTag] = protect(sc, f, iv, input.plaintext, input.keys, input.aesGcm ?? aesGcm);
  const w = new ByteWriter(text.length + authTag.length + 24).u8(tag);
  if (general) w.axdrLength(SYSTEM_TITLE_LENGTH).bytes(input.systemTitle);
  return w
    .axdrLength(5 + text.length + authTag.length)
    .u8(sc)
    .u32(input.invocationCounter)
    .bytes(text)
    .bytes(authTag)
    .finish();
}

export interface KeyResolverContext {
  kind: CipheredKind;
  tag: number;
  /** The sender's system title (from general-* APDUs, else the one given in the options). */
  systemTitle: Uint8Array;
  securityControl: SecurityControl;
}

export interface DecipherOptions {
  keys?: SecurityKeys;
  /** Picks keys per APDU (dedicated vs global, unicast vs broadcast key set, per sender). */
  keyResolver?: (context: KeyResolverContext) => SecurityKeys | undefined;
  /** The peer's system title, known from the association; required for glo-/ded- APDUs. */
  systemTitle?: Uint8Array;
  /**
   * Consulted before and updated after authentication; a replay throws DlmsError Replay. An
   * encryption-only APDU (no tag, so forgeable) is checked but only advances the guard when
   * `require` states the policy that admits it.
   */
  guard?: ReplayGuard;
  /** Refuse APDUs weaker than the security policy (DlmsError Security). */
  require?: { authentication?: boolean; encryption?: boolean };
  aesGcm?: AesGcm;
}

export interface DecipheredApdu {
  /** The plain xDLMS APDU. */
  plaintext: Uint8Array;
  securityControl: number;
  security: SecurityControl;
  invocationCounter: number;
  systemTitle: Uint8Array;
  tag: number;
  kind: CipheredKind;
}

function kindOf(reader: ByteReader, tag: number): CipheredKind {
  if (tag === CipheredApduTag.generalGloCiphering) return 'general-glo';
  if (tag === CipheredApduTag.generalDedCiphering) return 'general-ded';
  if (tag === CipheredApduTag.generalCiphering) {
    throw new DlmsError(DlmsErrorCode.Unsupported, 'general-ciphering (0xDD) is not supported', {
      offset: 0,
    });
  }
  const family = cipheringFamilyOf(tag);
  if (family === undefined)
    reader.fail(DlmsErrorCode.Malformed, `tag 0x${tag.toString(16)} is not a ciphered APDU`, 0);
  return family;
}

/** Parses, authenticates and decrypts a glo-/ded-/general-glo/general-ded APDU. */
export function decipherApdu(bytes: Uint8Array, options: DecipherOptions): DecipheredApdu {
  const r = new ByteReader(bytes);
  const tag = r.u8();
  const kind = kindOf(r, tag);
  let systemTitle: Uint8Array;
  if (kind === 'general-glo' || kind === 'general-ded') {
    const at = r.offset;
    const n = r.axdrLength();
    if (n !== SYSTEM_TITLE_LENGTH) r.fail(DlmsErrorCode.Malformed, `system title of ${n} bytes`, at);
    systemTitle = r.copy(n, 'system title');
  } else {
    if (options.systemTitle === undefined) {
      throw new DlmsError(DlmsErrorCode.Security, `a ${kind}- APDU needs the peer's system title`);
    }
    checkSystemTitle(options.systemTitle);
    systemTitle = options.systemTitle;
  }
  const length = r.axdrLength();
  const contentStart = r.offset;
  r.need(length, 'ciphered content');
  if (r.remaining !== length)
    r.fail(DlmsErrorCode.Malformed, 'bytes after ciphered content', contentStart + length);
  const sc = r.u8();
  const security = decodeSecurityControl(sc);
  requireProtection(sc, security);
  if (options.require?.authentication && !security.authentication) {
    throw new DlmsError(
      DlmsErrorCode.Security,
      'APDU is not authenticated but the security policy requires it',
    );
  }
  if (options.require?.encryption && !security.encryption) {
    throw new DlmsError(DlmsErrorCode.Security, 'APDU is not encrypted but the security policy requires it');
  }
  const invocationCounter = r.u32();
  const tagLength = security.authentication ? SUITE0_TAG_LENGTH : 0;
  if (r.remaining < tagLength) r.fail(DlmsErrorCode.Truncated, `authentication tag needs ${tagLength} bytes`);
  const body = r.take(r.remaining - tagLength, 'ciphertext');
  const authTag = r.take(tagLength, 'authentication tag');

  const titleHex = toHex(systemTitle);
  const last = options.guard?.lastReceived(titleHex);
  if (last !== undefined && invocationCounter <= last) {
    throw new DlmsError(
      DlmsErrorCode.Replay,
      `invocation counter ${invocationCounter} from ${titleHex} is not above the last accepted ${last}`,
      { detail: { systemTitle: titleHex, invocationCounter, lastReceived: last } },
    );
  }

  const keys = options.keys ?? options.keyResolver?.({ kind, tag, systemTitle, securityControl: security });
  if (keys === undefined) throw new DlmsError(DlmsErrorCode.Security, `no keys for system title ${titleHex}`);
  const gcm = options.aesGcm ?? aesGcm;
  const iv = initialisationVector(systemTitle, invocationCounter);
  if (security.authentication) checkAuthenticationKey(keys.ak);
  let plaintext: Uint8Array;
  if (security.authentication && security.encryption) {
    plaintext = gcm.decrypt(keys.ek, iv, scAndAk(sc, keys.ak), body, authTag);
  } else if (security.authentication) {
    gcm.decrypt(keys.ek, iv, scAndAk(sc, keys.ak, body), EMPTY, authTag);
    plaintext = body.slice();
  } else {
    plaintext = gcm.decrypt(keys.ek, iv, EMPTY, body, EMPTY);
  }
  if (security.authentication || options.require !== undefined)
    options.guard?.accept(titleHex, invocationCounter);
  return { plaintext, securityControl: sc, security, invocationCounter, systemTitle, tag, kind };
}
