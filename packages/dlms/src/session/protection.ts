import { DlmsError, DlmsErrorCode } from '../errors.ts';
import {
  CipheredApduTag,
  cipheredTagFor,
  encodeSecurityControl,
  SUITE0_TAG_LENGTH,
  SYSTEM_TITLE_LENGTH,
} from '../security/index.ts';
import type { CipheringStyle, SecurityPolicy } from './settings.ts';

/** SC byte (suite 0, unicast key set) for a policy that ciphers. */
export function securityControlFor(policy: SecurityPolicy): number {
  return encodeSecurityControl({
    authentication: policy === 'auth' || policy === 'auth+enc',
    encryption: policy === 'enc' || policy === 'auth+enc',
  });
}

export function policyRequirement(policy: SecurityPolicy): { authentication: boolean; encryption: boolean } {
  return {
    authentication: policy === 'auth' || policy === 'auth+enc',
    encryption: policy === 'enc' || policy === 'auth+enc',
  };
}

/**
 * Upper bound of the bytes ciphering adds: tag, 3-byte length, SC, IC, GMAC tag, and for
 * general-glo the length-prefixed system title.
 */
export const CIPHER_OVERHEAD = 1 + 3 + 1 + 4 + SUITE0_TAG_LENGTH + 1 + SYSTEM_TITLE_LENGTH;

/**
 * Wire tag for a plain APDU: the glo-/ded- service tag when the service has one, else
 * general-glo-ciphering (data-notification, exception-response, general-block-transfer).
 */
export function cipheredTag(plainTag: number, style: CipheringStyle): number {
  if (style === 'general-glo') return CipheredApduTag.generalGloCiphering;
  const tag = cipheredTagFor(plainTag, style);
  if (tag !== undefined) return tag;
  if (style === 'ded') return CipheredApduTag.generalDedCiphering;
  return CipheredApduTag.generalGloCiphering;
}

export function protocolError(message: string, detail?: Record<string, unknown>): DlmsError {
  return new DlmsError(DlmsErrorCode.Protocol, message, detail === undefined ? {} : { detail });
}

export function asDlmsError(e: unknown): DlmsError {
  if (e instanceof DlmsError) return e;
  throw e;
}
