import { describe, expect, it } from 'vitest';
import {
  type Aare,
  type Aarq,
  ApplicationContextName,
  AssociationResult,
  assertAssociationAccepted,
  type ConfirmedServiceError,
  conformanceFromNames,
  decodeAare,
  decodeAarq,
  decodeConfirmedServiceError,
  decodeRlre,
  decodeRlrq,
  decodeUserInformation,
  describeAssociationResult,
  encodeAare,
  encodeAarq,
  encodeConfirmedServiceError,
  encodeInitiateRequest,
  encodeRlre,
  encodeRlrq,
  InitiateError,
  MechanismName,
  type Rlre,
  type Rlrq,
  serviceErrorValueName,
} from '../../src/acse/index.ts';
import { fromHex, toHex } from '../../src/bytes.ts';
import { DlmsError, DlmsErrorCode } from '../../src/errors.ts';

// Annotated fixtures built by hand from the field layout in shared/reference/dlms-tables.md
// §5 (ACSE tags), §6 (xDLMS-Initiate) and §7 (ConfirmedServiceError). Ciphered
// user-information is taken from vectors/dlms-ua/suite0.json.

const GLO_INITIATE_REQUEST =
  '21303001234567801302FF8A7874133D414CED25B42534D28DB0047720606B175BD52211BE6841DB204D39EE6FDB8E356855';
const GLO_INITIATE_RESPONSE = '281F3001234567891214A0845E475714383F65BC19745CA235906525E4F3E1C893';

function hex(...lines: string[]): Uint8Array {
  return fromHex(lines.join(''));
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof DlmsError) return e.code;
    throw e;
  }
  return undefined;
}

describe('AARQ with HLS-GMAC', () => {
  const bytes = hex(
    '606E', // AARQ [APPLICATION 0], 110 bytes
    'A109060760857405080103', // application-context-name 2.16.756.5.8.1.3 (LN, with ciphering)
    'A60A04084D4D4D0000BC614E', // calling-AP-title: system title 4D4D4D0000BC614E
    '8A020780', // sender-acse-requirements: authentication
    '8B0760857405080205', // mechanism-name 2.16.756.5.8.2.5 (HLS GMAC)
    'AC1280100102030405060708090A0B0C0D0E0F10', // calling-authentication-value charstring: CtoS, 16 bytes
    'BE340432', // user-information: OCTET STRING of 50 bytes
    GLO_INITIATE_REQUEST, // glo-initiate-request (suite-0 example)
  );
  const value: Aarq = {
    applicationContextName: ApplicationContextName['logical-name-referencing-with-ciphering'],
    callingApTitle: fromHex('4D4D4D0000BC614E'),
    senderAcseRequirements: { authentication: true },
    mechanismName: MechanismName['hls-gmac'],
    callingAuthenticationValue: { type: 'charstring', value: fromHex('0102030405060708090A0B0C0D0E0F10') },
    userInformation: fromHex(GLO_INITIATE_REQUEST),
  };

  it('decodes', () => {
    expect(decodeAarq(bytes)).toEqual(value);
  });

  it('encodes', () => {
    expect(toHex(encodeAarq(value))).toBe(toHex(bytes));
  });

  it('keeps the ciphered user-information opaque', () => {
    const ui = decodeUserInformation(decodeAarq(bytes).userInformation!);
    expect(ui.kind).toBe('ciphered');
    expect(ui.tag).toBe(0x21);
  });
});

describe('AARE accepted for HLS-GMAC, with StoC', () => {
  const bytes = hex(
    '6161', // AARE [APPLICATION 1], 97 bytes
    'A109060760857405080103', // application-context-name LN with ciphering
    'A203020100', // result accepted
    'A305A10302010E', // acse-service-user authentication-required (14): pass 3/4 follow
    'A40A04084D4D4D0000BC614E', // responding-AP-title: server system title
    '88020780', // responder-acse-requirements: authentication
    '890760857405080205', // mechanism-name HLS GMAC
    'AA0A80084B35366956616759', // responding-authentication-value charstring StoC "K56iVagY"
    'BE230421', // user-information: OCTET STRING of 33 bytes
    GLO_INITIATE_RESPONSE, // glo-initiate-response (suite-0 example)
  );
  const value: Aare = {
    applicationContextName: ApplicationContextName['logical-name-referencing-with-ciphering'],
    result: AssociationResult.accepted,
    resultSourceDiagnostic: { source: 'acse-service-user', value: 14 },
    respondingApTitle: fromHex('4D4D4D0000BC614E'),
    responderAcseRequirements: { authentication: true },
    mechanismName: MechanismName['hls-gmac'],
    respondingAuthenticationValue: { type: 'charstring', value: new TextEncoder().encode('K56iVagY') },
    userInformation: fromHex(GLO_INITIATE_RESPONSE),
  };

  it('decodes and encodes', () => {
    expect(decodeAare(bytes)).toEqual(value);
    expect(toHex(encodeAare(value))).toBe(toHex(bytes));
    expect(() => assertAssociationAccepted(value)).not.toThrow();
  });
});

describe('AARE rejected with ConfirmedServiceError', () => {
  const bytes = hex(
    '611F', // AARE, 31 bytes
    'A109060760857405080101', // application-context-name LN, no ciphering
    'A203020101', // result rejected-permanent
    'A305A103020101', // acse-service-user no-reason-given
    'BE0604040E010601', // user-information: ConfirmedServiceError initiateError / initiate / dlms-version-too-low
  );
  const value: Aare = {
    applicationContextName: ApplicationContextName['logical-name-referencing-no-ciphering'],
    result: AssociationResult['rejected-permanent'],
    resultSourceDiagnostic: { source: 'acse-service-user', value: 1 },
    userInformation: fromHex('0E010601'),
  };

  it('decodes and encodes', () => {
    expect(decodeAare(bytes)).toEqual(value);
    expect(toHex(encodeAare(value))).toBe(toHex(bytes));
  });

  it('user-information is the ConfirmedServiceError', () => {
    expect(decodeUserInformation(value.userInformation!)).toEqual({
      kind: 'confirmed-service-error',
      tag: 0x0e,
      value: {
        service: 'initiateError',
        serviceError: 'initiate',
        value: InitiateError['dlms-version-too-low'],
      },
    });
  });

  it('describes the refusal', () => {
    expect(describeAssociationResult(value)).toBe(
      'association rejected-permanent: acse-service-user no-reason-given (1); initiateError initiate dlms-version-too-low (1)',
    );
    expect(codeOf(() => assertAssociationAccepted(value))).toBe(DlmsErrorCode.AssociationRejected);
  });

  it('authentication failure and provider diagnostics', () => {
    const failed = hex('6117', 'A109060760857405080101', 'A203020101', 'A305A10302010D');
    const aare = decodeAare(failed);
    expect(aare.resultSourceDiagnostic).toEqual({ source: 'acse-service-user', value: 13 });
    expect(describeAssociationResult(aare)).toBe(
      'association rejected-permanent: acse-service-user authentication-failure (13)',
    );
    const provider = hex('6117', 'A109060760857405080101', 'A203020102', 'A305A203020102');
    const p = decodeAare(provider);
    expect(p.result).toBe(AssociationResult['rejected-transient']);
    expect(describeAssociationResult(p)).toBe(
      'association rejected-transient: acse-service-provider no-common-acse-version (2)',
    );
    try {
      assertAssociationAccepted(p);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DlmsError);
      expect((e as DlmsError).retryable).toBe(true);
      expect((e as DlmsError).detail).toEqual({
        result: 2,
        resultSourceDiagnostic: p.resultSourceDiagnostic,
      });
    }
  });
});

describe('ConfirmedServiceError', () => {
  const cases: [string, ConfirmedServiceError, string][] = [
    ['0E010601', { service: 'initiateError', serviceError: 'initiate', value: 1 }, 'dlms-version-too-low'],
    [
      '0E010602',
      { service: 'initiateError', serviceError: 'initiate', value: 2 },
      'incompatible-conformance',
    ],
    ['0E010603', { service: 'initiateError', serviceError: 'initiate', value: 3 }, 'pdu-size-too-short'],
    [
      '0E010604',
      { service: 'initiateError', serviceError: 'initiate', value: 4 },
      'refused-by-the-VDE-Handler',
    ],
    [
      '0E010006',
      { service: 'initiateError', serviceError: 'application-reference', value: 6 },
      'deciphering-error',
    ],
    ['0E050502', { service: 'read', serviceError: 'access', value: 2 }, 'object-access-invalid'],
    ['0E060301', { service: 'write', serviceError: 'service', value: 1 }, 'pdu-size'],
    ['0E050904', { service: 'read', serviceError: 'task', value: 4 }, 'ti-unusable'],
    ['0E050A00', { service: 'read', serviceError: 'other', value: 0 }, 'other'],
  ];
  for (const [h, value, name] of cases) {
    it(`${h} is ${value.service} ${value.serviceError} ${name}`, () => {
      expect(decodeConfirmedServiceError(fromHex(h))).toEqual(value);
      expect(toHex(encodeConfirmedServiceError(value))).toBe(h);
      expect(serviceErrorValueName(value.serviceError, value.value)).toBe(name);
    });
  }

  it('rejects unknown choices and trailing bytes', () => {
    expect(codeOf(() => decodeConfirmedServiceError(fromHex('0E000601')))).toBe(DlmsErrorCode.Malformed);
    expect(codeOf(() => decodeConfirmedServiceError(fromHex('0E010B01')))).toBe(DlmsErrorCode.Malformed);
    expect(codeOf(() => decodeConfirmedServiceError(fromHex('0E01060100')))).toBe(DlmsErrorCode.Malformed);
    expect(codeOf(() => decodeConfirmedServiceError(fromHex('0E0106')))).toBe(DlmsErrorCode.Truncated);
  });
});

describe('RLRQ / RLRE', () => {
  const initiateResponse = '0800065F1F040000501F01F40007';
  const cases: [string, string, Rlrq | Rlre, 'rlrq' | 'rlre'][] = [
    ['RLRE, reason normal, no user-information', '6303800100', { reason: 0 }, 'rlre'],
    ['RLRE, not-finished', '6303800101', { reason: 1 }, 'rlre'],
    [
      'RLRE, normal, InitiateResponse in user-information',
      `6315800100BE10040E${initiateResponse}`,
      { reason: 0, userInformation: fromHex(initiateResponse) },
      'rlre',
    ],
    ['RLRE without fields', '6300', {}, 'rlre'],
    ['RLRQ, urgent', '6203800101', { reason: 1 }, 'rlrq'],
    ['RLRQ, user-defined', '620380011E', { reason: 30 }, 'rlrq'],
    [
      'RLRQ, normal, glo-initiate-request in user-information',
      `6239800100BE340432${GLO_INITIATE_REQUEST}`,
      { reason: 0, userInformation: fromHex(GLO_INITIATE_REQUEST) },
      'rlrq',
    ],
  ];
  for (const [name, h, value, kind] of cases) {
    it(name, () => {
      const bytes = fromHex(h);
      if (kind === 'rlre') {
        expect(decodeRlre(bytes)).toEqual(value);
        expect(toHex(encodeRlre(value as Rlre))).toBe(toHex(bytes));
      } else {
        expect(decodeRlrq(bytes)).toEqual(value);
        expect(toHex(encodeRlrq(value as Rlrq))).toBe(toHex(bytes));
      }
    });
  }

  it('rejects unknown reasons', () => {
    expect(codeOf(() => decodeRlre(fromHex('6303800102')))).toBe(DlmsErrorCode.Malformed);
    expect(codeOf(() => encodeRlrq({ reason: 2 as 0 }))).toBe(DlmsErrorCode.Encode);
  });
});

describe('AARQ variants', () => {
  it('protocol-version, called-AP-title, bitstring authentication value and unknown OIDs', () => {
    const bytes = hex(
      '6034', // AARQ, 52 bytes
      '80020780', // protocol-version: version1
      'A10906072B060104018102', // application-context-name 1.3.6.1.4.1.130: not DLMS UA, kept dotted
      'A20A04080102030405060708', // called-AP-title
      'A303020101', // called-AE-qualifier, raw: INTEGER 1
      '8B0760857405080208', // mechanism-name 2.16.756.5.8.2.8: unknown id, kept as dotted string
      'AC0481020680', // calling-authentication-value bitstring: 2 bits, "10"
      '9D03414243', // implementation-information "ABC"
    );
    const value: Aarq = {
      protocolVersion: { length: 1, bytes: Uint8Array.of(0x80) },
      applicationContextName: '1.3.6.1.4.1.130',
      calledApTitle: fromHex('0102030405060708'),
      calledAeQualifier: fromHex('020101'),
      mechanismName: '2.16.756.5.8.2.8',
      callingAuthenticationValue: { type: 'bitstring', value: { length: 2, bytes: Uint8Array.of(0x80) } },
      implementationInformation: new TextEncoder().encode('ABC'),
    };
    expect(decodeAarq(bytes)).toEqual(value);
    expect(toHex(encodeAarq(value))).toBe(toHex(bytes));
  });

  it('AARQ for LN with InitiateRequest built from names', () => {
    const ui = encodeInitiateRequest({
      proposedDlmsVersionNumber: 6,
      proposedConformance: conformanceFromNames([
        'get',
        'set',
        'action',
        'selective-access',
        'block-transfer-with-get-or-read',
      ]),
      clientMaxReceivePduSize: 0xffff,
    });
    expect(toHex(ui)).toBe('01000000065F1F040000101DFFFF');
  });

  it('rejects malformed ACSE structure', () => {
    const cases: [string, string][] = [
      ['6000', DlmsErrorCode.Malformed], // application-context-name missing
      ['600EA1090607608574050801018A0108', DlmsErrorCode.Malformed], // BIT STRING with 8 unused bits
      ['600CA109060760857405080101', DlmsErrorCode.Truncated], // length beyond input
      ['6016A109060760857405080101A109060760857405080101', DlmsErrorCode.Malformed], // [1] twice
      ['6080A109060760857405080101', DlmsErrorCode.Unsupported], // indefinite length
      ['610BA109060760857405080101', DlmsErrorCode.Malformed], // AARE tag given to the AARQ decoder
      ['600BA109040760857405080101', DlmsErrorCode.Malformed], // context name as OCTET STRING
      ['600BA109060760857405088001', DlmsErrorCode.Malformed], // OID sub-identifier with leading 0x80
      ['600BA109060760857405080181', DlmsErrorCode.Malformed], // OID ends inside a sub-identifier
      ['600B8109060760857405080101', DlmsErrorCode.Malformed], // [1] primitive
    ];
    for (const [h, code] of cases) {
      expect(
        codeOf(() => decodeAarq(fromHex(h))),
        h,
      ).toBe(code);
    }
  });
});
