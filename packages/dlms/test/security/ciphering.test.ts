import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/bytes.ts';
import { DlmsError, DlmsErrorCode } from '../../src/errors.ts';
import {
  type CipheredKind,
  cipherApdu,
  cipheredTagFor,
  decipherApdu,
  hlsGmacF,
  InvocationCounterState,
  type SecurityKeys,
  servicesWithCipheredTags,
} from '../../src/security/index.ts';

// Keys, system title and the glo-get-request come from vectors/dlms-ua/suite0.json (Green Book suite-0 example).
const keys: SecurityKeys = {
  ek: fromHex('000102030405060708090A0B0C0D0E0F'),
  ak: fromHex('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF'),
};
const systemTitle = fromHex('4D4D4D0000BC614E');
const getRequest = fromHex('C0010000080000010000FF0200');
const gloGetRequest = fromHex('C81E3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B');

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof DlmsError) return e.code;
    throw e;
  }
  return undefined;
}

function cipher(
  securityControl: number,
  overrides: Partial<Parameters<typeof cipherApdu>[0]> = {},
): Uint8Array {
  return cipherApdu({
    tag: 0xc8,
    securityControl,
    systemTitle,
    invocationCounter: 0x01234567,
    plaintext: getRequest,
    keys,
    ...overrides,
  });
}

describe('cipherApdu / decipherApdu', () => {
  it('authenticated only (SC 0x10) carries the plaintext in clear and its tag is the GMAC over SC ‖ AK ‖ APDU', () => {
    const apdu = cipher(0x10);
    // C8 len | 10 | IC | plaintext (13) | tag (12)
    expect(toHex(apdu.subarray(0, 7))).toBe('C81E1001234567');
    expect(toHex(apdu.subarray(7, 20))).toBe(toHex(getRequest));
    const f = hlsGmacF({ systemTitle, invocationCounter: 0x01234567, challenge: getRequest, ...keys });
    expect(toHex(apdu.subarray(20))).toBe(toHex(f.subarray(5)));
    expect(toHex(decipherApdu(apdu, { keys, systemTitle }).plaintext)).toBe(toHex(getRequest));
  });

  it('encrypted only (SC 0x20) has no tag and the same keystream as SC 0x30', () => {
    const apdu = cipher(0x20);
    expect(toHex(apdu.subarray(0, 7))).toBe('C8122001234567');
    expect(apdu.length).toBe(2 + 5 + getRequest.length);
    expect(toHex(apdu.subarray(7))).toBe(toHex(gloGetRequest.subarray(7, 7 + getRequest.length)));
    expect(toHex(decipherApdu(apdu, { keys, systemTitle }).plaintext)).toBe(toHex(getRequest));
  });

  it('general-glo-ciphering embeds the system title and is read without one', () => {
    const apdu = cipher(0x30, { general: true });
    // DB | 08 system title | 1E content (same as glo-get-request's)
    expect(toHex(apdu)).toBe(`DB08${toHex(systemTitle)}${toHex(gloGetRequest.subarray(1))}`);
    const back = decipherApdu(apdu, { keys });
    expect(back.kind).toBe('general-glo');
    expect(toHex(back.systemTitle)).toBe(toHex(systemTitle));
    expect(toHex(back.plaintext)).toBe(toHex(getRequest));
  });

  it('general-ded-ciphering from a ded tag, and 0xDB directly for data-notification', () => {
    const ded = cipher(0x30, { tag: 0xd0, general: true });
    expect(ded[0]).toBe(0xdc);
    expect(decipherApdu(ded, { keys }).kind).toBe('general-ded');
    const notification = fromHex('0F0000000100090102');
    const apdu = cipher(0x30, { tag: 0xdb, plaintext: notification });
    expect(toHex(decipherApdu(apdu, { keys }).plaintext)).toBe(toHex(notification));
  });

  it('refuses a tag that does not match the plaintext, a plain tag, or no protection', () => {
    expect(codeOf(() => cipher(0x30, { tag: 0xc9 }))).toBe(DlmsErrorCode.Encode);
    expect(codeOf(() => cipher(0x30, { tag: 0xc0 }))).toBe(DlmsErrorCode.Encode);
    expect(codeOf(() => cipher(0x00))).toBe(DlmsErrorCode.Security);
    expect(codeOf(() => cipher(0x30, { systemTitle: new Uint8Array(7) }))).toBe(DlmsErrorCode.Security);
    expect(codeOf(() => cipher(0x30, { invocationCounter: 2 ** 32 }))).toBe(DlmsErrorCode.Encode);
    expect(codeOf(() => cipher(0x30, { keys: { ek: new Uint8Array(32), ak: keys.ak } }))).toBe(
      DlmsErrorCode.Security,
    );
  });

  it('compression flag or a suite other than 0 is Unsupported, both ways', () => {
    expect(codeOf(() => cipher(0xb0))).toBe(DlmsErrorCode.Unsupported);
    expect(codeOf(() => cipher(0x31))).toBe(DlmsErrorCode.Unsupported);
    const compressed = gloGetRequest.slice();
    compressed[2] = 0xb0;
    expect(codeOf(() => decipherApdu(compressed, { keys, systemTitle }))).toBe(DlmsErrorCode.Unsupported);
  });

  it('general-ciphering (0xDD) is Unsupported, a plain APDU is Malformed', () => {
    expect(codeOf(() => decipherApdu(fromHex('DD00'), { keys }))).toBe(DlmsErrorCode.Unsupported);
    expect(codeOf(() => decipherApdu(getRequest, { keys, systemTitle }))).toBe(DlmsErrorCode.Malformed);
  });

  it('tampering with the key-set bit, IC, ciphertext or tag fails authentication', () => {
    const keySetFlipped = gloGetRequest.slice();
    keySetFlipped[2] = 0x70;
    expect(codeOf(() => decipherApdu(keySetFlipped, { keys, systemTitle }))).toBe(
      DlmsErrorCode.AuthenticationFailed,
    );
    for (let i = 3; i < gloGetRequest.length; i++) {
      for (const mask of [0x01, 0x40]) {
        const bad = gloGetRequest.slice();
        bad[i] = bad[i]! ^ mask;
        expect(
          codeOf(() => decipherApdu(bad, { keys, systemTitle })),
          `byte ${i} ^ ${mask}`,
        ).toBe(DlmsErrorCode.AuthenticationFailed);
      }
    }
    const authOnly = cipher(0x10);
    const bad = authOnly.slice();
    bad[10] = bad[10]! ^ 0x80;
    expect(codeOf(() => decipherApdu(bad, { keys, systemTitle }))).toBe(DlmsErrorCode.AuthenticationFailed);
  });

  it('wrong EK, wrong AK or wrong system title fails authentication', () => {
    const otherKey = fromHex('00112233445566778899AABBCCDDEEFF');
    for (const k of [
      { ek: otherKey, ak: keys.ak },
      { ek: keys.ek, ak: otherKey },
    ]) {
      expect(codeOf(() => decipherApdu(gloGetRequest, { keys: k, systemTitle }))).toBe(
        DlmsErrorCode.AuthenticationFailed,
      );
    }
    expect(
      codeOf(() => decipherApdu(gloGetRequest, { keys, systemTitle: fromHex('4D4D4D0000000001') })),
    ).toBe(DlmsErrorCode.AuthenticationFailed);
  });

  it('refuses truncation, trailing bytes and a missing system title or keys', () => {
    expect(codeOf(() => decipherApdu(gloGetRequest.subarray(0, 20), { keys, systemTitle }))).toBe(
      DlmsErrorCode.Truncated,
    );
    const trailing = new Uint8Array([...gloGetRequest, 0]);
    expect(codeOf(() => decipherApdu(trailing, { keys, systemTitle }))).toBe(DlmsErrorCode.Malformed);
    expect(codeOf(() => decipherApdu(gloGetRequest, { keys }))).toBe(DlmsErrorCode.Security);
    expect(codeOf(() => decipherApdu(gloGetRequest, { systemTitle }))).toBe(DlmsErrorCode.Security);
    expect(
      codeOf(() => decipherApdu(fromHex('C80630012345670'.padEnd(16, '0')), { keys, systemTitle })),
    ).toBe(DlmsErrorCode.Truncated);
  });

  it('enforces a required policy', () => {
    const encOnly = cipher(0x20);
    expect(
      codeOf(() => decipherApdu(encOnly, { keys, systemTitle, require: { authentication: true } })),
    ).toBe(DlmsErrorCode.Security);
    const authOnly = cipher(0x10);
    expect(codeOf(() => decipherApdu(authOnly, { keys, systemTitle, require: { encryption: true } }))).toBe(
      DlmsErrorCode.Security,
    );
    expect(
      decipherApdu(gloGetRequest, { keys, systemTitle, require: { authentication: true, encryption: true } })
        .invocationCounter,
    ).toBe(0x01234567);
  });

  it('resolves keys per APDU through keyResolver', () => {
    const seen: string[] = [];
    const broadcast = cipher(0x70);
    const back = decipherApdu(broadcast, {
      systemTitle,
      keyResolver: ({ kind, securityControl, systemTitle: st }) => {
        seen.push(`${kind} ${securityControl.keySet} ${toHex(st)}`);
        return keys;
      },
    });
    expect(back.security.keySet).toBe('broadcast');
    expect(seen).toEqual([`glo broadcast ${toHex(systemTitle)}`]);
    expect(codeOf(() => decipherApdu(broadcast, { systemTitle, keyResolver: () => undefined }))).toBe(
      DlmsErrorCode.Security,
    );
  });
});

describe('replay guard', () => {
  it('accepts rising counters and refuses a repeated or lower one', () => {
    const guard = new InvocationCounterState();
    const at = (ic: number) => cipher(0x30, { invocationCounter: ic });
    expect(decipherApdu(at(5), { keys, systemTitle, guard }).invocationCounter).toBe(5);
    expect(codeOf(() => decipherApdu(at(5), { keys, systemTitle, guard }))).toBe(DlmsErrorCode.Replay);
    expect(codeOf(() => decipherApdu(at(4), { keys, systemTitle, guard }))).toBe(DlmsErrorCode.Replay);
    expect(decipherApdu(at(6), { keys, systemTitle, guard }).invocationCounter).toBe(6);
    expect(guard.lastReceived(toHex(systemTitle))).toBe(6);
  });

  it('does not advance on a frame that fails authentication', () => {
    const guard = new InvocationCounterState({ received: { [toHex(systemTitle)]: 10 } });
    const forged = cipher(0x30, { invocationCounter: 1000 });
    forged[forged.length - 1] = forged[forged.length - 1]! ^ 1;
    expect(codeOf(() => decipherApdu(forged, { keys, systemTitle, guard }))).toBe(
      DlmsErrorCode.AuthenticationFailed,
    );
    expect(guard.lastReceived(toHex(systemTitle))).toBe(10);
    expect(
      decipherApdu(cipher(0x30, { invocationCounter: 11 }), { keys, systemTitle, guard }).invocationCounter,
    ).toBe(11);
  });
});

describe('replay guard and encryption-only APDUs', () => {
  // SC 0x20 carries no tag: anyone can forge one, so its counter proves nothing.
  it('an encryption-only APDU does not advance the guard unless the caller states a policy allowing it', () => {
    const guard = new InvocationCounterState({ received: { [toHex(systemTitle)]: 10 } });
    const forged = cipher(0x20, { invocationCounter: 0xfffffff0 });
    expect(decipherApdu(forged, { keys, systemTitle, guard }).invocationCounter).toBe(0xfffffff0);
    expect(guard.lastReceived(toHex(systemTitle))).toBe(10);
    expect(
      decipherApdu(cipher(0x30, { invocationCounter: 11 }), { keys, systemTitle, guard }).plaintext,
    ).toEqual(getRequest);
  });

  it('an encryption-only APDU is still refused when its counter is not above the last one', () => {
    const guard = new InvocationCounterState({ received: { [toHex(systemTitle)]: 10 } });
    expect(
      codeOf(() => decipherApdu(cipher(0x20, { invocationCounter: 10 }), { keys, systemTitle, guard })),
    ).toBe(DlmsErrorCode.Replay);
  });

  it('under an encryption-only policy (require given) the guard advances', () => {
    const guard = new InvocationCounterState({ received: { [toHex(systemTitle)]: 10 } });
    const require = { authentication: false, encryption: true };
    decipherApdu(cipher(0x20, { invocationCounter: 12 }), { keys, systemTitle, guard, require });
    expect(guard.lastReceived(toHex(systemTitle))).toBe(12);
  });
});

const kinds: CipheredKind[] = ['glo', 'ded', 'general-glo', 'general-ded'];

describe('properties', () => {
  it('cipher → decipher round-trips any plaintext, keys, SC and form', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...servicesWithCipheredTags),
        fc.constantFrom(...kinds),
        fc.constantFrom(0x10, 0x20, 0x30),
        fc.boolean(),
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.nat({ max: 0xffffffff }),
        (plainTag, kind, sc, broadcast, body, ek, ak, st, ic) => {
          const family = kind.endsWith('glo') ? 'glo' : 'ded';
          const tag = cipheredTagFor(plainTag, family)!;
          const plaintext = new Uint8Array([plainTag, ...body]);
          const securityControl = sc | (broadcast ? 0x40 : 0);
          const k = { ek, ak };
          const apdu = cipherApdu({
            tag,
            securityControl,
            systemTitle: st,
            invocationCounter: ic,
            plaintext,
            keys: k,
            general: kind.startsWith('general'),
          });
          const back = decipherApdu(apdu, { keys: k, systemTitle: st });
          expect(toHex(back.plaintext)).toBe(toHex(plaintext));
          expect(back.kind).toBe(kind);
          expect(back.securityControl).toBe(securityControl);
          expect(back.invocationCounter).toBe(ic);
          expect(toHex(back.systemTitle)).toBe(toHex(st));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('decipherApdu on random or mutated bytes returns a value or throws DlmsError only', () => {
    const guard = new InvocationCounterState();
    const mutated = fc
      .tuple(
        fc.constantFrom(gloGetRequest, cipher(0x10), cipher(0x20), cipher(0x30, { general: true })),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.nat({ max: 40 }),
      )
      .map(([base, at, value, cut]) => {
        const out = base.slice(0, Math.max(0, base.length - cut));
        if (out.length > 0) out[at % out.length] = value;
        return out;
      });
    const structured = fc
      .tuple(fc.constantFrom(0x21, 0x28, 0xc8, 0xd4, 0xdb, 0xdc, 0xdd), fc.uint8Array({ maxLength: 60 }))
      .map(([tag, rest]) => new Uint8Array([tag, ...rest]));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), mutated, structured), (bytes) => {
        try {
          decipherApdu(bytes, { keys, systemTitle, guard });
        } catch (e) {
          expect(e).toBeInstanceOf(DlmsError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
