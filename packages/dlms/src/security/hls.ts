import { ByteReader, concatBytes } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';
import { type AesGcm, aesGcm } from './aes-gcm.ts';
import { SUITE0_TAG_LENGTH } from './ciphering.ts';
import { dlmsCrypto } from './crypto.ts';
import { checkAuthenticationKey, initialisationVector } from './iv.ts';
import { decodeSecurityControl } from './security-control.ts';

export const MIN_CHALLENGE_LENGTH = 8;
export const MAX_CHALLENGE_LENGTH = 64;
/** f(challenge) for HLS mechanism 5 in suite 0: SC(1) ‖ IC(4) ‖ GMAC tag(12). */
export const HLS_GMAC_F_LENGTH = 1 + 4 + SUITE0_TAG_LENGTH;

export type RandomSource = (length: number) => Uint8Array;

/** Random bytes from the installed crypto provider. */
const providerRandom: RandomSource = (length) => dlmsCrypto().randomBytes(length);

function checkChallenge(challenge: Uint8Array, what: string): void {
  if (challenge.length < MIN_CHALLENGE_LENGTH || challenge.length > MAX_CHALLENGE_LENGTH) {
    throw new DlmsError(
      DlmsErrorCode.Security,
      `${what} must be ${MIN_CHALLENGE_LENGTH}..${MAX_CHALLENGE_LENGTH} bytes, got ${challenge.length}`,
    );
  }
}

/** A fresh challenge (CtoS or StoC) of 8..64 bytes. */
export function generateChallenge(length = 16, random: RandomSource = providerRandom): Uint8Array {
  if (!Number.isInteger(length) || length < MIN_CHALLENGE_LENGTH || length > MAX_CHALLENGE_LENGTH) {
    throw new DlmsError(
      DlmsErrorCode.Security,
      `challenge length must be ${MIN_CHALLENGE_LENGTH}..${MAX_CHALLENGE_LENGTH}, got ${length}`,
    );
  }
  const challenge = random(length);
  if (challenge.length !== length) {
    throw new DlmsError(
      DlmsErrorCode.Security,
      `random source returned ${challenge.length} bytes, not ${length}`,
    );
  }
  return challenge;
}

export interface HlsGmacInput {
  /** The system title of the party computing f (its own). */
  systemTitle: Uint8Array;
  invocationCounter: number;
  /** The challenge received from the other party. */
  challenge: Uint8Array;
  ak: Uint8Array;
  ek: Uint8Array;
  securityControl?: number;
  aesGcm?: AesGcm;
}

function gmacInputs(
  sc: number,
  input: Pick<HlsGmacInput, 'systemTitle' | 'invocationCounter' | 'challenge' | 'ak'>,
): { iv: Uint8Array; aad: Uint8Array } {
  checkAuthenticationKey(input.ak);
  checkChallenge(input.challenge, 'challenge');
  return {
    iv: initialisationVector(input.systemTitle, input.invocationCounter),
    aad: concatBytes(Uint8Array.of(sc), input.ak, input.challenge),
  };
}

/**
 * HLS mechanism 5 (GMAC): f(challenge) = SC ‖ IC ‖ GMAC, the GMAC over AAD = SC ‖ AK ‖ challenge
 * with IV = system-title ‖ IC under EK.
 */
export function hlsGmacF(input: HlsGmacInput): Uint8Array {
  const sc = input.securityControl ?? 0x10;
  const security = decodeSecurityControl(sc);
  if (!security.authentication) {
    throw new DlmsError(DlmsErrorCode.Security, 'HLS-GMAC security control must have the authentication bit');
  }
  const gcm = input.aesGcm ?? aesGcm;
  const { iv, aad } = gmacInputs(sc, input);
  const { tag } = gcm.encrypt(input.ek, iv, aad, new Uint8Array(0), SUITE0_TAG_LENGTH);
  const out = new Uint8Array(HLS_GMAC_F_LENGTH);
  out[0] = sc;
  new DataView(out.buffer).setUint32(1, input.invocationCounter);
  out.set(tag, 5);
  return out;
}

export interface VerifyHlsGmacInput {
  /** The peer's system title (the party that computed f). */
  systemTitle: Uint8Array;
  /** The challenge we sent. */
  challenge: Uint8Array;
  ek: Uint8Array;
  ak: Uint8Array;
  aesGcm?: AesGcm;
}

/** Checks the peer's f(challenge); returns the invocation counter it carries. */
export function verifyHlsGmacF(f: Uint8Array, input: VerifyHlsGmacInput): number {
  if (f.length !== HLS_GMAC_F_LENGTH) {
    throw new DlmsError(
      DlmsErrorCode.AuthenticationFailed,
      `HLS-GMAC f(challenge) must be ${HLS_GMAC_F_LENGTH} bytes, got ${f.length}`,
    );
  }
  const r = new ByteReader(f);
  const sc = r.u8();
  const security = decodeSecurityControl(sc);
  if (!security.authentication) {
    throw new DlmsError(
      DlmsErrorCode.AuthenticationFailed,
      'HLS-GMAC f(challenge) without authentication bit',
    );
  }
  const invocationCounter = r.u32();
  const tag = r.take(SUITE0_TAG_LENGTH);
  const gcm = input.aesGcm ?? aesGcm;
  const { iv, aad } = gmacInputs(sc, { ...input, invocationCounter });
  gcm.decrypt(input.ek, iv, aad, new Uint8Array(0), tag);
  return invocationCounter;
}

/** LLS password check whose time does not depend on where the bytes differ. */
export function llsPasswordMatches(expected: Uint8Array, received: Uint8Array): boolean {
  let diff = expected.length ^ received.length;
  for (let i = 0; i < expected.length; i++) {
    diff |= expected[i]! ^ (received[i % Math.max(received.length, 1)] ?? 0);
  }
  return diff === 0;
}
