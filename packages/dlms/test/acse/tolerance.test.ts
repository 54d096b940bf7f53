import { describe, expect, it } from 'vitest';
import {
  type Aare,
  decodeAare,
  decodeAarq,
  decodeRlre,
  decodeUserInformation,
  encodeAare,
} from '../../src/acse/index.ts';
import { fromHex, toHex } from '../../src/bytes.ts';
import { DlmsError, DlmsErrorCode } from '../../src/errors.ts';

// What real meters put in their ACSE APDUs beyond what we decode (DOMAIN.md "What goes wrong
// in the field"; Gurux and pwitab/dlms-cosem walk ACSE fields by tag in any order and skip the
// ones they do not know). Fixtures built by hand from the field layout in
// shared/reference/dlms-tables.md §5/§6.

const INITIATE_RESPONSE = '0800065F1F040000501F01F40007';
const HEAD = [
  'A109060760857405080101', // application-context-name LN, no ciphering
  'A203020100', // result accepted
  'A305A103020100', // result-source-diagnostic: acse-service-user null
];
const USER_INFO = `BE10040E${INITIATE_RESPONSE}`;

function aare(...fields: string[]): Uint8Array {
  const body = fields.join('');
  return fromHex(`61${(body.length / 2).toString(16).padStart(2, '0')}${body}`);
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

describe('AARE fields we do not decode are kept, not refused', () => {
  it('an unknown context field [12] and an unknown universal element are kept raw, in order', () => {
    const a = decodeAare(aare(...HEAD, '8C0101', USER_INFO, '0400'));
    expect(a.result).toBe(0);
    expect(a.userInformation).toEqual(fromHex(INITIATE_RESPONSE));
    expect(a.unknownFields?.map((b) => toHex(b))).toEqual(['8C0101', '0400']);
    expect(decodeAare(encodeAare(a))).toEqual(a);
  });

  it('implementation-information constructed (0xBD, Gurux form) as well as primitive (0x9D)', () => {
    const constructed = decodeAare(aare(...HEAD, 'BD03414243', USER_INFO));
    const primitive = decodeAare(aare(...HEAD, '9D03414243', USER_INFO));
    expect(constructed.implementationInformation).toEqual(fromHex('414243'));
    expect(primitive.implementationInformation).toEqual(fromHex('414243'));
  });

  it('AE qualifier and AP invocation id in primitive form', () => {
    const a = decodeAare(aare(...HEAD, '850101', '860102', USER_INFO));
    expect(a.respondingAeQualifier).toEqual(fromHex('01'));
    expect(a.respondingApInvocationId).toEqual(fromHex('02'));
  });

  it('responder-acse-requirements without mechanism-name', () => {
    const a = decodeAare(aare(...HEAD, '88020780', USER_INFO));
    expect(a.responderAcseRequirements).toEqual({ authentication: true });
    expect(a.mechanismName).toBeUndefined();
  });

  it('responding-authentication-value in the external [2] alternative is kept as other', () => {
    const a = decodeAare(aare(...HEAD, 'AA06A20401020304', USER_INFO));
    expect(a.respondingAuthenticationValue).toEqual({ type: 'other', raw: fromHex('A20401020304') });
    expect(toHex(encodeAare(a))).toBe(toHex(aare(...HEAD, 'AA06A20401020304', USER_INFO)));
  });

  it('fields out of order are read by their tags', () => {
    const a = decodeAare(aare(HEAD[0]!, 'A40A04084D4D4D0000BC614E', HEAD[2]!, HEAD[1]!, USER_INFO));
    expect(a.respondingApTitle).toEqual(fromHex('4D4D4D0000BC614E'));
    expect(a.result).toBe(0);
  });

  it('bytes after user-information that form no TLV, and bytes after the AARE, are kept as trailing', () => {
    const inside = decodeAare(aare(...HEAD, USER_INFO, '00'));
    expect(inside.trailing).toEqual(fromHex('00'));
    expect(inside.userInformation).toEqual(fromHex(INITIATE_RESPONSE));
    const outside = decodeAare(fromHex(`${toHex(aare(...HEAD, USER_INFO))}0000`));
    expect(outside.trailing).toEqual(fromHex('0000'));
    expect(toHex(encodeAare(outside))).toBe(`${toHex(aare(...HEAD, USER_INFO))}0000`);
  });

  it('still strict on what we decode: repeated field, bad result, truncation before user-information', () => {
    expect(codeOf(() => decodeAare(aare(...HEAD, 'A203020100', USER_INFO)))).toBe(DlmsErrorCode.Malformed);
    expect(codeOf(() => decodeAare(aare(HEAD[0]!, 'A203020107', HEAD[2]!, USER_INFO)))).toBe(
      DlmsErrorCode.Malformed,
    );
    expect(codeOf(() => decodeAare(aare(...HEAD, '88')))).toBe(DlmsErrorCode.Truncated);
    expect(codeOf(() => decodeAare(aare(HEAD[0]!, HEAD[1]!, USER_INFO)))).toBe(DlmsErrorCode.Malformed);
  });

  it('AARQ and RLRE keep unknown fields the same way', () => {
    const aarq = decodeAarq(fromHex('600EA1090607608574050801019F1F00'));
    expect(aarq.unknownFields?.map((b) => toHex(b))).toEqual(['9F1F00']);
    expect(decodeRlre(fromHex('6306800100850100')).unknownFields?.map((b) => toHex(b))).toEqual(['850100']);
  });
});

describe('xDLMS-Initiate in user-information', () => {
  it('an InitiateResponse followed by extra bytes decodes, the extra bytes kept as trailing', () => {
    const u = decodeUserInformation(fromHex(`${INITIATE_RESPONSE}0000`));
    expect(u.kind).toBe('initiate-response');
    expect(u.kind === 'initiate-response' && u.value.serverMaxReceivePduSize).toBe(0x01f4);
    expect(u.kind !== 'ciphered' && u.trailing).toEqual(fromHex('0000'));
  });

  it('a truncated InitiateResponse is still refused', () => {
    expect(codeOf(() => decodeUserInformation(fromHex(INITIATE_RESPONSE.slice(0, -4))))).toBe(
      DlmsErrorCode.Truncated,
    );
  });
});

export type { Aare };
