import { DlmsError, DlmsErrorCode } from '../errors.ts';
import { SUITE0_KEY_LENGTH } from './aes-gcm.ts';
import { MAX_INVOCATION_COUNTER } from './invocation-counter.ts';

export const SYSTEM_TITLE_LENGTH = 8;

/** Global or dedicated encryption key (EK) and authentication key (AK), 16 bytes each in suite 0. */
export interface SecurityKeys {
  ek: Uint8Array;
  ak: Uint8Array;
}

export function checkSystemTitle(systemTitle: Uint8Array): void {
  if (systemTitle.length !== SYSTEM_TITLE_LENGTH) {
    throw new DlmsError(
      DlmsErrorCode.Security,
      `system title must be ${SYSTEM_TITLE_LENGTH} bytes, got ${systemTitle.length}`,
    );
  }
}

export function checkAuthenticationKey(ak: Uint8Array): void {
  if (ak.length !== SUITE0_KEY_LENGTH) {
    throw new DlmsError(
      DlmsErrorCode.Security,
      `security suite 0 needs a ${SUITE0_KEY_LENGTH}-byte authentication key, got ${ak.length} bytes`,
    );
  }
}

export function checkInvocationCounter(invocationCounter: number): void {
  if (
    !Number.isInteger(invocationCounter) ||
    invocationCounter < 0 ||
    invocationCounter > MAX_INVOCATION_COUNTER
  ) {
    throw new DlmsError(DlmsErrorCode.Encode, `invocation counter ${invocationCounter} is not an Unsigned32`);
  }
}

/** IV = system-title(8) ‖ invocation-counter(4, big-endian). */
export function initialisationVector(systemTitle: Uint8Array, invocationCounter: number): Uint8Array {
  checkSystemTitle(systemTitle);
  checkInvocationCounter(invocationCounter);
  const iv = new Uint8Array(12);
  iv.set(systemTitle, 0);
  iv[8] = invocationCounter >>> 24;
  iv[9] = invocationCounter >>> 16;
  iv[10] = invocationCounter >>> 8;
  iv[11] = invocationCounter;
  return iv;
}
