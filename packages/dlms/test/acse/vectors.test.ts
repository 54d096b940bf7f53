import { apduVectors as apdu, suite0Vectors as suite0 } from '@openhes/testkit/vectors';
import { describe, expect, it } from 'vitest';
import {
  ApplicationContextName,
  AssociationResult,
  conformanceNames,
  conformanceToBits,
  decodeAare,
  decodeAarq,
  decodeInitiateRequest,
  decodeInitiateResponse,
  decodeRlre,
  decodeRlrq,
  decodeUserInformation,
  describeAssociationResult,
  encodeAare,
  encodeAarq,
  encodeInitiateRequest,
  encodeInitiateResponse,
  encodeRlre,
  encodeRlrq,
  MechanismName,
  ReleaseRequestReason,
  ReleaseResponseReason,
  VaaName,
} from '../../src/acse/index.ts';
import { fromHex, toHex } from '../../src/bytes.ts';

// Provenance: vectors/dlms-ua/apdu.json and suite0.json (DLMS UA public test suites quoting
// Blue/Green Book encodings). Each test checks the stated meaning, then re-encodes.

function vector(name: string): Uint8Array {
  const v = apdu.vectors.find((x) => x.name === name);
  if (!v) throw new Error(`missing vector ${name}`);
  return fromHex(v.hex);
}

function suite0Vector(name: string): (typeof suite0.vectors)[number] {
  const v = suite0.vectors.find((x) => x.name === name);
  if (!v) throw new Error(`missing vector ${name}`);
  return v;
}

function userInformationOf(ui: Uint8Array | undefined) {
  if (!ui) throw new Error('no user-information');
  return decodeUserInformation(ui);
}

describe('DLMS UA ACSE vectors', () => {
  it('AARQ, LN referencing, no ciphering, no authentication', () => {
    const bytes = vector('AARQ, LN referencing, no ciphering, no authentication');
    const aarq = decodeAarq(bytes);
    expect(aarq.applicationContextName).toBe(ApplicationContextName['logical-name-referencing-no-ciphering']);
    expect(aarq.mechanismName).toBeUndefined();
    expect(aarq.senderAcseRequirements).toBeUndefined();
    expect(aarq.callingAuthenticationValue).toBeUndefined();
    const ui = userInformationOf(aarq.userInformation);
    expect(ui.kind).toBe('initiate-request');
    if (ui.kind !== 'initiate-request') return;
    expect(ui.value.dedicatedKey).toBeUndefined();
    expect(ui.value.responseAllowed).toBeUndefined();
    expect(ui.value.proposedQualityOfService).toBeUndefined();
    expect(ui.value.proposedDlmsVersionNumber).toBe(6);
    expect(conformanceToBits(ui.value.proposedConformance)).toBe(0x007e1f);
    expect(ui.value.clientMaxReceivePduSize).toBe(1200);
    expect(toHex(encodeAarq(aarq))).toBe(toHex(bytes));
    expect(toHex(encodeInitiateRequest(ui.value))).toBe(toHex(aarq.userInformation!));
  });

  it('AARQ, low-level security (password 12345678)', () => {
    const bytes = vector('AARQ, low-level security (password 12345678)');
    const aarq = decodeAarq(bytes);
    expect(aarq.applicationContextName).toBe(ApplicationContextName['logical-name-referencing-no-ciphering']);
    expect(aarq.senderAcseRequirements).toEqual({ authentication: true });
    expect(aarq.mechanismName).toBe(MechanismName.lls);
    expect(aarq.callingAuthenticationValue?.type).toBe('charstring');
    if (aarq.callingAuthenticationValue?.type !== 'charstring') return;
    expect(new TextDecoder().decode(aarq.callingAuthenticationValue.value)).toBe('12345678');
    expect(toHex(encodeAarq(aarq))).toBe(toHex(bytes));
  });

  it('AARE, accepted', () => {
    const bytes = vector('AARE, accepted');
    const aare = decodeAare(bytes);
    expect(aare.applicationContextName).toBe(ApplicationContextName['logical-name-referencing-no-ciphering']);
    expect(aare.result).toBe(AssociationResult.accepted);
    expect(aare.resultSourceDiagnostic).toEqual({ source: 'acse-service-user', value: 0 });
    expect(describeAssociationResult(aare)).toBe('association accepted: acse-service-user null (0)');
    const ui = userInformationOf(aare.userInformation);
    expect(ui.kind).toBe('initiate-response');
    if (ui.kind !== 'initiate-response') return;
    expect(ui.value).toEqual(decodeInitiateResponse(aare.userInformation!));
    expect(ui.value.negotiatedQualityOfService).toBeUndefined();
    expect(ui.value.negotiatedDlmsVersionNumber).toBe(6);
    expect(conformanceToBits(ui.value.negotiatedConformance)).toBe(0x00501f);
    expect(conformanceNames(0x00501f)).toEqual([
      'priority-mgmt-supported',
      'block-transfer-with-get-or-read',
      'get',
      'set',
      'selective-access',
      'event-notification',
      'action',
    ]);
    expect(ui.value.serverMaxReceivePduSize).toBe(500);
    expect(ui.value.vaaName).toBe(VaaName['logical-name']);
    expect(toHex(encodeAare(aare))).toBe(toHex(bytes));
    expect(toHex(encodeInitiateResponse(ui.value))).toBe(toHex(aare.userInformation!));
  });

  it('RLRQ, reason normal', () => {
    const bytes = vector('RLRQ, reason normal');
    const rlrq = decodeRlrq(bytes);
    expect(rlrq).toEqual({ reason: ReleaseRequestReason.normal });
    expect(toHex(encodeRlrq(rlrq))).toBe(toHex(bytes));
  });
});

describe('DLMS UA suite-0 vectors (outer ACSE only)', () => {
  it('AARQ user-information glo-initiate-request stays ciphered bytes', () => {
    const v = suite0Vector('AARQ user-information: glo-initiate-request (0x21)');
    const ui = fromHex(v.userInformation!);
    const decoded = decodeUserInformation(ui);
    expect(decoded).toEqual({ kind: 'ciphered', tag: 0x21, apdu: 'glo-initiateRequest', raw: ui });

    // The same user-information inside an AARQ for LN referencing with ciphering.
    const aarq = decodeAarq(
      encodeAarq({
        applicationContextName: ApplicationContextName['logical-name-referencing-with-ciphering'],
        callingApTitle: fromHex(v.systemTitle),
        userInformation: ui,
      }),
    );
    expect(aarq.callingApTitle).toEqual(fromHex('4D4D4D0000BC614E'));
    expect(aarq.userInformation).toEqual(ui);
  });

  it('the deciphered InitiateRequest carries the dedicated key', () => {
    const v = suite0Vector('AARQ user-information: glo-initiate-request (0x21)');
    const plain = fromHex(v.plaintext!);
    const req = decodeInitiateRequest(plain);
    expect(toHex(req.dedicatedKey!)).toBe('00112233445566778899AABBCCDDEEFF');
    expect(req.responseAllowed).toBeUndefined();
    expect(req.proposedQualityOfService).toBeUndefined();
    expect(req.proposedDlmsVersionNumber).toBe(6);
    expect(conformanceToBits(req.proposedConformance)).toBe(0x007e1f);
    expect(req.clientMaxReceivePduSize).toBe(1200);
    expect(toHex(encodeInitiateRequest(req))).toBe(toHex(plain));
  });

  it('RLRE carrying glo-initiate-response', () => {
    const v = suite0Vector('RLRE carrying glo-initiate-response (0x28)');
    const bytes = fromHex(v.apdu!);
    const rlre = decodeRlre(bytes);
    expect(rlre.reason).toBe(ReleaseResponseReason.normal);
    const ui = userInformationOf(rlre.userInformation);
    expect(ui.kind).toBe('ciphered');
    if (ui.kind !== 'ciphered') return;
    expect(ui.apdu).toBe('glo-initiateResponse');
    expect(toHex(ui.raw)).toBe(v.apdu!.slice(18));
    expect(toHex(encodeRlre(rlre))).toBe(toHex(bytes));

    const plain = fromHex(v.plaintext!);
    const res = decodeInitiateResponse(plain);
    expect(res.negotiatedDlmsVersionNumber).toBe(6);
    expect(conformanceToBits(res.negotiatedConformance)).toBe(0x007c1f);
    expect(res.serverMaxReceivePduSize).toBe(0x0400);
    expect(res.vaaName).toBe(0x0007);
    expect(toHex(encodeInitiateResponse(res))).toBe(toHex(plain));
  });
});
