import {
  applyScaler,
  decodeActivityCalendar,
  decodeGlobalKeyTransfer,
  decodeImageBlockTransfer,
  decodeImageTransferInitiate,
  decodeRepetitionDelay,
  decodeTransferredBlocks,
  encodeActivityCalendar,
  encodeGlobalKeyTransfer,
  encodeImageBlockTransfer,
  encodeImageTransferInitiate,
  encodeRepetitionDelay,
  encodeTransferredBlocks,
  imageBlockCount,
  missingBlocks,
  type NumericTypeName,
  type RepetitionDelay,
  remoteTransition,
} from '@openhes/cosem';
import {
  aesKeyUnwrap,
  aesKeyWrap,
  type DlmsData,
  dataFromBytes,
  dataToBytes,
  fromHex,
  toHex,
} from '@openhes/dlms';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maxImageBlockSize, toRaw } from '../src/index.ts';

/** Through the wire form: A-XDR bytes and back, so a round trip checks the encoding too. */
const wire = (d: DlmsData): DlmsData => dataFromBytes(dataToBytes(d));
const bytes = (max = 64) => fc.uint8Array({ minLength: 0, maxLength: max });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });

describe('control method parameters: fast-check round trips through A-XDR', () => {
  it('image_transfer_initiate', () => {
    fc.assert(
      fc.property(bytes(), u32, (identifier, size) => {
        const back = decodeImageTransferInitiate(wire(encodeImageTransferInitiate(identifier, size)));
        expect(toHex(back.identifier)).toBe(toHex(identifier));
        expect(back.size).toBe(size);
      }),
    );
  });

  it('image_block_transfer', () => {
    fc.assert(
      fc.property(u32, bytes(600), (n, value) => {
        const back = decodeImageBlockTransfer(wire(encodeImageBlockTransfer(n, value)));
        expect(back.blockNumber).toBe(n);
        expect(toHex(back.value)).toBe(toHex(value));
      }),
    );
  });

  it('the transferred-blocks bitmap gives back the blocks set, and missingBlocks the rest', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 0, max: 300 })
          .chain((count) =>
            fc.tuple(
              fc.constant(count),
              fc.uniqueArray(fc.integer({ min: 0, max: Math.max(0, count - 1) }), { maxLength: count }),
            ),
          ),
        ([count, received]) => {
          const have = count === 0 ? [] : received;
          const decoded = decodeTransferredBlocks(wire(encodeTransferredBlocks(have, count)));
          expect(decoded).toEqual([...have].sort((a, b) => a - b));
          const missing = missingBlocks(decoded, count);
          expect(missing.length + decoded.length).toBe(count);
          expect(missing.some((m) => decoded.includes(m))).toBe(false);
        },
      ),
    );
  });

  it('global_key_transfer, one or more keys', () => {
    const entry = fc.record({
      keyId: fc.integer({ min: 0, max: 3 }),
      wrapped: fc
        .integer({ min: 3, max: 5 })
        .chain((n) => fc.uint8Array({ minLength: 8 * n, maxLength: 8 * n })),
    });
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 4 }), (keys) => {
        const back = decodeGlobalKeyTransfer(wire(encodeGlobalKeyTransfer(keys)));
        expect(back.map((k) => [k.keyId, toHex(k.wrapped)])).toEqual(
          keys.map((k) => [k.keyId, toHex(k.wrapped)]),
        );
      }),
    );
  });

  it('repetition_delay, both forms', () => {
    const delay: fc.Arbitrary<RepetitionDelay> = fc.oneof(
      fc.record({ kind: fc.constant('fixed' as const), seconds: fc.integer({ min: 0, max: 0xffff }) }),
      fc.record({
        kind: fc.constant('exponential' as const),
        min: fc.integer({ min: 0, max: 0xffff }),
        exponent: fc.integer({ min: 0, max: 0xff }),
        max: fc.integer({ min: 0, max: 0xffff }),
      }),
    );
    fc.assert(
      fc.property(delay, (r) => {
        expect(decodeRepetitionDelay(wire(encodeRepetitionDelay(r)))).toEqual(r);
      }),
    );
  });

  it('a whole activity calendar', () => {
    const name = fc.uint8Array({ minLength: 1, maxLength: 8 });
    const dayId = fc.integer({ min: 0, max: 255 });
    const calendar = fc.record({
      calendarName: name,
      seasonProfile: fc.array(
        fc.record({
          name,
          start: fc
            .date({
              min: new Date(Date.UTC(2000, 0, 1)),
              max: new Date(Date.UTC(2090, 0, 1)),
              noInvalidDate: true,
            })
            .map((d) => ({
              year: d.getUTCFullYear(),
              month: d.getUTCMonth() + 1,
              dayOfMonth: d.getUTCDate(),
              dayOfWeek: 0xff,
              hour: 0,
              minute: 0,
              second: 0,
              hundredths: 0,
              deviation: null,
              clockStatus: 0xff,
            })),
          weekName: name,
        }),
        { maxLength: 4 },
      ),
      weekProfileTable: fc.array(
        fc.record({
          name,
          monday: dayId,
          tuesday: dayId,
          wednesday: dayId,
          thursday: dayId,
          friday: dayId,
          saturday: dayId,
          sunday: dayId,
        }),
        { maxLength: 4 },
      ),
      dayProfileTable: fc.array(
        fc.record({
          dayId,
          schedule: fc.array(
            fc.record({
              startTime: fc.record({
                hour: fc.integer({ min: 0, max: 23 }),
                minute: fc.integer({ min: 0, max: 59 }),
                second: fc.constant(0),
                hundredths: fc.constant(0),
              }),
              scriptLogicalName: fc
                .uint8Array({ minLength: 6, maxLength: 6 })
                .map((b) => [b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!] as const),
              scriptSelector: fc.integer({ min: 0, max: 0xffff }),
            }),
            { maxLength: 6 },
          ),
        }),
        { maxLength: 4 },
      ),
    });
    fc.assert(
      fc.property(calendar, (c) => {
        const e = encodeActivityCalendar(c);
        const back = decodeActivityCalendar(
          [e.calendarName, e.seasonProfile, e.weekProfileTable, e.dayProfileTable].map(wire),
        );
        const text = (x: unknown) =>
          JSON.stringify(x, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v));
        expect(text(encodeActivityCalendar(back))).toBe(text(e));
      }),
    );
  });
});

describe('pure rules', () => {
  it('control modes: 0 forbids everything; disconnect allowed from a connected or armed relay; reconnect arms in 1, 3, 5, 6', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 7 }),
        fc.constantFrom('disconnect' as const, 'reconnect' as const),
        fc.constantFrom(0 as const, 1 as const, 2 as const),
        (mode, t, from) => {
          const v = remoteTransition(mode, t, from);
          if (mode === 0) expect(v.kind).toBe('forbidden');
          else if (t === 'disconnect')
            expect(v).toEqual(from === 0 ? { kind: 'noop' } : { kind: 'send', to: 0 });
          else if (from === 1) expect(v).toEqual({ kind: 'noop' });
          else if (from === 0) expect(v).toEqual({ kind: 'send', to: [1, 3, 5, 6].includes(mode) ? 2 : 1 });
          // From ready_for_reconnection: i in mode 7; already armed in an arming mode; modes 2 and 4
          // have no remote transition from there (only the button, e).
          else
            expect(v).toEqual(
              mode === 7
                ? { kind: 'send', to: 1 }
                : [1, 3, 5, 6].includes(mode)
                  ? { kind: 'noop' }
                  : { kind: 'forbidden' },
            );
        },
      ),
    );
  });

  it('a physical threshold converts back to the raw value it came from', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.integer({ min: -4, max: 4 }),
        fc.constantFrom<NumericTypeName>('double-long-unsigned', 'long-unsigned', 'long64-unsigned'),
        (raw, scaler, type) => {
          const r = toRaw(applyScaler(raw, scaler), scaler, type, 'threshold');
          expect(BigInt(r)).toBe(BigInt(raw));
        },
      ),
    );
  });

  it('block count and the largest block per PDU', () => {
    expect(imageBlockCount(1001, 200)).toBe(6);
    expect(imageBlockCount(1000, 200)).toBe(5);
    expect(maxImageBlockSize(1024, false)).toBe(1000);
    expect(maxImageBlockSize(1024, true)).toBe(968);
    expect(maxImageBlockSize(0, false)).toBe(0xffff - 24);
  });

  it('RFC 3394 §4.1 wrap, and unwrap(wrap(k)) = k for any key and KEK', () => {
    expect(
      toHex(
        aesKeyWrap(fromHex('000102030405060708090A0B0C0D0E0F'), fromHex('00112233445566778899AABBCCDDEEFF')),
      ),
    ).toBe('1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5');
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (kek, key) => {
          expect(toHex(aesKeyUnwrap(kek, aesKeyWrap(kek, key)))).toBe(toHex(key));
        },
      ),
      { numRuns: 50 },
    );
  });
});
