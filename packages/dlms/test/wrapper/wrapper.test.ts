import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../src/bytes.ts';
import { DlmsError, DlmsErrorCode } from '../../src/errors.ts';
import {
  decodeWrapperPdu,
  encodeWrapperPdu,
  WrapperDeframer,
  type WrapperDeframerEvent,
  type WrapperPdu,
} from '../../src/wrapper/index.ts';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DlmsError);
    return (e as DlmsError).code;
  }
  return undefined;
}

/**
 * Provenance: header layout from reference tables §10 (IEC 62056-9-7); the APDU is the
 * GetRequestNormal for the clock from vectors/dlms-ua/hdlc.json (vector 5) without LLC.
 */
const GOLDEN = {
  hex: [
    '00 01', // version 1
    '00 10', // source wPort 16 (public client)
    '00 01', // destination wPort 1 (management logical device)
    '00 0D', // APDU length 13
    'C0 01 C1 00 08 00 00 01 00 00 FF 02 00', // GetRequestNormal, Clock 0.0.1.0.0.255 attribute 2
  ].join(' '),
  pdu: { source: 16, destination: 1, apdu: fromHex('C001C100080000010000FF0200') },
};

/** Response direction: server wPort 1 to client 16, GetResponseNormal with an octet string. */
const GOLDEN_RESPONSE = {
  hex: '0001 0001 0010 0006 C401C1000900',
  pdu: { source: 1, destination: 16, apdu: fromHex('C401C1000900') },
};

const arbPdu: fc.Arbitrary<WrapperPdu> = fc.record({
  source: fc.integer({ min: 0, max: 0xffff }),
  destination: fc.integer({ min: 0, max: 0xffff }),
  apdu: fc.uint8Array({ maxLength: 600 }),
});

const pdus = (events: WrapperDeframerEvent[]) =>
  events.flatMap((e) =>
    e.type === 'pdu' ? [`${e.pdu.source}>${e.pdu.destination}:${toHex(e.pdu.apdu)}`] : [],
  );
const errors = (events: WrapperDeframerEvent[]) =>
  events.flatMap((e) => (e.type === 'error' ? [e.error.code] : []));
const show = (p: WrapperPdu) => `${p.source}>${p.destination}:${toHex(p.apdu)}`;

describe('wrapper PDU codec', () => {
  for (const g of [GOLDEN, GOLDEN_RESPONSE]) {
    it(`golden ${g.hex.slice(0, 19)}…: decode, encode`, () => {
      const bytes = fromHex(g.hex);
      expect(decodeWrapperPdu(bytes)).toEqual(g.pdu);
      expect(toHex(encodeWrapperPdu(g.pdu))).toBe(toHex(bytes));
    });
  }

  it('rejects a wrong version as Malformed, short input as Truncated, trailing bytes as Malformed', () => {
    expect(codeOf(() => decodeWrapperPdu(fromHex('0002 0010 0001 0000')))).toBe(DlmsErrorCode.Malformed);
    expect(codeOf(() => decodeWrapperPdu(fromHex('0001 0010 0001')))).toBe(DlmsErrorCode.Truncated);
    expect(codeOf(() => decodeWrapperPdu(fromHex('0001 0010 0001 0002 C0')))).toBe(DlmsErrorCode.Truncated);
    expect(codeOf(() => decodeWrapperPdu(fromHex('0001 0010 0001 0000 C0')))).toBe(DlmsErrorCode.Malformed);
  });

  it('refuses to encode out-of-range ports or an APDU over 65535 bytes', () => {
    expect(codeOf(() => encodeWrapperPdu({ source: -1, destination: 1, apdu: new Uint8Array(0) }))).toBe(
      DlmsErrorCode.Encode,
    );
    expect(codeOf(() => encodeWrapperPdu({ source: 1, destination: 0x10000, apdu: new Uint8Array(0) }))).toBe(
      DlmsErrorCode.Encode,
    );
    expect(codeOf(() => encodeWrapperPdu({ source: 1, destination: 1, apdu: new Uint8Array(0x10000) }))).toBe(
      DlmsErrorCode.Encode,
    );
  });

  it('property: encode → decode is the identity', () => {
    fc.assert(
      fc.property(arbPdu, (pdu) => {
        expect(decodeWrapperPdu(encodeWrapperPdu(pdu))).toEqual(pdu);
      }),
    );
  });

  it('property: random bytes decode to a PDU or a DlmsError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.boolean(), (bytes, versioned) => {
        const input = versioned && bytes.length >= 2 ? Uint8Array.of(0, 1, ...bytes.subarray(2)) : bytes;
        try {
          decodeWrapperPdu(input);
        } catch (e) {
          expect(e).toBeInstanceOf(DlmsError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('WrapperDeframer', () => {
  const stream = concatBytes(
    fromHex(GOLDEN.hex),
    fromHex(GOLDEN_RESPONSE.hex),
    fromHex('0001 0000 0000 0000'),
  );
  const expected = [show(GOLDEN.pdu), show(GOLDEN_RESPONSE.pdu), '0>0:'];

  it('gives the same PDUs for every split offset 1..n-1 and byte by byte', () => {
    for (let cut = 1; cut < stream.length; cut++) {
      const d = new WrapperDeframer();
      expect(
        pdus([...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))]),
        `cut ${cut}`,
      ).toEqual(expected);
      expect(d.buffered).toBe(0);
    }
    const d = new WrapperDeframer();
    expect(pdus(Array.from(stream, (b) => d.push(Uint8Array.of(b))).flat())).toEqual(expected);
  });

  it('reports a wrong version once (Malformed) and resynchronises on the next header', () => {
    const d = new WrapperDeframer();
    const events = d.push(concatBytes(fromHex('0002 0010 0001 0003 AA BB CC'), stream));
    expect(errors(events)).toEqual([DlmsErrorCode.Malformed]);
    expect(pdus(events)).toEqual(expected);
    expect(d.discardedBytes).toBe(11);
  });

  it('bounds the APDU length: a larger header is a desynchronised stream', () => {
    const d = new WrapperDeframer({ maxApduLength: 16 });
    const events = d.push(fromHex('0001 0010 0001 0011'));
    expect(errors(events)).toEqual([DlmsErrorCode.Malformed]);
    expect(d.buffered).toBeLessThan(8);
    expect(pdus(d.push(fromHex(GOLDEN.hex)))).toEqual([show(GOLDEN.pdu)]);
  });

  it('property: PDUs split at random offsets come out whole and in order', () => {
    fc.assert(
      fc.property(
        fc.array(arbPdu, { maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 10 }),
        (list, cuts) => {
          const bytes = concatBytes(...list.map(encodeWrapperPdu));
          const d = new WrapperDeframer();
          const events: WrapperDeframerEvent[] = [];
          for (let at = 0, i = 0; at < bytes.length; i++) {
            const n = cuts[i % cuts.length]!;
            events.push(...d.push(bytes.subarray(at, at + n)));
            at += n;
          }
          expect(pdus(events)).toEqual(list.map(show));
          expect(errors(events)).toEqual([]);
        },
      ),
    );
  });

  it('property: random bytes give PDUs or DlmsError events, never a throw', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const d = new WrapperDeframer({ maxApduLength: 256 });
        for (const c of chunks) {
          for (const e of d.push(c)) if (e.type === 'error') expect(e.error).toBeInstanceOf(DlmsError);
        }
        expect(d.buffered).toBeLessThan(8 + 256 + 64);
      }),
      { numRuns: 1000 },
    );
  });
});
