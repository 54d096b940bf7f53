import { suite0Vectors } from '@openhes/testkit/vectors';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/bytes.ts';
import { cipherApdu, decipherApdu, hlsGmacF, verifyHlsGmacF } from '../../src/security/index.ts';

// Provenance: vectors/dlms-ua/suite0.json (Green Book suite-0 examples, DLMS UA).
interface Suite0Vector {
  name: string;
  systemTitle: string;
  invocationCounter?: string;
  securityControl?: string;
  plaintext?: string;
  cipheredApdu?: string;
  challenge?: string;
  aad?: string;
  tag?: string;
  fChallenge?: string;
  userInformation?: string;
  apdu?: string;
}
interface Suite0File {
  common: { encryptionKey: string; authenticationKey: string; tagLength: number };
  vectors: Suite0Vector[];
}

const file: Suite0File = suite0Vectors;
const keys = { ek: fromHex(file.common.encryptionKey), ak: fromHex(file.common.authenticationKey) };

function vector(prefix: string): Suite0Vector {
  const v = file.vectors.find((x) => x.name.startsWith(prefix));
  if (!v) throw new Error(`vector ${prefix} missing from suite0.json`);
  return v;
}

function field(v: Suite0Vector, key: keyof Suite0Vector): string {
  const value = v[key];
  if (value === undefined) throw new Error(`vector ${v.name} has no ${key}`);
  return value;
}

describe('suite 0 golden vectors', () => {
  it('covers every vector in suite0.json', () => {
    expect(file.vectors).toHaveLength(5);
  });

  it('glo-get-request (SC 0x30): cipher reproduces the bytes, decipher returns the plaintext', () => {
    const v = vector('glo-get-request');
    const systemTitle = fromHex(v.systemTitle);
    const expected = field(v, 'cipheredApdu');
    const out = cipherApdu({
      tag: 0xc8,
      securityControl: 0x30,
      systemTitle,
      invocationCounter: 0x01234567,
      plaintext: fromHex(field(v, 'plaintext')),
      keys,
    });
    expect(toHex(out)).toBe(expected);
    const back = decipherApdu(fromHex(expected), { keys, systemTitle });
    expect(toHex(back.plaintext)).toBe(v.plaintext);
    expect(back).toMatchObject({
      securityControl: 0x30,
      invocationCounter: 0x01234567,
      tag: 0xc8,
      kind: 'glo',
    });
  });

  it('AARQ user-information glo-initiate-request (0x21)', () => {
    const v = vector('AARQ user-information');
    const systemTitle = fromHex(v.systemTitle);
    const userInformation = field(v, 'userInformation');
    // 21 30 | SC 30 | IC 01234567 | ciphertext (31) | tag (12)
    const out = cipherApdu({
      tag: 0x21,
      securityControl: 0x30,
      systemTitle,
      invocationCounter: 0x01234567,
      plaintext: fromHex(field(v, 'plaintext')),
      keys,
    });
    expect(toHex(out)).toBe(userInformation);
    const back = decipherApdu(fromHex(userInformation), { keys, systemTitle });
    expect(toHex(back.plaintext)).toBe(v.plaintext);
    expect(back.kind).toBe('glo');
  });

  it('RLRE carrying glo-initiate-response (0x28)', () => {
    const v = vector('RLRE carrying');
    const systemTitle = fromHex(v.systemTitle);
    const rlre = fromHex(field(v, 'apdu'));
    // 63 28 RLRE | 80 01 00 reason normal | BE 23 user-information | 04 21 octet string (33) | 28 1F …
    expect(toHex(rlre.subarray(0, 9))).toBe('6328800100BE230421');
    const glo = rlre.subarray(9);
    expect(glo.length).toBe(0x21);
    const back = decipherApdu(glo, { keys, systemTitle });
    expect(toHex(back.plaintext)).toBe(v.plaintext);
    expect(back).toMatchObject({ securityControl: 0x30, invocationCounter: 0x01234567, tag: 0x28 });
    const again = cipherApdu({
      tag: 0x28,
      securityControl: 0x30,
      systemTitle,
      invocationCounter: 0x01234567,
      plaintext: back.plaintext,
      keys,
    });
    expect(toHex(again)).toBe(toHex(glo));
  });

  for (const prefix of ['HLS mechanism 5, pass 3', 'HLS mechanism 5, pass 4']) {
    it(`${prefix}: f(challenge) matches and verifies`, () => {
      const v = vector(prefix);
      const systemTitle = fromHex(v.systemTitle);
      const challenge = fromHex(field(v, 'challenge'));
      const invocationCounter = Number.parseInt(field(v, 'invocationCounter'), 16);
      const f = hlsGmacF({ systemTitle, invocationCounter, challenge, ...keys });
      expect(toHex(f)).toBe(v.fChallenge);
      expect(toHex(f.subarray(5))).toBe(v.tag);
      expect(verifyHlsGmacF(f, { systemTitle, challenge, ...keys })).toBe(invocationCounter);
    });
  }
});
