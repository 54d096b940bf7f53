import { DlmsError, DlmsErrorCode } from '../errors.ts';
import type { Aare } from './aare.ts';
import { AssociationResult, associationResultText, resultSourceDiagnosticText } from './names.ts';
import { confirmedServiceErrorText } from './service-error.ts';
import { decodeUserInformation } from './user-information.ts';

/**
 * One line for logs and error messages, e.g. "association rejected-permanent:
 * acse-service-user authentication-failure (13)", followed by the ConfirmedServiceError
 * of the user-information when the server sent one in clear.
 */
export function describeAssociationResult(aare: Aare): string {
  let text = `association ${associationResultText(aare.result)}: ${resultSourceDiagnosticText(aare.resultSourceDiagnostic)}`;
  if (aare.userInformation) {
    try {
      const u = decodeUserInformation(aare.userInformation);
      if (u.kind === 'confirmed-service-error') text += `; ${confirmedServiceErrorText(u.value)}`;
      else if (u.kind === 'ciphered') text += `; user-information ${u.apdu}`;
    } catch (e) {
      if (!(e instanceof DlmsError)) throw e;
      text += '; user-information not decodable';
    }
  }
  return text;
}

/**
 * Throws DlmsError(AssociationRejected) unless the AARE accepted the association; the
 * error's `detail` carries result and diagnostic for callers that switch on them.
 */
export function assertAssociationAccepted(aare: Aare): void {
  if (aare.result === AssociationResult.accepted) return;
  throw new DlmsError(DlmsErrorCode.AssociationRejected, describeAssociationResult(aare), {
    retryable: aare.result === AssociationResult['rejected-transient'],
    detail: { result: aare.result, resultSourceDiagnostic: aare.resultSourceDiagnostic },
  });
}
