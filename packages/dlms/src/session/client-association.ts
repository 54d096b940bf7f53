import {
  type Aare,
  AcseServiceUser,
  ApplicationContextName,
  AssociationResult,
  type ConfirmedServiceError,
  confirmedServiceErrorText,
  conformanceFromBits,
  conformanceToBits,
  decodeUserInformation,
  describeAssociationResult,
  encodeAarq,
  encodeInitiateRequest,
  MechanismName,
} from '../acse/index.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';
import { CipheredApduTag, cipherApdu } from '../security/index.ts';
import { securityControlFor } from './protection.ts';
import {
  type AssociationSettings,
  DEFAULT_CLIENT_CONFORMANCE,
  DEFAULT_MAX_PDU_SIZE,
  DLMS_VERSION,
  type SecurityContext,
} from './settings.ts';

export function serviceError(message: string, detail: Record<string, unknown>): DlmsError {
  return new DlmsError(DlmsErrorCode.ServiceError, message, { detail });
}

export function confirmedServiceError(e: ConfirmedServiceError): DlmsError {
  return serviceError(`confirmed-service-error: ${confirmedServiceErrorText(e)}`, {
    confirmedServiceError: e,
  });
}

/**
 * AARQ for LN referencing. In a ciphered context the InitiateRequest travels as
 * glo-initiate-request (or general-glo-ciphering) and calling-AP-title carries our system
 * title, as it does for HLS; LLS sends the password and HLS the CtoS challenge as
 * calling-authentication-value.
 */
export function buildAarq(
  s: AssociationSettings,
  sec: SecurityContext | undefined,
  ciphering: boolean,
  dedicatedKey: Uint8Array | undefined,
  ctos: Uint8Array | undefined,
): Uint8Array {
  const hls = s.authentication === 'hls-gmac';
  const style = sec?.style ?? 'glo';
  const initiate = encodeInitiateRequest({
    ...(dedicatedKey === undefined ? {} : { dedicatedKey: dedicatedKey }),
    proposedDlmsVersionNumber: s.dlmsVersion ?? DLMS_VERSION,
    proposedConformance: conformanceFromBits(
      conformanceToBits(s.proposedConformance ?? DEFAULT_CLIENT_CONFORMANCE),
    ),
    clientMaxReceivePduSize: s.maxReceivePduSize ?? DEFAULT_MAX_PDU_SIZE,
  });
  const userInformation = ciphering
    ? cipherApdu({
        tag:
          style === 'general-glo' ? CipheredApduTag.generalGloCiphering : CipheredApduTag.gloInitiateRequest,
        securityControl: securityControlFor(sec!.policy),
        systemTitle: sec!.systemTitle,
        invocationCounter: sec!.invocationCounters.nextToSend(),
        plaintext: initiate,
        keys: sec!.keys,
      })
    : initiate;
  const secret = s.authentication === 'low' ? s.password : ctos;
  return encodeAarq({
    applicationContextName: ciphering
      ? ApplicationContextName['logical-name-referencing-with-ciphering']
      : ApplicationContextName['logical-name-referencing-no-ciphering'],
    ...(sec !== undefined && (hls || ciphering) ? { callingApTitle: sec.systemTitle } : {}),
    ...(secret === undefined
      ? {}
      : {
          senderAcseRequirements: { authentication: true },
          mechanismName: hls ? MechanismName['hls-gmac'] : MechanismName.lls,
          callingAuthenticationValue: { type: 'charstring', value: secret },
        }),
    userInformation,
  });
}

export function associationRejected(aare: Aare): DlmsError {
  const detail: Record<string, unknown> = {
    result: aare.result,
    resultSourceDiagnostic: aare.resultSourceDiagnostic,
  };
  const d = aare.resultSourceDiagnostic;
  if (d.source === 'acse-service-user') {
    const name = Object.entries(AcseServiceUser).find(([, v]) => v === d.value)?.[0];
    if (name !== undefined) detail.diagnostic = name;
  }
  if (aare.userInformation !== undefined) {
    try {
      const u = decodeUserInformation(aare.userInformation);
      if (u.kind === 'confirmed-service-error') detail.confirmedServiceError = u.value;
    } catch (e) {
      if (!(e instanceof DlmsError)) throw e;
    }
  }
  return new DlmsError(DlmsErrorCode.AssociationRejected, describeAssociationResult(aare), {
    retryable: aare.result === AssociationResult['rejected-transient'],
    detail,
  });
}
