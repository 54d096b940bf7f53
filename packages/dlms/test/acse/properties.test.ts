import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CONFORMANCE_NAMES,
  ConformanceBit,
  conformanceFromBits,
  conformanceFromNames,
  conformanceMask,
  conformanceNames,
  conformanceToBits,
  decodeAare,
  decodeAarq,
  decodeConfirmedServiceError,
  decodeInitiateRequest,
  decodeInitiateResponse,
  decodeRlre,
  decodeRlrq,
  decodeUserInformation,
  describeAssociationResult,
  encodeAare,
  encodeAarq,
  encodeConfirmedServiceError,
  encodeInitiateRequest,
  encodeInitiateResponse,
  encodeRlre,
  encodeRlrq,
  encodeUserInformation,
} from '../../src/acse/index.ts';
import { DlmsError } from '../../src/errors.ts';
import {
  arbAare,
  arbAarq,
  arbConfirmedServiceError,
  arbInitiateRequest,
  arbInitiateResponse,
  arbRlre,
  arbRlrq,
} from './arbitraries.ts';

describe('round trips', () => {
  it('Aarq', () => {
    fc.assert(
      fc.property(arbAarq, (v) => {
        expect(decodeAarq(encodeAarq(v))).toEqual(v);
      }),
    );
  });

  it('Aare', () => {
    fc.assert(
      fc.property(arbAare, (v) => {
        expect(decodeAare(encodeAare(v))).toEqual(v);
      }),
    );
  });

  it('Rlrq and Rlre', () => {
    fc.assert(
      fc.property(arbRlrq, (v) => {
        expect(decodeRlrq(encodeRlrq(v))).toEqual(v);
      }),
    );
    fc.assert(
      fc.property(arbRlre, (v) => {
        expect(decodeRlre(encodeRlre(v))).toEqual(v);
      }),
    );
  });

  it('InitiateRequest', () => {
    fc.assert(
      fc.property(arbInitiateRequest, (v) => {
        const bytes = encodeInitiateRequest(v);
        expect(decodeInitiateRequest(bytes)).toEqual(v);
        const ui = decodeUserInformation(bytes);
        expect(ui).toEqual({ kind: 'initiate-request', tag: 1, value: v });
        expect(encodeUserInformation(ui)).toEqual(bytes);
      }),
    );
  });

  it('InitiateResponse', () => {
    fc.assert(
      fc.property(arbInitiateResponse, (v) => {
        const bytes = encodeInitiateResponse(v);
        expect(decodeInitiateResponse(bytes)).toEqual(v);
        expect(decodeUserInformation(bytes)).toEqual({ kind: 'initiate-response', tag: 8, value: v });
      }),
    );
  });

  it('ConfirmedServiceError', () => {
    fc.assert(
      fc.property(arbConfirmedServiceError, (v) => {
        expect(decodeConfirmedServiceError(encodeConfirmedServiceError(v))).toEqual(v);
      }),
    );
  });

  it('describeAssociationResult never throws on decodable AAREs', () => {
    fc.assert(
      fc.property(arbAare, (v) => {
        expect(describeAssociationResult(v)).toMatch(/^association /);
      }),
    );
  });
});

describe('Conformance', () => {
  it('bit n has mask 1 << (23 - n): bit 0 is the MSB of the first byte', () => {
    expect(conformanceMask('reserved-zero')).toBe(0x800000);
    expect(conformanceMask('general-protection')).toBe(0x400000);
    expect(conformanceMask('delta-value-encoding')).toBe(0x020000);
    expect(conformanceMask('attribute0-supported-with-set')).toBe(0x008000);
    expect(conformanceMask('information-report')).toBe(0x000100);
    expect(conformanceMask('data-notification')).toBe(0x000080);
    expect(conformanceMask('get')).toBe(0x000010);
    expect(conformanceMask('action')).toBe(0x000001);
    expect(CONFORMANCE_NAMES).toHaveLength(24);
    expect(new Set(Object.values(ConformanceBit)).size).toBe(24);
  });

  it('007E1F (DLMS UA AARQ vector) names the usual LN client services', () => {
    expect(conformanceNames(0x007e1f)).toEqual([
      'priority-mgmt-supported',
      'attribute0-supported-with-get',
      'block-transfer-with-get-or-read',
      'block-transfer-with-set-or-write',
      'block-transfer-with-action',
      'multiple-references',
      'get',
      'set',
      'selective-access',
      'event-notification',
      'action',
    ]);
  });

  it('bits → flags → bits and names → flags → names', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffff }), (bits) => {
        const flags = conformanceFromBits(bits);
        expect(conformanceToBits(flags)).toBe(bits);
        expect(conformanceToBits(conformanceFromNames(conformanceNames(bits)))).toBe(bits);
        expect(conformanceNames(bits).every((n) => flags[n])).toBe(true);
      }),
    );
  });

  it('on the wire the block is 5F 1F 04 00 then 3 bytes, bit 0 first', () => {
    const bytes = encodeInitiateResponse({
      negotiatedDlmsVersionNumber: 6,
      negotiatedConformance: conformanceFromNames(['general-protection', 'read', 'action']),
      serverMaxReceivePduSize: 0x0400,
      vaaName: 0x0007,
    });
    expect([...bytes.subarray(3, 10)]).toEqual([0x5f, 0x1f, 0x04, 0x00, 0x50, 0x00, 0x01]);
  });
});

function valueOrDlmsError(decode: (b: Uint8Array) => unknown, bytes: Uint8Array): void {
  try {
    decode(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(DlmsError);
  }
}

const decoders: [string, (b: Uint8Array) => unknown, number][] = [
  ['decodeAarq', decodeAarq, 0x60],
  ['decodeAare', decodeAare, 0x61],
  ['decodeRlrq', decodeRlrq, 0x62],
  ['decodeRlre', decodeRlre, 0x63],
  ['decodeInitiateRequest', decodeInitiateRequest, 0x01],
  ['decodeInitiateResponse', decodeInitiateResponse, 0x08],
  ['decodeConfirmedServiceError', decodeConfirmedServiceError, 0x0e],
  ['decodeUserInformation', decodeUserInformation, 0x21],
];

describe('random bytes give a value or a DlmsError', () => {
  for (const [name, decode, tag] of decoders) {
    it(name, () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (b) => valueOrDlmsError(decode, b)));
      // Starting with the right tag reaches the field decoders.
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 80 }), (b) =>
          valueOrDlmsError(decode, Uint8Array.of(tag, ...b)),
        ),
      );
    });
  }

  it('mutated valid APDUs', () => {
    const mutate = (valid: fc.Arbitrary<Uint8Array>) =>
      valid.chain((bytes) =>
        fc
          .tuple(
            fc.nat({ max: Math.max(0, bytes.length - 1) }),
            fc.integer({ min: 0, max: 255 }),
            fc.boolean(),
          )
          .map(([at, v, cut]) => {
            const out = bytes.slice(0, cut ? at : bytes.length);
            if (!cut && at < out.length) out[at] = v;
            return out;
          }),
      );
    fc.assert(fc.property(mutate(arbAarq.map(encodeAarq)), (b) => valueOrDlmsError(decodeAarq, b)));
    fc.assert(fc.property(mutate(arbAare.map(encodeAare)), (b) => valueOrDlmsError(decodeAare, b)));
    fc.assert(fc.property(mutate(arbRlre.map(encodeRlre)), (b) => valueOrDlmsError(decodeRlre, b)));
    fc.assert(
      fc.property(mutate(arbInitiateRequest.map(encodeInitiateRequest)), (b) =>
        valueOrDlmsError(decodeUserInformation, b),
      ),
    );
  });
});
