import { apduVectors } from '@openhes/testkit/vectors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeXdlmsApdu,
  encodeXdlmsApdu,
  obisFromString,
  parseInvokeIdAndPriority,
  type XdlmsApdu,
  XdlmsTag,
} from '../../src/apdu/index.ts';
import { dateTimeFromOctets } from '../../src/axdr/index.ts';
import { concatBytes, fromHex, toHex } from '../../src/bytes.ts';
import { DlmsError, DlmsErrorCode } from '../../src/errors.ts';
import { arbXdlmsApdu } from './arbitraries.ts';
import { APDU_FIXTURES } from './fixtures.ts';

function errorOf(f: () => unknown): DlmsError | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DlmsError);
    return e as DlmsError;
  }
  return undefined;
}

interface Vector {
  name: string;
  hex: string;
  meaning: string;
}

const vectors: Vector[] = apduVectors.vectors;

/** The meaning column of vectors/dlms-ua/apdu.json, written as decoded APDUs. */
const VECTOR_MEANINGS: Record<string, XdlmsApdu> = {
  GetRequestNormal: {
    type: 'get-request',
    choice: 'normal',
    invokeIdAndPriority: 0xc1,
    cosemAttributeDescriptor: { classId: 1, instanceId: obisFromString('0.0.43.1.0.255'), attributeId: 2 },
  },
  GetRequestNext: { type: 'get-request', choice: 'next', invokeIdAndPriority: 0xc1, blockNumber: 1 },
  'GetResponseNormal with data': {
    type: 'get-response',
    choice: 'normal',
    invokeIdAndPriority: 0xc1,
    result: { choice: 'data', data: { type: 'double-long-unsigned', value: 5009 } },
  },
  'GetResponseNormal with error': {
    type: 'get-response',
    choice: 'normal',
    invokeIdAndPriority: 0xc1,
    result: { choice: 'data-access-result', dataAccessResult: 1 },
  },
  'SetRequestNormal, clock time': {
    type: 'set-request',
    choice: 'normal',
    invokeIdAndPriority: 0xc1,
    cosemAttributeDescriptor: { classId: 8, instanceId: obisFromString('0.0.1.0.0.255'), attributeId: 2 },
    value: { type: 'octet-string', value: fromHex('07E50118FF0E303950FFC400') },
  },
  SetResponseNormal: { type: 'set-response', choice: 'normal', invokeIdAndPriority: 0xc1, result: 0 },
  // The vector's prose says "invoke-id 1 (priority normal)", but its byte is 0xC0: by the
  // Invoke-Id-And-Priority layout (reference §3) that is invoke-id 0, confirmed, high priority.
  'ActionResponseNormal without data': {
    type: 'action-response',
    choice: 'normal',
    invokeIdAndPriority: 0xc0,
    singleResponse: { result: 0 },
  },
};

describe('DLMS UA vectors (vectors/dlms-ua/apdu.json)', () => {
  const plain = vectors.filter((v) => v.name in VECTOR_MEANINGS);

  it('covers every GET/SET/ACTION vector of the file', () => {
    const xdlms = vectors.filter((v) => /^C[0-7]/i.test(v.hex)).map((v) => v.name);
    expect(plain.map((v) => v.name).sort()).toEqual(xdlms.sort());
    expect(plain).toHaveLength(Object.keys(VECTOR_MEANINGS).length);
  });

  for (const v of plain) {
    it(`${v.name}: decodes to its meaning and encodes back`, () => {
      const bytes = fromHex(v.hex);
      const apdu = decodeXdlmsApdu(bytes);
      expect(apdu).toEqual(VECTOR_MEANINGS[v.name]);
      expect(apdu.trailing).toBeUndefined();
      expect(toHex(encodeXdlmsApdu(apdu))).toBe(toHex(bytes));
    });
  }

  it('SetRequestNormal carries the clock date-time the vector describes', () => {
    const apdu = decodeXdlmsApdu(fromHex('C101C100080000010000FF0200090C07E50118FF0E303950FFC400'));
    if (apdu.type !== 'set-request' || apdu.choice !== 'normal' || apdu.value.type !== 'octet-string') {
      throw new Error('unexpected shape');
    }
    expect(dateTimeFromOctets(apdu.value.value)).toEqual({
      year: 2021,
      month: 1,
      dayOfMonth: 24,
      dayOfWeek: 0xff,
      hour: 14,
      minute: 48,
      second: 57,
      hundredths: 80,
      deviation: -60,
      clockStatus: 0,
    });
  });

  it('invoke-id-and-priority bytes of the vectors', () => {
    expect(parseInvokeIdAndPriority(0xc1)).toEqual({ invokeId: 1, confirmed: true, highPriority: true });
    expect(parseInvokeIdAndPriority(0xc0)).toEqual({ invokeId: 0, confirmed: true, highPriority: true });
  });
});

describe('annotated fixtures (hand-assembled from the Green Book ASN.1)', () => {
  for (const f of APDU_FIXTURES) {
    it(`${f.name}: decode, encode`, () => {
      expect(decodeXdlmsApdu(f.bytes)).toEqual(f.apdu);
      expect(toHex(encodeXdlmsApdu(f.apdu))).toBe(toHex(f.bytes));
    });
  }

  it('cover every APDU kind and every CHOICE', () => {
    const seen = new Set(
      APDU_FIXTURES.map((f) => ('choice' in f.apdu ? `${f.apdu.type}/${f.apdu.choice}` : f.apdu.type)),
    );
    for (const v of Object.values(VECTOR_MEANINGS))
      seen.add('choice' in v ? `${v.type}/${v.choice}` : v.type);
    const expected = [
      'get-request/normal',
      'get-request/next',
      'get-request/with-list',
      'get-response/normal',
      'get-response/with-datablock',
      'get-response/with-list',
      'set-request/normal',
      'set-request/with-first-datablock',
      'set-request/with-datablock',
      'set-request/with-list',
      'set-request/with-list-and-first-datablock',
      'set-response/normal',
      'set-response/datablock',
      'set-response/last-datablock',
      'set-response/last-datablock-with-list',
      'set-response/with-list',
      'action-request/normal',
      'action-request/next-pblock',
      'action-request/with-list',
      'action-request/with-first-pblock',
      'action-request/with-list-and-first-pblock',
      'action-request/with-pblock',
      'action-response/normal',
      'action-response/with-pblock',
      'action-response/with-list',
      'action-response/next-pblock',
      'data-notification',
      'event-notification-request',
      'exception-response',
      'general-block-transfer',
    ];
    expect([...seen].sort()).toEqual(expected.sort());
  });

  for (const f of APDU_FIXTURES) {
    // The Data decoder reports a container count above the bytes left as Malformed.
    it(`${f.name}: no strict prefix decodes`, () => {
      for (let n = 0; n < f.bytes.length; n++) {
        const code = errorOf(() => decodeXdlmsApdu(f.bytes.subarray(0, n)))?.code;
        expect([DlmsErrorCode.Truncated, DlmsErrorCode.Malformed]).toContain(code);
      }
    });
  }
});

describe('trailing bytes', () => {
  it('are returned, not thrown, and not encoded', () => {
    const apdu = decodeXdlmsApdu(fromHex('C401C1000600001391 0000'));
    expect(apdu.trailing).toEqual(fromHex('0000'));
    expect(apdu).toMatchObject({ type: 'get-response', choice: 'normal' });
    expect(toHex(encodeXdlmsApdu(apdu))).toBe('C401C1000600001391');
  });

  it('are a copy that survives reuse of the input buffer', () => {
    const input = fromHex('C501C100AB');
    const apdu = decodeXdlmsApdu(input);
    input.fill(0);
    expect(apdu.trailing).toEqual(fromHex('AB'));
  });
});

describe('decoder errors', () => {
  it('empty input is Truncated', () => {
    expect(errorOf(() => decodeXdlmsApdu(new Uint8Array(0)))?.code).toBe(DlmsErrorCode.Truncated);
  });

  it('an unknown tag is Malformed at offset 0', () => {
    for (const tag of [0x00, 0x99, 0xc6, 0xff]) {
      const e = errorOf(() => decodeXdlmsApdu(Uint8Array.of(tag, 1, 0xc1)));
      expect(e?.code).toBe(DlmsErrorCode.Malformed);
      expect(e?.offset).toBe(0);
    }
  });

  it('a DLMS APDU outside this codec (AARQ, ciphered, confirmed-service-error) is Unsupported', () => {
    for (const tag of [0x60, 0x0e, 0xc8, 0xdb, 0x01]) {
      const e = errorOf(() => decodeXdlmsApdu(Uint8Array.of(tag, 1, 0xc1)));
      expect(e?.code).toBe(DlmsErrorCode.Unsupported);
      expect(e?.offset).toBe(0);
    }
  });

  it('an unknown CHOICE is Malformed at its offset', () => {
    for (const tag of Object.values(XdlmsTag)) {
      if (tag === 0x0f || tag === 0xc2 || tag === 0xd8 || tag === 0xe0) continue;
      const e = errorOf(() => decodeXdlmsApdu(Uint8Array.of(tag, 0x07, 0xc1, 0, 0, 0, 0, 0, 0, 0, 0)));
      expect(e?.code).toBe(DlmsErrorCode.Malformed);
      expect(e?.offset).toBe(1);
    }
  });

  it('an OPTIONAL presence byte other than 0 or 1 is Malformed', () => {
    // get-request-normal whose access-selection flag is 0x02
    const e = errorOf(() => decodeXdlmsApdu(fromHex('C001C1000100002B0100FF0202')));
    expect(e?.code).toBe(DlmsErrorCode.Malformed);
    expect(e?.offset).toBe(12);
  });

  it('a Get-Data-Result or DataBlock-G choice other than 0 or 1 is Malformed', () => {
    expect(errorOf(() => decodeXdlmsApdu(fromHex('C401C10200')))?.code).toBe(DlmsErrorCode.Malformed);
    expect(errorOf(() => decodeXdlmsApdu(fromHex('C402C1010000000102')))?.code).toBe(DlmsErrorCode.Malformed);
  });

  it('a list count above the bytes left is Truncated before any element is read', () => {
    expect(errorOf(() => decodeXdlmsApdu(fromHex('C403C184FFFFFFFF00')))?.code).toBe(DlmsErrorCode.Truncated);
  });

  it('a bad Data inside an APDU surfaces as the Data decoder error', () => {
    expect(errorOf(() => decodeXdlmsApdu(fromHex('C401C100FE')))).toBeInstanceOf(DlmsError);
  });
});

describe('encoder validation', () => {
  const base = APDU_FIXTURES.find((f) => f.name.startsWith('ActionRequestNormal, disconnect'))!.apdu;

  it('refuses fields that do not fit their wire type', () => {
    const bad: XdlmsApdu[] = [
      { ...base, invokeIdAndPriority: 256 } as XdlmsApdu,
      { type: 'get-request', choice: 'next', invokeIdAndPriority: 0xc1, blockNumber: -1 },
      { type: 'get-request', choice: 'next', invokeIdAndPriority: 0xc1, blockNumber: 2 ** 32 },
      {
        type: 'get-request',
        choice: 'normal',
        invokeIdAndPriority: 0xc1,
        cosemAttributeDescriptor: { classId: 1, instanceId: new Uint8Array(5), attributeId: 2 },
      },
      {
        type: 'get-request',
        choice: 'normal',
        invokeIdAndPriority: 0xc1,
        cosemAttributeDescriptor: { classId: 0x10000, instanceId: new Uint8Array(6), attributeId: 2 },
      },
      {
        type: 'get-request',
        choice: 'normal',
        invokeIdAndPriority: 0xc1,
        cosemAttributeDescriptor: { classId: 1, instanceId: new Uint8Array(6), attributeId: 128 },
      },
      { type: 'set-response', choice: 'normal', invokeIdAndPriority: 0xc1, result: 1.5 },
      { type: 'exception-response', stateError: 1, serviceError: 6 },
      { type: 'exception-response', stateError: 1, serviceError: 1, invocationCounter: 5 },
      {
        type: 'general-block-transfer',
        lastBlock: true,
        streaming: false,
        window: 64,
        blockNumber: 1,
        blockNumberAck: 0,
        blockData: new Uint8Array(0),
      },
      {
        type: 'general-block-transfer',
        lastBlock: true,
        streaming: false,
        window: 1,
        blockNumber: 0x10000,
        blockNumberAck: 0,
        blockData: new Uint8Array(0),
      },
    ];
    for (const apdu of bad) expect(errorOf(() => encodeXdlmsApdu(apdu))?.code).toBe(DlmsErrorCode.Encode);
  });

  it('encodes negative (manufacturer-specific) attribute and method ids as Integer8', () => {
    const apdu: XdlmsApdu = {
      type: 'get-request',
      choice: 'normal',
      invokeIdAndPriority: 0xc1,
      cosemAttributeDescriptor: { classId: 1, instanceId: obisFromString('0.0.96.1.0.255'), attributeId: -1 },
    };
    const bytes = encodeXdlmsApdu(apdu);
    expect(toHex(bytes)).toBe('C001C100010000600100FFFF00');
    expect(decodeXdlmsApdu(bytes)).toEqual(apdu);
  });
});

describe('properties', () => {
  it('decode(encode(apdu)) = apdu, and re-encoding gives the same bytes', () => {
    fc.assert(
      fc.property(arbXdlmsApdu, (apdu) => {
        const bytes = encodeXdlmsApdu(apdu);
        const back = decodeXdlmsApdu(bytes);
        expect(back).toEqual(apdu);
        expect(back.trailing).toBeUndefined();
        expect(toHex(encodeXdlmsApdu(back))).toBe(toHex(bytes));
      }),
      { numRuns: 1000 },
    );
  });

  it('appended bytes come back as trailing, the APDU unchanged', () => {
    fc.assert(
      fc.property(arbXdlmsApdu, fc.uint8Array({ minLength: 1, maxLength: 8 }), (apdu, extra) => {
        const back = decodeXdlmsApdu(concatBytes(encodeXdlmsApdu(apdu), extra));
        expect(back.trailing).toEqual(extra);
        const { trailing: _, ...rest } = back;
        expect(rest).toEqual(apdu);
      }),
      { numRuns: 300 },
    );
  });

  const tags = Object.values(XdlmsTag);

  function decodesOrDlmsError(bytes: Uint8Array): void {
    try {
      const apdu = decodeXdlmsApdu(bytes);
      const again = decodeXdlmsApdu(encodeXdlmsApdu(apdu));
      expect(again).toEqual({ ...apdu, trailing: undefined });
    } catch (e) {
      expect(e).toBeInstanceOf(DlmsError);
    }
  }

  it('random bytes give an APDU or a DlmsError, never another exception', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), decodesOrDlmsError), { numRuns: 2000 });
  });

  it('random bodies after every known tag and choice give an APDU or a DlmsError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...tags),
        fc.integer({ min: 0, max: 7 }),
        fc.uint8Array({ maxLength: 80 }),
        (tag, choice, body) => decodesOrDlmsError(concatBytes(Uint8Array.of(tag, choice), body)),
      ),
      { numRuns: 5000 },
    );
  });

  it('mutated fixtures give an APDU or a DlmsError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...APDU_FIXTURES),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (f, at, value) => {
          const bytes = f.bytes.slice();
          bytes[at % bytes.length] = value;
          decodesOrDlmsError(bytes);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
