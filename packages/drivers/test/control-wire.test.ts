import { imageBlockCount } from '@openhes/cosem';
import {
  type AttributeAccess,
  type AttributeAddress,
  conformanceFromNames,
  DataAccessResult,
  type DlmsData,
  dateTimeFromInstant,
  dateTimeToOctets,
  fromHex,
  InvocationCounterState,
  type MethodAccess,
  type MethodAddress,
  type ObjectModel,
  type ServerAssociation,
  toHex,
} from '@openhes/dlms';
import { DlmsClient, type FrameTrace, serveDlms } from '@openhes/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { DlmsDriver, type DriverProfile, ModelCache } from '../src/index.ts';

/**
 * The DLMS driver's control methods on the wire, against an in-test DLMS server: every
 * parameter encoding is compared with the test vectors of control-objects.md §10 (and §4.2,
 * §6.3) in the APDU the driver really sent.
 */

const DISCONNECT = '0.0.96.3.10.255';
const LIMITER = '0.0.17.0.0.255';
const CALENDAR = '0.0.13.0.0.255';
const SPECIAL_DAYS = '0.0.11.0.0.255';
const CLOCK = '0.0.1.0.0.255';
const IMAGE = '0.0.44.0.0.255';
const SECURITY = '0.0.43.0.0.255';
const PUSH = '0.0.25.9.0.255';
const LOAD = '1.0.99.1.0.255';
const FIRMWARE_VERSION = '1.0.0.2.0.255';
const IMAGE_SCHEDULE = '0.0.15.0.2.255';
const POWER = '1.0.1.7.0.255';

const obisText = (b: Uint8Array) => Array.from(b).join('.');
const ln = (obis: string): DlmsData => ({
  type: 'octet-string',
  value: Uint8Array.from(obis.split('.'), Number),
});
const u8 = (value: number): DlmsData => ({ type: 'unsigned', value });
const u16 = (value: number): DlmsData => ({ type: 'long-unsigned', value });
const u32 = (value: number): DlmsData => ({ type: 'double-long-unsigned', value });
const enm = (value: number): DlmsData => ({ type: 'enum', value });
const bool = (value: boolean): DlmsData => ({ type: 'boolean', value });
const struct = (...value: DlmsData[]): DlmsData => ({ type: 'structure', value });
const arr = (...value: DlmsData[]): DlmsData => ({ type: 'array', value });
const octets = (value: Uint8Array): DlmsData => ({ type: 'octet-string', value });
const T0 = Date.UTC(2026, 10, 25, 4, 0, 0);
const dt = (ms: number): DlmsData =>
  octets(dateTimeToOctets(dateTimeFromInstant(new Date(ms), { deviation: 0 })));
const anyDt = octets(
  Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80, 0x00, 0xff]),
);

/** A meter with one object of each control class; answers to methods can be queued per method. */
class ControlMeter implements ObjectModel {
  readonly values = new Map<string, DlmsData>();
  readonly results = new Map<string, number[]>();
  readonly actions: string[] = [];
  /** Profile generic: refuses every selective access when set. */
  refuseSelective = false;

  constructor() {
    const put = (c: number, o: string, a: number, v: DlmsData) => this.values.set(`${c}/${o}/${a}`, v);
    put(70, DISCONNECT, 2, bool(true));
    put(70, DISCONNECT, 3, enm(1));
    put(70, DISCONNECT, 4, enm(2));
    put(71, LIMITER, 2, struct(u16(3), ln(POWER), { type: 'integer', value: 2 }));
    for (const a of [3, 4, 5]) put(71, LIMITER, a, u32(0));
    put(71, LIMITER, 6, u32(0));
    put(71, LIMITER, 7, u32(0));
    put(71, LIMITER, 8, struct(u16(0), anyDt, u32(0)));
    put(71, LIMITER, 9, arr());
    put(71, LIMITER, 10, bool(false));
    put(
      71,
      LIMITER,
      11,
      struct(struct(ln('0.0.10.0.106.255'), u16(1)), struct(ln('0.0.10.0.106.255'), u16(2))),
    );
    put(3, POWER, 2, u32(0));
    put(3, POWER, 3, struct({ type: 'integer', value: 1 }, enm(27)));
    put(8, CLOCK, 2, dt(T0));
    put(8, CLOCK, 3, { type: 'long', value: 0 });
    put(8, CLOCK, 4, u8(0));
    put(8, CLOCK, 5, anyDt);
    put(8, CLOCK, 6, anyDt);
    put(8, CLOCK, 7, { type: 'integer', value: 60 });
    put(8, CLOCK, 8, bool(true));
    put(8, CLOCK, 9, enm(1));
    for (const a of [2, 6]) put(20, CALENDAR, a, octets(new Uint8Array()));
    for (const a of [3, 4, 5, 7, 8, 9]) put(20, CALENDAR, a, arr());
    put(20, CALENDAR, 10, anyDt);
    put(11, SPECIAL_DAYS, 2, arr());
    put(18, IMAGE, 2, u32(200));
    put(18, IMAGE, 3, { type: 'bit-string', value: { length: 6, bytes: Uint8Array.of(0b1011_0000) } });
    put(18, IMAGE, 4, u32(1));
    put(18, IMAGE, 5, bool(true));
    put(18, IMAGE, 6, enm(1));
    put(18, IMAGE, 7, arr());
    put(1, FIRMWARE_VERSION, 2, { type: 'visible-string', value: 'FW-1.0' });
    put(22, IMAGE_SCHEDULE, 4, arr());
    put(64, SECURITY, 2, enm(3));
    put(64, SECURITY, 3, enm(0));
    put(64, SECURITY, 4, octets(new Uint8Array(8)));
    put(64, SECURITY, 5, octets(Uint8Array.of(0x4d, 0x4d, 0x4d, 0, 0, 0, 0, 1)));
    put(40, PUSH, 2, arr());
    put(40, PUSH, 3, struct(enm(0), octets(new Uint8Array()), enm(0)));
    put(40, PUSH, 4, arr());
    put(40, PUSH, 5, u16(0));
    put(40, PUSH, 6, u8(0));
    put(40, PUSH, 7, u16(0));
    put(
      7,
      LOAD,
      3,
      arr(
        struct(u16(8), ln(CLOCK), { type: 'integer', value: 2 }, u16(0)),
        struct(u16(3), ln(POWER), { type: 'integer', value: 2 }, u16(0)),
      ),
    );
  }

  get(_ctx: unknown, a: AttributeAddress): DlmsData | number {
    const o = obisText(a.obis);
    if (a.classId === 7 && o === LOAD && a.attributeId === 2) {
      if (a.access !== undefined && this.refuseSelective) return DataAccessResult['other-reason'];
      const rows = [0, 1, 2, 3].map((i) => struct(dt(T0 + i * 900_000), u32(100 + i)));
      return arr(...rows);
    }
    if (a.classId === 7 && o === LOAD && a.attributeId === 7) return u32(4);
    return this.values.get(`${a.classId}/${o}/${a.attributeId}`) ?? DataAccessResult['object-undefined'];
  }

  set(_ctx: unknown, a: AttributeAddress, value: DlmsData): number {
    const k = `${a.classId}/${obisText(a.obis)}/${a.attributeId}`;
    if (!this.values.has(k)) return DataAccessResult['object-undefined'];
    this.values.set(k, value);
    if (a.classId === 71 && a.attributeId === 4) this.values.set(`71/${LIMITER}/3`, value);
    return DataAccessResult.success;
  }

  action(_ctx: unknown, m: MethodAddress): { result: number } {
    const key = `${m.classId}/${obisText(m.obis)}/${m.methodId}`;
    this.actions.push(key);
    const queued = this.results.get(key)?.shift();
    if (queued !== undefined && queued !== 0) return { result: queued };
    if (m.classId === 70) {
      const on = m.methodId === 2;
      this.values.set(`70/${DISCONNECT}/2`, bool(on));
      this.values.set(`70/${DISCONNECT}/3`, enm(on ? 1 : 0));
    }
    if (m.classId === 20 && m.methodId === 1)
      for (const [p, a] of [
        [6, 2],
        [7, 3],
        [8, 4],
        [9, 5],
      ] as const)
        this.values.set(`20/${CALENDAR}/${a}`, this.values.get(`20/${CALENDAR}/${p}`)!);
    return { result: 0 };
  }

  attributeAccess(): AttributeAccess {
    return 'read-write';
  }

  methodAccess(): MethodAccess {
    return 'access';
  }
}

const PROFILE: DriverProfile = {
  id: 'wire-control',
  framing: 'wrapper',
  serverAddress: 1,
  meter: { utcOffsetMinutes: 0 },
  quirks: {},
  associations: [{ key: 'm', clientSap: 16, authentication: 'none', policy: 'none', rights: 'full' }],
  eventLogs: {},
  objects: [
    { class: 8, obis: CLOCK },
    { class: 70, obis: DISCONNECT },
    { class: 71, obis: LIMITER },
    { class: 20, obis: CALENDAR },
    { class: 11, obis: SPECIAL_DAYS },
    { class: 18, obis: IMAGE },
    { class: 1, obis: FIRMWARE_VERSION },
    { class: 22, obis: IMAGE_SCHEDULE },
    { class: 64, obis: SECURITY },
    { class: 40, obis: PUSH },
    {
      class: 7,
      obis: LOAD,
      profile: { kind: 'block', capturePeriod: 900, depth: 4, capture: [] },
    },
  ],
};

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A driver on a fresh in-test meter; `sent` holds every APDU the driver sent (wrapper header stripped). */
async function wire(maxPdu = 1024, meter = new ControlMeter()) {
  const association: ServerAssociation = {
    key: 'm',
    clientSap: 16,
    authentication: 'none',
    policy: 'none',
    conformance: conformanceFromNames([
      'get',
      'set',
      'action',
      'selective-access',
      'multiple-references',
      'block-transfer-with-get-or-read',
      'block-transfer-with-set-or-write',
      'block-transfer-with-action',
    ]),
    maxReceivePduSize: maxPdu,
  };
  const server = await serveDlms({
    transport: 'tcp',
    port: 0,
    link: { kind: 'wrapper' },
    sessionFor: () => ({
      systemTitle: fromHex('4D4D4D0000000001'),
      associations: [association],
      model: meter,
      invocationCounters: new InvocationCounterState(),
    }),
  });
  cleanups.push(() => server.close());
  const sent: Uint8Array[] = [];
  const driver = new DlmsDriver({
    meterId: 1,
    profile: PROFILE,
    endpoint: { transport: 'tcp', host: '127.0.0.1', port: server.port },
    secrets: {},
    cache: new ModelCache(),
    responseTimeoutMs: 5000,
    now: () => T0,
    connect: (o) =>
      DlmsClient.connect({
        ...o,
        trace: (f: FrameTrace) => {
          if (f.direction === 'out') sent.push(f.bytes.subarray(8));
          o.trace?.(f);
        },
      }),
  });
  await driver.open();
  cleanups.push(() => driver.close());
  return { driver, meter, sent };
}

const hex = (b: Uint8Array | undefined) => (b === undefined ? '' : toHex(b, ' '));
/** The APDUs of one service: C1 SET, C3 ACTION. */
const apdus = (sent: Uint8Array[], tag: number) => sent.filter((a) => a[0] === tag);
const actions = (sent: Uint8Array[]) => apdus(sent, 0xc3);
const sets = (sent: Uint8Array[]) => apdus(sent, 0xc1);
/**
 * An APDU without its invoke-id-and-priority byte (the third). In GET/SET/ACTION-Request-Normal
 * bytes 3-4 are the class, 5-10 the logical name, 11 the attribute or method, 12 the
 * access-selection / data flag, and the data starts at 13.
 */
const noInvoke = (a: Uint8Array) => hex(Uint8Array.of(...a.subarray(0, 2), ...a.subarray(3)));

describe('control parameters on the wire (control-objects.md §10)', () => {
  it('remote_disconnect is the whole APDU C3 01 C1 00 46 00 00 60 03 0A FF 01 01 0F 00; reconnect differs by the method', async () => {
    const { driver, sent } = await wire();
    await driver.supply!.disconnect();
    await driver.supply!.reconnect();
    const [off, on] = actions(sent);
    // The state read before is request 0 (C0): the first ACTION has invoke id 1, as the vector.
    expect(hex(off)).toBe('C3 01 C1 00 46 00 00 60 03 0A FF 01 01 0F 00');
    expect(noInvoke(on!)).toBe('C3 01 00 46 00 00 60 03 0A FF 02 01 0F 00');
  });

  it('shift_time −60 s and +30 s: long 10 FF C4 / 10 00 1E', async () => {
    const { driver, sent } = await wire();
    await driver.clock!.shiftTime(-60);
    await driver.clock!.shiftTime(30);
    const [minus, plus] = actions(sent);
    expect(noInvoke(minus!)).toBe('C3 01 00 08 00 00 01 00 00 FF 06 01 10 FF C4');
    expect(hex(plus!.subarray(-3))).toBe('10 00 1E');
  });

  it('SET clock time for 2026-11-25 04:00:00 UTC is the §4.2 APDU', async () => {
    const { driver, sent } = await wire();
    await driver.clock!.setTime(T0);
    expect(noInvoke(sets(sent)[0]!)).toBe(
      'C1 01 00 08 00 00 01 00 00 FF 02 00 09 0C 07 EA 0B 19 03 04 00 00 00 00 00 00',
    );
  });

  it('image_transfer_initiate "FW1", 1,000 bytes; block, verify and activate parameters', async () => {
    const { driver, sent } = await wire();
    const fw = driver.firmware!;
    await fw.initiateImage({ identifier: Uint8Array.from('FW1', (c) => c.charCodeAt(0)), size: 1000 });
    await fw.transferBlock({ number: 5, value: Uint8Array.of(0xaa, 0xbb) });
    await fw.verifyImage();
    await fw.activateImage();
    const [init, block, verify, activate] = actions(sent);
    expect(hex(init!.subarray(-12))).toBe('02 02 09 03 46 57 31 06 00 00 03 E8');
    expect(hex(block!.subarray(13))).toBe('02 02 06 00 00 00 05 09 02 AA BB');
    expect(noInvoke(verify!)).toBe('C3 01 00 12 00 00 2C 00 00 FF 03 01 0F 00');
    expect(noInvoke(activate!)).toBe('C3 01 00 12 00 00 2C 00 00 FF 04 01 0F 00');
    // 1,001 bytes at 200 per block: 6 blocks, the last one 1 byte.
    expect(imageBlockCount(1001, 200)).toBe(6);
    expect(1001 - 5 * 200).toBe(1);
  });

  it('the active firmware identifier is GET 1.0.0.2.0.255 attribute 2, its visible-string as text', async () => {
    const { driver, sent } = await wire();
    expect(await driver.firmware!.readActiveFirmware!()).toBe('FW-1.0');
    // GET-Request-Normal: class 1, 1.0.0.2.0.255, attribute 2, no access selection.
    expect(noInvoke(apdus(sent, 0xc0).at(-1)!)).toBe('C0 01 00 01 01 00 00 02 00 FF 02 00');
  });

  it("timed activation: SET 0.0.15.0.2.255 attribute 4 = [{time, date}] in the meter's local time, read back", async () => {
    const { driver, meter, sent } = await wire();
    const at = T0 + 3_600_000 + 250; // 05:00:00.25 UTC on Wednesday 2026-11-25, rounded up to 05:00:01
    const held = await driver.firmware!.scheduleActivation!(at);
    expect(held).toBe(T0 + 3_601_000);
    // array(1) of structure(2): time 05:00:01.00, date 2026-11-25 day of week 3 (utcOffsetMinutes 0).
    expect(noInvoke(sets(sent)[0]!)).toBe(
      'C1 01 00 16 00 00 0F 00 02 FF 04 00 01 01 02 02 09 04 05 00 01 00 09 05 07 EA 0B 19 03',
    );
    expect(await driver.firmware!.readActivationSchedule!()).toBe(T0 + 3_601_000);
    // What the meter holds, not an echo: a meter keeping another time is a read-back mismatch.
    meter.set = (_ctx, _a, _v) => 0;
    await expect(driver.firmware!.scheduleActivation!(T0 + 7_200_000)).rejects.toMatchObject({
      code: 'DRIVER_READBACK_MISMATCH',
    });
    await driver.firmware!.cancelActivationSchedule!().catch(() => undefined);
  });

  it('an activation time not in the future is DRIVER_INVALID and nothing is written', async () => {
    const { driver, sent } = await wire();
    await expect(driver.firmware!.scheduleActivation!(T0)).rejects.toMatchObject({
      code: 'DRIVER_INVALID',
      retryable: false,
    });
    expect(sets(sent)).toHaveLength(0);
  });

  it('cancelling empties execution_time (SET attribute 4 = array of 0)', async () => {
    const { driver, sent } = await wire();
    await driver.firmware!.scheduleActivation!(T0 + 60_000);
    await driver.firmware!.cancelActivationSchedule!();
    expect(noInvoke(sets(sent)[1]!)).toBe('C1 01 00 16 00 00 0F 00 02 FF 04 00 01 00');
    expect(await driver.firmware!.readActivationSchedule!()).toBeUndefined();
  });

  it('the transferred-blocks bitmap is decoded MSB first; the first missing block is attr 4', async () => {
    const { driver } = await wire();
    const s = await driver.firmware!.readImageTransfer();
    expect(s).toMatchObject({
      blockSize: 200,
      transferredBlocks: [0, 2, 3],
      firstMissingBlock: 1,
      status: 1,
    });
  });

  it('global_key_transfer of the GUEK wrapped with the RFC 3394 §4.1 vector', async () => {
    const { driver, sent } = await wire();
    await driver.keys!.changeKey(
      'unicastEncryption',
      fromHex('00112233445566778899AABBCCDDEEFF'),
      fromHex('000102030405060708090A0B0C0D0E0F'),
    );
    const [transfer] = actions(sent);
    expect(noInvoke(transfer!.subarray(0, 13))).toBe('C3 01 00 40 00 00 2B 00 00 FF 02 01');
    expect(hex(transfer!.subarray(13))).toBe(
      '01 01 02 02 16 00 09 18 1F A6 8B 0A 81 12 B4 47 AE F3 4B D8 FB 5A 7B 82 9D 3E 86 23 71 D2 CF E5',
    );
    await driver.keys!.activateSecurity(3);
    expect(hex(actions(sent)[1]!.subarray(-3))).toBe('01 16 03');
  });

  it('push destination "10.0.0.1:4059" as TCP, A-XDR', async () => {
    const { driver, sent, meter } = await wire();
    const out = await driver.push!.setPushSetup({ destination: '10.0.0.1:4059', numberOfRetries: 3 });
    expect(hex(sets(sent)[0]!.subarray(13))).toBe(
      '02 03 16 00 09 0D 31 30 2E 30 2E 30 2E 31 3A 34 30 35 39 16 00',
    );
    expect(out.numberOfRetries).toBe(3);
    expect(meter.values.get(`40/${PUSH}/6`)).toEqual(u8(3));
  });

  it('emergency profile id 1, 3,600 s: 02 03 12 00 01 09 0C <12> 06 00 00 0E 10', async () => {
    const { driver, sent } = await wire();
    const view = await driver.limiter!.activateEmergency({
      profileId: 1,
      activateAt: T0,
      durationSeconds: 3600,
    });
    const profile = sets(sent).find((a) => a[11] === 8)!;
    const data = profile.subarray(13);
    expect(hex(data.subarray(0, 7))).toBe('02 03 12 00 01 09 0C');
    expect(hex(data.subarray(7, 19))).toBe(
      hex(dateTimeToOctets(dateTimeFromInstant(new Date(T0), { deviation: 0 }))),
    );
    expect(hex(data.subarray(19))).toBe('06 00 00 0E 10');
    expect(view.emergencyProfileGroupIds).toEqual([1]);
  });

  it('special day every 25 December, day_id 2: the table element is 02 03 12 00 01 09 05 FF FF 0C 19 FF 11 02', async () => {
    const { driver, sent } = await wire();
    const back = await driver.tariff!.setSpecialDays!([
      { index: 1, date: { year: 0xffff, month: 12, dayOfMonth: 25, dayOfWeek: 0xff }, dayId: 2 },
    ]);
    expect(hex(sets(sent)[0]!.subarray(13))).toBe('01 01 02 03 12 00 01 09 05 FF FF 0C 19 FF 11 02');
    expect(back).toEqual([
      { index: 1, date: { year: 0xffff, month: 12, dayOfMonth: 25, dayOfWeek: 0xff }, dayId: 2 },
    ]);
  });

  it('season entry "1", start, week "1"; the passive calendar is written 6 → 7 → 8 → 9, then method 1', async () => {
    const { driver, sent } = await wire();
    const start = dateTimeFromInstant(new Date(Date.UTC(2026, 0, 1)), { deviation: 0 });
    const one = Uint8Array.of(0x31);
    await driver.tariff!.programCalendar(
      {
        calendarName: Uint8Array.of(0x41),
        seasonProfile: [{ name: one, start, weekName: one }],
        weekProfileTable: [
          { name: one, monday: 1, tuesday: 1, wednesday: 1, thursday: 1, friday: 1, saturday: 1, sunday: 1 },
        ],
        dayProfileTable: [
          {
            dayId: 1,
            schedule: [
              {
                startTime: { hour: 0, minute: 0, second: 0, hundredths: 0 },
                scriptLogicalName: [0, 0, 10, 0, 100, 255],
                scriptSelector: 1,
              },
            ],
          },
        ],
      },
      { kind: 'now' },
    );
    const written = sets(sent);
    expect(written.map((a) => a[11])).toEqual([6, 7, 8, 9]);
    expect(hex(written[1]!.subarray(13))).toBe(
      `01 01 02 03 09 01 31 09 0C ${hex(dateTimeToOctets(start))} 09 01 31`,
    );
    expect(noInvoke(actions(sent)[0]!)).toBe('C3 01 00 14 00 00 0D 00 00 FF 01 01 0F 00');
  });
});

describe('control failures on the wire', () => {
  it('temporary-failure (2) is DRIVER_TEMPORARY_FAILURE, retryable, with the Action-Result', async () => {
    const { driver, meter } = await wire();
    meter.results.set(`18/${IMAGE}/3`, [2]);
    await expect(driver.firmware!.verifyImage()).rejects.toMatchObject({
      code: 'DRIVER_TEMPORARY_FAILURE',
      retryable: true,
      detail: { actionResult: 2, method: 3 },
    });
    await driver.firmware!.verifyImage();
  });

  it('a refused disconnect is DRIVER_REFUSED with the Action-Result; the state is not changed', async () => {
    const { driver, meter } = await wire();
    meter.results.set(`70/${DISCONNECT}/1`, [250]);
    await expect(driver.supply!.disconnect()).rejects.toMatchObject({
      code: 'DRIVER_REFUSED',
      retryable: false,
      detail: { actionResult: 250 },
    });
    expect(await driver.supply!.readDisconnector()).toMatchObject({ outputState: true, controlState: 1 });
  });

  it('control mode 0 refuses before sending: no ACTION goes out', async () => {
    const meter = new ControlMeter();
    meter.values.set(`70/${DISCONNECT}/4`, enm(0));
    const { driver, sent } = await wire(1024, meter);
    await expect(driver.supply!.disconnect()).rejects.toMatchObject({
      code: 'DRIVER_MODE_FORBIDS',
      detail: { mode: 0, transition: 'disconnect', controlState: 1 },
    });
    expect(actions(sent)).toEqual([]);
    expect(meter.actions).toEqual([]);
  });

  it('a block must fit the negotiated PDU: max block = server max PDU − 24; a larger one is not sent', async () => {
    const { driver, sent, meter } = await wire(256);
    const fw = driver.firmware!;
    expect(fw.maxBlockSize()).toBe(256 - 24);
    await expect(fw.transferBlock({ number: 0, value: new Uint8Array(233) })).rejects.toMatchObject({
      code: 'DRIVER_INVALID',
      detail: { maxBlockSize: 232 },
    });
    expect(meter.actions).toEqual([]);
    await fw.transferBlock({ number: 0, value: new Uint8Array(232) });
    const [block] = actions(sent);
    expect(block!.length).toBeLessThanOrEqual(256);
    expect(meter.actions).toEqual([`18/${IMAGE}/2`]);
  });

  it('a read-back that differs from what was written is DRIVER_READBACK_MISMATCH', async () => {
    const meter = new ControlMeter();
    // A meter that ignores writes of number_of_retries.
    const set = meter.set.bind(meter);
    meter.set = (ctx, a, v) => (a.classId === 40 && a.attributeId === 6 ? 0 : set(ctx, a, v));
    const { driver } = await wire(1024, meter);
    await expect(driver.push!.setPushSetup({ numberOfRetries: 5 })).rejects.toMatchObject({
      code: 'DRIVER_READBACK_MISMATCH',
      detail: { attribute: `push setup ${PUSH} attribute 6` },
    });
  });

  it('limits in physical units: W with a scaler of 1 is written as W / 10', async () => {
    const { driver, meter } = await wire();
    const view = await driver.limiter!.setLimits({ thresholdNormal: 5000 });
    expect(meter.values.get(`71/${LIMITER}/4`)).toEqual(u32(500));
    expect(view).toMatchObject({ scaler: 1, unit: 'W', thresholdNormal: 5000 });
  });
});

describe('profile reads without a range and with selective access refused (issue 13)', () => {
  it('without a range the whole buffer is read with no selective access', async () => {
    const { driver, sent } = await wire();
    const values = await driver.readProfile('block');
    expect(values.map((v) => v.value)).toEqual([1000, 1010, 1020, 1030]);
    // GET-Request-Normal of attribute 2 (byte 11); byte 12 is the access-selection flag: 00, none.
    const gets = apdus(sent, 0xc0).filter((a) => a[1] === 0x01 && a[4] === 7 && a[11] === 2);
    expect(gets.map((a) => a[12])).toEqual([0]);
  });

  it('a meter refusing range and entry access is read whole, filtered to the range', async () => {
    const meter = new ControlMeter();
    meter.refuseSelective = true;
    const { driver } = await wire(1024, meter);
    const range = { from: T0 + 900_000, to: T0 + 1_800_000 };
    const values = await driver.readProfile('block', range);
    expect(values.map((v) => v.ts)).toEqual([T0 + 900_000, T0 + 1_800_000]);
    // Remembered: the next read goes straight to the whole buffer.
    expect((await driver.readProfile('block', range)).length).toBe(2);
  });
});
