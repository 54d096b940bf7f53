import type { BitString } from '../axdr/types.ts';
import type { ByteReader } from '../bytes.ts';
import type { BerElement } from './ber.ts';
import { encodeBerBitString, encodeBerOid } from './ber.ts';
import {
  type AcseExtras,
  type AcseRequirements,
  type AuthenticationValue,
  encodeAcseApdu,
  encodeAcseRequirements,
  encodeAuthenticationValue,
  explicitOctetString,
  explicitOid,
  explicitTlv,
  implicitTlv,
  missingField,
  readAcseApdu,
  readAcseRequirements,
  readAuthenticationValue,
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
  applicationContextNameFromOid,
  applicationContextNameToOid,
  type MechanismName,
  mechanismNameFromOid,
  mechanismNameToOid,
} from './names.ts';

/**
 * AARQ-apdu ::= [APPLICATION 0] IMPLICIT SEQUENCE (tag 0x60). Field tags:
 * protocol-version [0] IMPLICIT BIT STRING (0x80), application-context-name [1] (0xA1),
 * called-AP-title [2] … calling-AE-invocation-id [9] (0xA2…0xA9), sender-acse-requirements
 * [10] IMPLICIT (0x8A), mechanism-name [11] IMPLICIT (0x8B), calling-authentication-value
 * [12] (0xAC), implementation-information [29] IMPLICIT GraphicString (0x9D),
 * user-information [30] (0xBE) holding an OCTET STRING with the xDLMS APDU.
 *
 * AP titles are the OCTET STRING contents (the client system title in calling-AP-title);
 * AE qualifiers and invocation identifiers are the raw contents of their explicit tags.
 */
export interface Aarq extends AcseExtras {
  protocolVersion?: BitString;
  applicationContextName: ApplicationContextName | string;
  calledApTitle?: Uint8Array;
  calledAeQualifier?: Uint8Array;
  calledApInvocationId?: Uint8Array;
  calledAeInvocationId?: Uint8Array;
  callingApTitle?: Uint8Array;
  callingAeQualifier?: Uint8Array;
  callingApInvocationId?: Uint8Array;
  callingAeInvocationId?: Uint8Array;
  senderAcseRequirements?: AcseRequirements;
  mechanismName?: MechanismName | string;
  callingAuthenticationValue?: AuthenticationValue;
  implementationInformation?: Uint8Array;
  userInformation?: Uint8Array;
}

const AARQ = 0;

export function encodeAarq(a: Aarq): Uint8Array {
  const f: Uint8Array[] = [];
  if (a.protocolVersion) f.push(implicitTlv(0, encodeBerBitString(a.protocolVersion)));
  f.push(explicitOid(1, applicationContextNameToOid(a.applicationContextName)));
  if (a.calledApTitle) f.push(explicitOctetString(2, a.calledApTitle));
  if (a.calledAeQualifier) f.push(explicitTlv(3, a.calledAeQualifier));
  if (a.calledApInvocationId) f.push(explicitTlv(4, a.calledApInvocationId));
  if (a.calledAeInvocationId) f.push(explicitTlv(5, a.calledAeInvocationId));
  if (a.callingApTitle) f.push(explicitOctetString(6, a.callingApTitle));
  if (a.callingAeQualifier) f.push(explicitTlv(7, a.callingAeQualifier));
  if (a.callingApInvocationId) f.push(explicitTlv(8, a.callingApInvocationId));
  if (a.callingAeInvocationId) f.push(explicitTlv(9, a.callingAeInvocationId));
  if (a.senderAcseRequirements) f.push(encodeAcseRequirements(10, a.senderAcseRequirements));
  if (a.mechanismName !== undefined)
    f.push(implicitTlv(11, encodeBerOid(mechanismNameToOid(a.mechanismName))));
  if (a.callingAuthenticationValue) f.push(encodeAuthenticationValue(12, a.callingAuthenticationValue));
  if (a.implementationInformation) f.push(implicitTlv(29, a.implementationInformation));
  if (a.userInformation) f.push(explicitOctetString(30, a.userInformation));
  return encodeAcseApdu(AARQ, f, a);
}

export function decodeAarq(bytes: Uint8Array): Aarq {
  const out: Partial<Aarq> = {};
  const extras = readAcseApdu(bytes, AARQ, 'AARQ', (c: ByteReader, el: BerElement) => {
    switch (el.tag.number) {
      case 0:
        out.protocolVersion = readImplicitBitString(c, el, 'AARQ protocol-version');
        break;
      case 1:
        out.applicationContextName = applicationContextNameFromOid(
          readExplicitOid(c, el, 'AARQ application-context-name'),
        );
        break;
      case 2:
        out.calledApTitle = readExplicitOctetString(c, el, 'AARQ called-AP-title');
        break;
      case 3:
        out.calledAeQualifier = readExplicitRaw(c, el);
        break;
      case 4:
        out.calledApInvocationId = readExplicitRaw(c, el);
        break;
      case 5:
        out.calledAeInvocationId = readExplicitRaw(c, el);
        break;
      case 6:
        out.callingApTitle = readExplicitOctetString(c, el, 'AARQ calling-AP-title');
        break;
      case 7:
        out.callingAeQualifier = readExplicitRaw(c, el);
        break;
      case 8:
        out.callingApInvocationId = readExplicitRaw(c, el);
        break;
      case 9:
        out.callingAeInvocationId = readExplicitRaw(c, el);
        break;
      case 10:
        out.senderAcseRequirements = readAcseRequirements(c, el, 'AARQ sender-acse-requirements');
        break;
      case 11:
        out.mechanismName = mechanismNameFromOid(readImplicitOid(c, el, 'AARQ mechanism-name'));
        break;
      case 12:
        out.callingAuthenticationValue = readAuthenticationValue(c, el, 'AARQ calling-authentication-value');
        break;
      case 29:
        out.implementationInformation = readImplementationInformation(c, el);
        break;
      case 30:
        out.userInformation = readExplicitOctetString(c, el, 'AARQ user-information');
        break;
      default:
        return false;
    }
    return true;
  });
  const { applicationContextName } = out;
  if (applicationContextName === undefined) missingField(bytes, 'AARQ application-context-name');
  return withExtras({ ...out, applicationContextName }, extras);
}
