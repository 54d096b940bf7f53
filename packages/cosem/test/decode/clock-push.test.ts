import { describe, expect, it } from 'vitest';
import { CosemError } from '../../src/errors.ts';
import {
  decodeClockAttributes,
  decodeClockStatus,
  decodeClockTime,
  decodeCommunicationWindow,
  decodePushObjectList,
  decodePushSetup,
  decodeRepetitionDelay,
  decodeSendDestinationAndMethod,
  encodeClockTime,
  encodeCommunicationWindow,
  encodePresetAdjustingTime,
  encodePushObjectList,
  encodeSendDestinationAndMethod,
  encodeShiftTime,
  encodeTimeZone,
} from '../../src/index.ts';
import { co, D, dt, dtOctets } from '../fixtures.ts';

describe('Clock', () => {
  // Provenance: clock attributes 2..9 of a meter on IST (deviation as S3's capture sends it).
  const attrs = [
    dtOctets(2025, 3, 1, 14, 48, 57, 330, 0x80, 6),
    D.i16(330),
    D.u8(0x81),
    dtOctets(0xffff, 0xfe, 0xfe, 2, 0, 0, 0x8000 - 0x10000, 0xff, 7),
    dtOctets(0xffff, 0xfd, 0xfe, 3, 0, 0, 0x8000 - 0x10000, 0xff, 7),
    D.i8(60),
    D.bool(false),
    D.enum(1),
  ];

  it('decodes attributes 2..9', () => {
    const c = decodeClockAttributes(attrs);
    expect(c.time).toEqual(dt(2025, 3, 1, 14, 48, 57, 330, 0x80, 6));
    expect(c.timeZone).toBe(330);
    expect(c.status).toMatchObject({
      raw: 0x81,
      invalidValue: true,
      daylightSavingActive: true,
      doubtfulValue: false,
    });
    expect(c.daylightSavingsBegin.month).toBe(0xfe);
    expect(c.daylightSavingsEnd.month).toBe(0xfd);
    expect(c.daylightSavingsEnd.deviation).toBeNull();
    expect(c.daylightSavingsDeviation).toBe(60);
    expect(c.daylightSavingsEnabled).toBe(false);
    expect(c.clockBase).toEqual({ value: 1, name: 'internal_crystal' });
  });

  it('accepts the date-time tag as well as the octet-string form', () => {
    const value = dt(2025, 1, 1, 0, 0);
    expect(decodeClockTime({ type: 'date-time', value })).toEqual(value);
    expect(decodeClockStatus(D.u8(0xff)).notSpecified).toBe(true);
  });

  it('encodes time, time zone, preset and shift', () => {
    const t = dt(2025, 3, 1, 14, 48, 57, -60, 0, 6);
    expect(encodeClockTime(t)).toEqual(dtOctets(2025, 3, 1, 14, 48, 57, -60, 0, 6));
    expect(decodeClockTime(encodeClockTime(t))).toEqual(t);
    expect(encodeTimeZone(-60)).toEqual(D.i16(-60));
    expect(encodePresetAdjustingTime(t, t, t)).toEqual(
      D.struct(encodeClockTime(t), encodeClockTime(t), encodeClockTime(t)),
    );
    expect(encodeShiftTime(-30)).toEqual(D.i16(-30));
    for (const bad of [901, 1.5]) {
      try {
        encodeShiftTime(bad);
        expect.fail('expected CosemError');
      } catch (e) {
        expect((e as CosemError).code).toBe('COSEM_ENCODE');
      }
    }
    expect(() => encodeClockTime({ ...t, month: 300 })).toThrow(CosemError);
  });

  it('rejects a time of the wrong length with COSEM_SHAPE', () => {
    try {
      decodeClockAttributes([D.octets(1, 2, 3), ...attrs.slice(1)]);
      expect.fail('expected CosemError');
    } catch (e) {
      expect((e as CosemError).code).toBe('COSEM_SHAPE');
      expect((e as CosemError).path).toBe('clock.time');
    }
  });
});

describe('Push setup', () => {
  // Provenance: IS 15959 alert push 0.4.25.9.0.255 object list, device-profiles.md §1.12.
  const objectList = D.array(
    co(1, '0.0.96.1.2.255', 2),
    co(40, '0.4.25.9.0.255', 1),
    co(8, '0.0.1.0.0.255', 2),
    co(1, '0.0.94.91.18.255', 2),
  );
  const destination = D.struct(D.enum(0), D.text('10.0.0.1:4059'), D.enum(0));
  const window = D.array(
    D.struct(
      dtOctets(0xffff, 0xff, 0xff, 0, 0, 0, 0x8000 - 0x10000, 0xff),
      dtOctets(0xffff, 0xff, 0xff, 2, 0, 0, 0x8000 - 0x10000, 0xff),
    ),
  );

  it('decodes attributes 2..7', () => {
    const p = decodePushSetup([objectList, destination, window, D.u16(7200), D.u8(3), D.u16(60)]);
    expect(p.pushObjectList.map((o) => [o.classId, o.attributeIndex])).toEqual([
      [1, 2],
      [40, 1],
      [8, 2],
      [1, 2],
    ]);
    expect(p.pushObjectList[1]!.logicalName).toEqual([0, 4, 25, 9, 0, 255]);
    expect(p.sendDestinationAndMethod).toMatchObject({
      transportService: { value: 0, name: 'TCP' },
      destinationText: '10.0.0.1:4059',
      message: { value: 0, name: 'A-XDR encoded xDLMS APDU' },
    });
    expect(p.communicationWindow[0]!.end.hour).toBe(2);
    expect(p.randomisationStartInterval).toBe(7200);
    expect(p.numberOfRetries).toBe(3);
    expect(p.repetitionDelay).toEqual({ kind: 'fixed', seconds: 60 });
  });

  it('encodes object list, destination and window back to the same data', () => {
    expect(encodePushObjectList(decodePushObjectList(objectList))).toEqual(objectList);
    expect(
      encodeSendDestinationAndMethod({ transportService: 0, destination: '10.0.0.1:4059', message: 0 }),
    ).toEqual(destination);
    expect(encodeCommunicationWindow(decodeCommunicationWindow(window))).toEqual(window);
  });

  it('version 2 repetition_delay structure; wrong shapes are COSEM_SHAPE', () => {
    expect(decodeRepetitionDelay(D.struct(D.u16(10), D.u16(2), D.u16(600)))).toEqual({
      kind: 'exponential',
      min: 10,
      exponent: 2,
      max: 600,
    });
    expect(() => decodeRepetitionDelay(D.bool(true))).toThrow(CosemError);
    try {
      decodeSendDestinationAndMethod(D.struct(D.enum(0), D.u8(1), D.enum(0)));
      expect.fail('expected CosemError');
    } catch (e) {
      expect((e as CosemError).path).toBe('send_destination_and_method.destination');
    }
  });
});
