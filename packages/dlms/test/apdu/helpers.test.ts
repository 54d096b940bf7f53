import { arbDlmsData } from '@openhes/testkit/arbitraries';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ActionResult,
  actionResultName,
  type BlockApduKind,
  blockOverhead,
  DataAccessResult,
  dataAccessResultName,
  decodeXdlmsApdu,
  ExceptionServiceError,
  ExceptionStateError,
  encodeXdlmsApdu,
  entryDescriptor,
  exceptionServiceErrorName,
  getResponseDatablocks,
  invokeIdAndPriority,
  invokeIdOf,
  longInvokeIdAndPriority,
  maxBlockData,
  obisFromString,
  obisToString,
  parseCaptureObjectDefinition,
  parseEntryDescriptor,
  parseInvokeIdAndPriority,
  parseLongInvokeIdAndPriority,
  parseRangeDescriptor,
  rangeDescriptor,
  splitIntoBlocks,
  type XdlmsApdu,
} from '../../src/apdu/index.ts';
import type { DlmsData } from '../../src/axdr/index.ts';
import { concatBytes } from '../../src/bytes.ts';
import { DlmsError, DlmsErrorCode } from '../../src/errors.ts';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DlmsError);
    return (e as DlmsError).code;
  }
  return undefined;
}

describe('OBIS helpers', () => {
  it('parses dotted and IEC notation', () => {
    expect(obisFromString('1.0.1.8.0.255')).toEqual(Uint8Array.of(1, 0, 1, 8, 0, 255));
    expect(obisFromString('1-0:1.8.0*255')).toEqual(Uint8Array.of(1, 0, 1, 8, 0, 255));
    expect(obisFromString(' 001.0.1.8.0.255\t')).toEqual(Uint8Array.of(1, 0, 1, 8, 0, 255));
    expect(obisToString(Uint8Array.of(0, 0, 96, 3, 10, 255))).toBe('0.0.96.3.10.255');
  });

  it('rejects what is not six groups of 0..255', () => {
    for (const s of [
      '1.0.1.8.0',
      '1.0.1.8.0.256',
      '1.0.1.8.0.255.1',
      'a.b.c.d.e.f',
      '',
      '1..1.8.0.255',
      '1.0.1.8.0.0255',
      '1.0.1.8.0.255.',
      '.1.0.1.8.0.255',
      '1.0.1.8.0 255',
      '1,0,1,8,0,255',
    ]) {
      expect(codeOf(() => obisFromString(s))).toBe(DlmsErrorCode.Malformed);
    }
    expect(codeOf(() => obisToString(new Uint8Array(5)))).toBe(DlmsErrorCode.Malformed);
  });

  it('round-trips any six bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (b) => {
        expect(obisFromString(obisToString(b))).toEqual(b);
      }),
    );
  });
});

describe('Invoke-Id-And-Priority', () => {
  it('builds the byte from invoke-id, service-class and priority', () => {
    expect(invokeIdAndPriority(1)).toBe(0xc1);
    expect(invokeIdAndPriority(15, { highPriority: false })).toBe(0x4f);
    expect(invokeIdAndPriority(0, { confirmed: false, highPriority: false })).toBe(0x00);
    expect(invokeIdAndPriority(3, { confirmed: false })).toBe(0x83);
  });

  it('parses every byte, ignoring reserved bits b4-b5', () => {
    expect(parseInvokeIdAndPriority(0x81)).toEqual({ invokeId: 1, confirmed: false, highPriority: true });
    expect(parseInvokeIdAndPriority(0x7f)).toEqual({ invokeId: 15, confirmed: true, highPriority: false });
    expect(invokeIdOf(0xf5)).toBe(5);
  });

  it('rejects invoke-ids outside 0..15', () => {
    for (const n of [-1, 16, 1.5]) expect(codeOf(() => invokeIdAndPriority(n))).toBe(DlmsErrorCode.Encode);
  });

  it('Long-Invoke-Id-And-Priority round-trips its fields', () => {
    expect(longInvokeIdAndPriority({ longInvokeId: 5, confirmed: true })).toBe(0x40000005);
    expect(
      longInvokeIdAndPriority({ longInvokeId: 0xffffff, highPriority: true, selfDescriptive: true }),
    ).toBe(0x90ffffff);
    fc.assert(
      fc.property(
        fc.record({
          longInvokeId: fc.integer({ min: 0, max: 0xffffff }),
          selfDescriptive: fc.boolean(),
          breakOnError: fc.boolean(),
          confirmed: fc.boolean(),
          highPriority: fc.boolean(),
        }),
        (f) => {
          const v = longInvokeIdAndPriority(f);
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(0xffffffff);
          expect(parseLongInvokeIdAndPriority(v)).toEqual(f);
        },
      ),
    );
    expect(codeOf(() => longInvokeIdAndPriority({ longInvokeId: 0x1000000 }))).toBe(DlmsErrorCode.Encode);
  });
});

describe('result enumerations (reference §4 and §7)', () => {
  it('Data-Access-Result has exactly the standard values', () => {
    expect(DataAccessResult).toEqual({
      success: 0,
      'hardware-fault': 1,
      'temporary-failure': 2,
      'read-write-denied': 3,
      'object-undefined': 4,
      'object-class-inconsistent': 9,
      'object-unavailable': 11,
      'type-unmatched': 12,
      'scope-of-access-violated': 13,
      'data-block-unavailable': 14,
      'long-get-aborted': 15,
      'no-long-get-in-progress': 16,
      'long-set-aborted': 17,
      'no-long-set-in-progress': 18,
      'data-block-number-invalid': 19,
      'other-reason': 250,
    });
    expect(dataAccessResultName(1)).toBe('hardware-fault');
    expect(dataAccessResultName(250)).toBe('other-reason');
    expect(dataAccessResultName(7)).toBe('unknown(7)');
  });

  it('Action-Result has exactly the standard values', () => {
    expect(ActionResult).toEqual({
      success: 0,
      'hardware-fault': 1,
      'temporary-failure': 2,
      'read-write-denied': 3,
      'object-undefined': 4,
      'object-class-inconsistent': 9,
      'object-unavailable': 11,
      'type-unmatched': 12,
      'scope-of-access-violated': 13,
      'data-block-unavailable': 14,
      'long-action-aborted': 15,
      'no-long-action-in-progress': 16,
      'other-reason': 250,
    });
    expect(actionResultName(15)).toBe('long-action-aborted');
    expect(actionResultName(17)).toBe('unknown(17)');
  });

  it('state-error and service-error', () => {
    expect(ExceptionStateError).toEqual({ 'service-not-allowed': 1, 'service-unknown': 2 });
    expect(ExceptionServiceError).toEqual({
      'operation-not-possible': 1,
      'service-not-supported': 2,
      'other-reason': 3,
      'pdu-too-long': 4,
      'deciphering-error': 5,
      'invocation-counter-error': 6,
    });
    expect(exceptionServiceErrorName(6)).toBe('invocation-counter-error');
  });
});

describe('selective access (Profile generic)', () => {
  const clock = { classId: 8, instanceId: obisFromString('0.0.1.0.0.255'), attributeId: 2, dataIndex: 0 };
  const energy = { classId: 3, instanceId: obisFromString('1.0.1.8.0.255'), attributeId: 2, dataIndex: 0 };
  const from: DlmsData = { type: 'octet-string', value: new Uint8Array(12) };
  const to: DlmsData = { type: 'octet-string', value: new Uint8Array(12).fill(1) };

  it('range_descriptor is access selector 1 and parses back', () => {
    const d = rangeDescriptor({
      restrictingObject: clock,
      fromValue: from,
      toValue: to,
      selectedValues: [clock, energy],
    });
    expect(d.accessSelector).toBe(1);
    expect(parseRangeDescriptor(d.accessParameters)).toEqual({
      restrictingObject: clock,
      fromValue: from,
      toValue: to,
      selectedValues: [clock, energy],
    });
  });

  it('entry_descriptor is access selector 2 and parses back', () => {
    const e = { fromEntry: 1, toEntry: 0, fromSelectedValue: 1, toSelectedValue: 0 };
    const d = entryDescriptor(e);
    expect(d.accessSelector).toBe(2);
    expect(d.accessParameters).toEqual({
      type: 'structure',
      value: [
        { type: 'double-long-unsigned', value: 1 },
        { type: 'double-long-unsigned', value: 0 },
        { type: 'long-unsigned', value: 1 },
        { type: 'long-unsigned', value: 0 },
      ],
    });
    expect(parseEntryDescriptor(d.accessParameters)).toEqual(e);
  });

  it('parsers reject other shapes as Malformed', () => {
    const bad: DlmsData[] = [
      { type: 'null-data' },
      { type: 'structure', value: [] },
      { type: 'structure', value: [{ type: 'long-unsigned', value: 1 }, { type: 'null-data' }, from, to] },
    ];
    for (const d of bad) {
      expect(codeOf(() => parseRangeDescriptor(d))).toBe(DlmsErrorCode.Malformed);
      expect(codeOf(() => parseEntryDescriptor(d))).toBe(DlmsErrorCode.Malformed);
    }
    const shortName: DlmsData = {
      type: 'structure',
      value: [
        { type: 'long-unsigned', value: 8 },
        { type: 'octet-string', value: new Uint8Array(5) },
        { type: 'integer', value: 2 },
        { type: 'long-unsigned', value: 0 },
      ],
    };
    expect(codeOf(() => parseCaptureObjectDefinition(shortName))).toBe(DlmsErrorCode.Malformed);
  });

  it('parsers give a value or a DlmsError for any Data', () => {
    fc.assert(
      fc.property(arbDlmsData(3), (d) => {
        for (const parse of [parseRangeDescriptor, parseEntryDescriptor, parseCaptureObjectDefinition]) {
          try {
            parse(d);
          } catch (e) {
            expect(e).toBeInstanceOf(DlmsError);
          }
        }
      }),
    );
  });
});

describe('block transfer helpers', () => {
  it('splitIntoBlocks cuts into pieces of at most maxBlock that join back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 1, max: 200 }), (raw, max) => {
        const blocks = splitIntoBlocks(raw, max);
        expect(blocks.length).toBe(Math.max(1, Math.ceil(raw.length / max)));
        for (const b of blocks.slice(0, -1)) expect(b.length).toBe(max);
        expect(blocks.at(-1)!.length).toBeLessThanOrEqual(max);
        expect(concatBytes(...blocks)).toEqual(raw);
      }),
    );
    expect(splitIntoBlocks(new Uint8Array(0), 10)).toEqual([new Uint8Array(0)]);
    for (const n of [0, -1, 1.5])
      expect(codeOf(() => splitIntoBlocks(new Uint8Array(3), n))).toBe(DlmsErrorCode.Encode);
  });

  function sample(kind: BlockApduKind, rawData: Uint8Array): XdlmsApdu {
    const block = { lastBlock: false, blockNumber: 7, rawData };
    switch (kind) {
      case 'get-response-with-datablock':
        return {
          type: 'get-response',
          choice: 'with-datablock',
          invokeIdAndPriority: 0xc1,
          result: { lastBlock: false, blockNumber: 7, result: { choice: 'raw-data', rawData } },
        };
      case 'set-request-with-datablock':
        return { type: 'set-request', choice: 'with-datablock', invokeIdAndPriority: 0xc1, datablock: block };
      case 'action-request-with-pblock':
        return { type: 'action-request', choice: 'with-pblock', invokeIdAndPriority: 0xc1, pblock: block };
      case 'action-response-with-pblock':
        return { type: 'action-response', choice: 'with-pblock', invokeIdAndPriority: 0xc1, pblock: block };
      case 'general-block-transfer':
        return {
          type: 'general-block-transfer',
          lastBlock: false,
          streaming: false,
          window: 1,
          blockNumber: 7,
          blockNumberAck: 6,
          blockData: rawData,
        };
    }
  }

  const kinds: BlockApduKind[] = [
    'get-response-with-datablock',
    'set-request-with-datablock',
    'action-request-with-pblock',
    'action-response-with-pblock',
    'general-block-transfer',
  ];

  it('blockOverhead is the encoded length minus the raw data, at every length-size boundary', () => {
    const lengths = [0, 1, 127, 128, 255, 256, 65535, 65536];
    for (const kind of kinds) {
      for (const n of lengths) {
        expect(encodeXdlmsApdu(sample(kind, new Uint8Array(n))).length - n).toBe(blockOverhead(kind, n));
      }
    }
  });

  it('maxBlockData fills the PDU exactly: n bytes fit, n + 1 do not', () => {
    fc.assert(
      fc.property(fc.constantFrom(...kinds), fc.integer({ min: 12, max: 70000 }), (kind, pdu) => {
        const n = maxBlockData(kind, pdu);
        expect(encodeXdlmsApdu(sample(kind, new Uint8Array(n))).length).toBeLessThanOrEqual(pdu);
        expect(encodeXdlmsApdu(sample(kind, new Uint8Array(n + 1))).length).toBeGreaterThan(pdu);
      }),
    );
    expect(maxBlockData('get-response-with-datablock', 138)).toBe(127);
    expect(maxBlockData('get-response-with-datablock', 139)).toBe(128);
    expect(codeOf(() => maxBlockData('get-response-with-datablock', 10))).toBe(DlmsErrorCode.Encode);
  });

  it('getResponseDatablocks numbers blocks from 1, marks the last, fits the PDU and joins back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: 11, max: 600 }), (raw, pdu) => {
        const apdus = getResponseDatablocks(0xc1, raw, pdu);
        const parts: Uint8Array[] = [];
        apdus.forEach((a, i) => {
          const bytes = encodeXdlmsApdu(a);
          expect(bytes.length).toBeLessThanOrEqual(pdu);
          const back = decodeXdlmsApdu(bytes);
          if (back.type !== 'get-response' || back.choice !== 'with-datablock') throw new Error('wrong kind');
          expect(back.result.blockNumber).toBe(i + 1);
          expect(back.result.lastBlock).toBe(i === apdus.length - 1);
          if (back.result.result.choice !== 'raw-data') throw new Error('wrong choice');
          parts.push(back.result.result.rawData);
        });
        expect(concatBytes(...parts)).toEqual(raw);
      }),
      { numRuns: 200 },
    );
  });
});
