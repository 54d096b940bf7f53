import type { BitString } from '../axdr/types.ts';
import type { ByteReader } from '../bytes.ts';
import { DlmsErrorCode } from '../errors.ts';
import {
  type BerElement,
  BerTagClass,
  berContentReader,
  describeBerTag,
  encodeBerBitString,
  encodeBerOid,
  expectBerEnd,
  readBerElement,
} from './ber.ts';
import {
  type AcseExtras,
  type AcseRequirements,
  type AuthenticationValue,
  encodeAcseApdu,
  encodeAcseRequirements,
  encodeAuthenticationValue,
  expectConstructed,
  explicitInteger,
  explicitOctetString,
  explicitOid,
  explicitTlv,
  implicitTlv,
  missingField,
  readAcseApdu,
  readAcseRequirements,
  readAuthenticationValue,
  readExplicitInteger,
  readExplicitOctetString,
  readExplicitOid,
  readExplicitRaw,
  readImplementationInformation,
  readImplicitBitString,
  readImplicitOid,
  withExtras,
} from './fields.ts';
import {
  type ApplicationContextName,
  AssociationResult,
  applicationContextNameFromOid,
  applicationContextNameToOid,
  isOneOf,
  type MechanismName,
  mechanismNameFromOid,
  mechanismNameToOid,
  type ResultSourceDiagnostic,
} from './names.ts';

/**
 * AARE-apdu ::= [APPLICATION 1] IMPLICIT SEQUENCE (tag 0x61). Field tags:
 * protocol-version [0] (0x80), application-context-name [1] (0xA1), result [2] (0xA2,
 * `A2 03 02 01 v`), result-source-diagnostic [3] (0xA3, `A3 05 A1|A2 03 02 01 v`),
 * responding-AP-title [4] (0xA4, the server system title), responding-AE-qualifier [5],
 * responding-AP/AE-invocation-id [6]/[7], responder-acse-requirements [8] IMPLICIT (0x88),
 * mechanism-name [9] IMPLICIT (0x89), responding-authentication-value [10] (0xAA, the
 * server challenge StoC), implementation-information [29] (0x9D), user-information [30] (0xBE).
 */
export interface Aare extends AcseExtras {
  protocolVersion?: BitString;
  applicationContextName: ApplicationContextName | string;
  result: AssociationResult;
  resultSourceDiagnostic: ResultSourceDiagnostic;
  respondingApTitle?: Uint8Array;
  respondingAeQualifier?: Uint8Array;
  respondingApInvocationId?: Uint8Array;
  respondingAeInvocationId?: Uint8Array;
  responderAcseRequirements?: AcseRequirements;
  mechanismName?: MechanismName | string;
  respondingAuthenticationValue?: AuthenticationValue;
  implementationInformation?: Uint8Array;
  userInformation?: Uint8Array;
}

const AARE = 1;
const DIAGNOSTIC_SOURCE = { 'acse-service-user': 1, 'acse-service-provider': 2 } as const;

export function encodeAare(a: Aare): Uint8Array {
  const f: Uint8Array[] = [];
  if (a.protocolVersion) f.push(implicitTlv(0, encodeBerBitString(a.protocolVersion)));
  f.push(explicitOid(1, applicationContextNameToOid(a.applicationContextName)));
  f.push(explicitInteger(2, a.result));
  const d = a.resultSourceDiagnostic;
  f.push(explicitTlv(3, explicitInteger(DIAGNOSTIC_SOURCE[d.source], d.value)));
  if (a.respondingApTitle) f.push(explicitOctetString(4, a.respondingApTitle));
  if (a.respondingAeQualifier) f.push(explicitTlv(5, a.respondingAeQualifier));
  if (a.respondingApInvocationId) f.push(explicitTlv(6, a.respondingApInvocationId));
  if (a.respondingAeInvocationId) f.push(explicitTlv(7, a.respondingAeInvocationId));
  if (a.responderAcseRequirements) f.push(encodeAcseRequirements(8, a.responderAcseRequirements));
  if (a.mechanismName !== undefined)
    f.push(implicitTlv(9, encodeBerOid(mechanismNameToOid(a.mechanismName))));
  if (a.respondingAuthenticationValue) f.push(encodeAuthenticationValue(10, a.respondingAuthenticationValue));
  if (a.implementationInformation) f.push(implicitTlv(29, a.implementationInformation));
  if (a.userInformation) f.push(explicitOctetString(30, a.userInformation));
  return encodeAcseApdu(AARE, f, a);
}

function readDiagnostic(c: ByteReader, el: BerElement): ResultSourceDiagnostic {
  const what = 'AARE result-source-diagnostic';
  expectConstructed(c, el, true, what);
  const inner = berContentReader(c, el);
  const choice = readBerElement(inner);
  expectBerEnd(inner, what);
  const { tagClass, number } = choice.tag;
  if (tagClass !== BerTagClass['context-specific'] || (number !== 1 && number !== 2)) {
    inner.fail(DlmsErrorCode.Malformed, `${what}: unexpected ${describeBerTag(choice.tag)}`, choice.start);
  }
  const value = readExplicitInteger(inner, choice, what);
  return { source: number === 1 ? 'acse-service-user' : 'acse-service-provider', value };
}

export function decodeAare(bytes: Uint8Array): Aare {
  const out: Partial<Aare> = {};
  const extras = readAcseApdu(bytes, AARE, 'AARE', (c: ByteReader, el: BerElement) => {
    switch (el.tag.number) {
      case 0:
        out.protocolVersion = readImplicitBitString(c, el, 'AARE protocol-version');
        break;
      case 1:
        out.applicationContextName = applicationContextNameFromOid(
          readExplicitOid(c, el, 'AARE application-context-name'),
        );
        break;
      case 2: {
        const result = readExplicitInteger(c, el, 'AARE result');
        if (!isOneOf(AssociationResult, result)) {
          c.fail(DlmsErrorCode.Malformed, `AARE result ${result} unknown`, el.start);
        }
        out.result = result;
        break;
      }
      case 3:
        out.resultSourceDiagnostic = readDiagnostic(c, el);
        break;
      case 4:
        out.respondingApTitle = readExplicitOctetString(c, el, 'AARE responding-AP-title');
        break;
      case 5:
        out.respondingAeQualifier = readExplicitRaw(c, el);
        break;
      case 6:
        out.respondingApInvocationId = readExplicitRaw(c, el);
        break;
      case 7:
        out.respondingAeInvocationId = readExplicitRaw(c, el);
        break;
      case 8:
        out.responderAcseRequirements = readAcseRequirements(c, el, 'AARE responder-acse-requirements');
        break;
      case 9:
        out.mechanismName = mechanismNameFromOid(readImplicitOid(c, el, 'AARE mechanism-name'));
        break;
      case 10:
        out.respondingAuthenticationValue = readAuthenticationValue(
          c,
          el,
          'AARE responding-authentication-value',
        );
        break;
      case 29:
        out.implementationInformation = readImplementationInformation(c, el);
        break;
      case 30:
        out.userInformation = readExplicitOctetString(c, el, 'AARE user-information');
        break;
      default:
        return false;
    }
    return true;
  });
  const { applicationContextName, result, resultSourceDiagnostic } = out;
  if (applicationContextName === undefined) missingField(bytes, 'AARE application-context-name');
  if (result === undefined) missingField(bytes, 'AARE result');
  if (resultSourceDiagnostic === undefined) missingField(bytes, 'AARE result-source-diagnostic');
  return withExtras({ ...out, applicationContextName, result, resultSourceDiagnostic }, extras);
}
