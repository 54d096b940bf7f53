import fc from 'fast-check';
import type {
  Aare,
  Aarq,
  AuthenticationValue,
  ConfirmedServiceError,
  ConfirmedServiceErrorServiceName,
  InitiateRequest,
  InitiateResponse,
  ResultSourceDiagnostic,
  Rlre,
  Rlrq,
  ServiceErrorName,
} from '../../src/acse/index.ts';
import {
  ApplicationContextName,
  applicationContextNameFromOid,
  ConfirmedServiceErrorService,
  conformanceFromBits,
  MechanismName,
  mechanismNameFromOid,
  ServiceErrorTag,
} from '../../src/acse/index.ts';
import type { BitString } from '../../src/axdr/types.ts';

/** fast-check generators for ACSE values; every value they produce encodes without error. */

const bytes = (maxLength = 24) => fc.uint8Array({ maxLength });

export const arbOid: fc.Arbitrary<string> = fc
  .tuple(
    fc.integer({ min: 0, max: 2 }),
    fc.nat({ max: 2 ** 40 }),
    fc.array(fc.oneof(fc.nat({ max: 300 }), fc.nat({ max: Number.MAX_SAFE_INTEGER })), { maxLength: 8 }),
  )
  .map(([a, b, rest]) => [a, a < 2 ? b % 40 : b, ...rest].join('.'));

export const arbBitString: fc.Arbitrary<BitString> = bytes(4).chain((b) =>
  fc
    .integer({ min: b.length === 0 ? 0 : b.length * 8 - 7, max: b.length * 8 })
    .map((length) => ({ length, bytes: b })),
);

const arbContextName = fc.oneof(
  fc.constantFrom(...Object.values(ApplicationContextName)),
  arbOid.filter((oid) => applicationContextNameFromOid(oid) === oid),
);

const arbMechanismName = fc.oneof(
  fc.constantFrom(...Object.values(MechanismName)),
  arbOid.filter((oid) => mechanismNameFromOid(oid) === oid),
);

export const arbAuthenticationValue: fc.Arbitrary<AuthenticationValue> = fc.oneof(
  bytes(64).map((value) => ({ type: 'charstring' as const, value })),
  arbBitString.map((value) => ({ type: 'bitstring' as const, value })),
);

const arbRequirements = fc.boolean().map((authentication) => ({ authentication }));

/** Sizes around the short/long BER length boundary. */
const arbUserInformation = fc.oneof(bytes(40), fc.uint8Array({ minLength: 120, maxLength: 300 }));

export const arbAarq: fc.Arbitrary<Aarq> = fc.record(
  {
    protocolVersion: arbBitString,
    applicationContextName: arbContextName,
    calledApTitle: bytes(),
    calledAeQualifier: bytes(),
    calledApInvocationId: bytes(),
    calledAeInvocationId: bytes(),
    callingApTitle: bytes(),
    callingAeQualifier: bytes(),
    callingApInvocationId: bytes(),
    callingAeInvocationId: bytes(),
    senderAcseRequirements: arbRequirements,
    mechanismName: arbMechanismName,
    callingAuthenticationValue: arbAuthenticationValue,
    implementationInformation: bytes(),
    userInformation: arbUserInformation,
  },
  { requiredKeys: ['applicationContextName'] },
);

const arbDiagnostic: fc.Arbitrary<ResultSourceDiagnostic> = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map((value) => ({ source: 'acse-service-user' as const, value })),
  fc.integer({ min: 0, max: 2 }).map((value) => ({ source: 'acse-service-provider' as const, value })),
);

export const arbAare: fc.Arbitrary<Aare> = fc.record(
  {
    protocolVersion: arbBitString,
    applicationContextName: arbContextName,
    result: fc.constantFrom(0 as const, 1 as const, 2 as const),
    resultSourceDiagnostic: arbDiagnostic,
    respondingApTitle: bytes(),
    respondingAeQualifier: bytes(),
    respondingApInvocationId: bytes(),
    respondingAeInvocationId: bytes(),
    responderAcseRequirements: arbRequirements,
    mechanismName: arbMechanismName,
    respondingAuthenticationValue: arbAuthenticationValue,
    implementationInformation: bytes(),
    userInformation: arbUserInformation,
  },
  { requiredKeys: ['applicationContextName', 'result', 'resultSourceDiagnostic'] },
);

export const arbRlrq: fc.Arbitrary<Rlrq> = fc.record(
  { reason: fc.constantFrom(0 as const, 1 as const, 30 as const), userInformation: arbUserInformation },
  { requiredKeys: [] },
);

export const arbRlre: fc.Arbitrary<Rlre> = fc.record(
  { reason: fc.constantFrom(0 as const, 1 as const, 30 as const), userInformation: arbUserInformation },
  { requiredKeys: [] },
);

export const arbConformance = fc.integer({ min: 0, max: 0xffffff }).map(conformanceFromBits);

export const arbInitiateRequest: fc.Arbitrary<InitiateRequest> = fc.record(
  {
    dedicatedKey: fc.oneof(
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.uint8Array({ maxLength: 200 }),
    ),
    responseAllowed: fc.boolean(),
    proposedQualityOfService: fc.integer({ min: -128, max: 127 }),
    proposedDlmsVersionNumber: fc.integer({ min: 0, max: 255 }),
    proposedConformance: arbConformance,
    clientMaxReceivePduSize: fc.integer({ min: 0, max: 0xffff }),
  },
  { requiredKeys: ['proposedDlmsVersionNumber', 'proposedConformance', 'clientMaxReceivePduSize'] },
);

export const arbInitiateResponse: fc.Arbitrary<InitiateResponse> = fc.record(
  {
    negotiatedQualityOfService: fc.integer({ min: -128, max: 127 }),
    negotiatedDlmsVersionNumber: fc.integer({ min: 0, max: 255 }),
    negotiatedConformance: arbConformance,
    serverMaxReceivePduSize: fc.integer({ min: 0, max: 0xffff }),
    vaaName: fc.oneof(fc.constantFrom(0x0007, 0xfa00), fc.integer({ min: 0, max: 0xffff })),
  },
  {
    requiredKeys: [
      'negotiatedDlmsVersionNumber',
      'negotiatedConformance',
      'serverMaxReceivePduSize',
      'vaaName',
    ],
  },
);

export const arbConfirmedServiceError: fc.Arbitrary<ConfirmedServiceError> = fc.record({
  service: fc.constantFrom(
    ...(Object.keys(ConfirmedServiceErrorService) as ConfirmedServiceErrorServiceName[]),
  ),
  serviceError: fc.constantFrom(...(Object.keys(ServiceErrorTag) as ServiceErrorName[])),
  value: fc.integer({ min: 0, max: 255 }),
});
