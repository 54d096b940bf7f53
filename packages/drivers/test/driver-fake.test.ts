import {
  AccessSelector,
  type DlmsData,
  DlmsError,
  DlmsErrorCode,
  dateTimeFromInstant,
  dateTimeToOctets,
  type ListResult,
  parseEntryDescriptor,
  type SelectiveAccessDescriptor,
} from '@openhes/dlms';
import { describe, expect, it } from 'vitest';
import {
  CounterLease,
  type DlmsClientPort,
  DlmsDriver,
  type DriverProfile,
  type GetRef,
  ModelCache,
  meterDateTime,
  meterInstant,
  parsePushBody,
  requireCapability,
  systemTitleFromHex,
  toDriverError,
} from '../src/index.ts';

const T0 = Date.UTC(2026, 0, 1, 0, 0);
const PERIOD = 900;

const PROFILE: DriverProfile = {
  id: 'fake-1ph',
  framing: 'wrapper',
  serverAddress: 1,
  meter: { utcOffsetMinutes: 330 },
  quirks: { deviationLocalMinusUtc: true },
  associations: [{ key: 'public', clientSap: 16, authentication: 'none', policy: 'none', rights: 'read' }],
  eventLogs: {},
  objects: [
    { class: 8, obis: '0.0.1.0.0.255' },
    { class: 3, obis: '1.0.1.8.0.255', scaler: 0, unit: 'activeEnergy' },
    { class: 3, obis: '1.0.1.29.0.255', scaler: 0, unit: 'activeEnergy' },
    {
      class: 7,
      obis: '1.0.99.1.0.255',
      profile: {
        kind: 'block',
        capturePeriod: PERIOD,
        depth: 100,
        capture: [
          [8, '0.0.1.0.0.255', 2],
          [3, '1.0.1.29.0.255', 2],
        ],
      },
    },
    {
      class: 40,
      obis: '0.5.25.9.0.255',
      push: {
        kind: 'block',
        objects: [
          [40, '0.5.25.9.0.255', 1],
          [8, '0.0.1.0.0.255', 2],
          [3, '1.0.1.29.0.255', 2],
        ],
      },
    },
  ],
};

const octets = (at: number): DlmsData => ({
  type: 'octet-string',
  value: dateTimeToOctets(meterDateTime(at, PROFILE)),
});
const co = (classId: number, ln: number[], attr: number): DlmsData => ({
  type: 'structure',
  value: [
    { type: 'long-unsigned', value: classId },
    { type: 'octet-string', value: Uint8Array.from(ln) },
    { type: 'integer', value: attr },
    { type: 'long-unsigned', value: 0 },
  ],
});

/** A meter with one block profile of 100 entries that refuses range access. */
class FakeClient implements DlmsClientPort {
  gets: string[] = [];
  readonly rows = Array.from({ length: 100 }, (_, i) => T0 + (i + 1) * PERIOD * 1000);
  async get(
    obis: string | Uint8Array,
    classId: number,
    attr: number,
    access?: SelectiveAccessDescriptor,
  ): Promise<DlmsData> {
    this.gets.push(`${classId}/${String(obis)}/${attr}${access ? `#${access.accessSelector}` : ''}`);
    if (classId === 7 && attr === 3)
      return { type: 'array', value: [co(8, [0, 0, 1, 0, 0, 255], 2), co(3, [1, 0, 1, 29, 0, 255], 2)] };
    if (classId === 7 && attr === 7) return { type: 'double-long-unsigned', value: this.rows.length };
    if (classId === 7 && attr === 2) {
      if (access?.accessSelector === AccessSelector['range-descriptor'])
        throw new DlmsError(DlmsErrorCode.AccessResult, 'refused', {
          detail: { resultName: 'scope-of-access-violated' },
        });
      const e = parseEntryDescriptor(access!.accessParameters);
      const to = e.toEntry === 0 ? this.rows.length : e.toEntry;
      return {
        type: 'array',
        value: this.rows.slice(e.fromEntry - 1, to).map((at, i) => ({
          type: 'structure',
          value: [octets(at), { type: 'double-long-unsigned', value: 100 + e.fromEntry + i }],
        })),
      };
    }
    if (classId === 8) return octets(T0 + 5000);
    throw new DlmsError(DlmsErrorCode.Timeout, 'silent', { retryable: true });
  }
  async getMany(items: readonly GetRef[]): Promise<ListResult<DlmsData>[]> {
    return items.map((i) =>
      i.attr === 3
        ? {
            ok: true,
            value: {
              type: 'structure',
              value: [
                { type: 'integer', value: -1 },
                { type: 'enum', value: 30 },
              ],
            },
          }
        : { ok: true, value: { type: 'double-long-unsigned', value: 12345 } },
    );
  }
  async set(): Promise<void> {}
  async action(): Promise<DlmsData | undefined> {
    return undefined;
  }
  async end(): Promise<void> {}
}

function driver(client: FakeClient, cache = new ModelCache(), now = T0 + 100 * PERIOD * 1000): DlmsDriver {
  return new DlmsDriver({
    meterId: 7,
    profile: PROFILE,
    endpoint: { transport: 'tcp', host: '127.0.0.1', port: 1 },
    secrets: {},
    cache,
    connect: async () => client,
    now: () => now,
  });
}

describe('DlmsDriver with a fake client', () => {
  it('passes the silence timeout and the overall response cap on to the client', async () => {
    let seen: Record<string, unknown> | undefined;
    const d = new DlmsDriver({
      meterId: 7,
      profile: PROFILE,
      endpoint: { transport: 'tcp', host: '127.0.0.1', port: 1 },
      secrets: {},
      cache: new ModelCache(),
      responseTimeoutMs: 2500,
      maxResponseMs: 120_000,
      connect: async (options) => {
        seen = options as unknown as Record<string, unknown>;
        return new FakeClient();
      },
    });
    await d.open();
    expect(seen).toMatchObject({ responseTimeoutMs: 2500, maxResponseMs: 120_000 });
    await d.close();
  });

  it('falls back to entries when the meter refuses a range, reads only the newest entries, and remembers it per model', async () => {
    const client = new FakeClient();
    const cache = new ModelCache();
    const d = driver(client, cache);
    await d.open();
    const from = T0 + 90 * PERIOD * 1000;
    const values = await d.readProfile('block', { from, to: T0 + 200 * PERIOD * 1000 });
    expect(values.map((v) => v.ts)).toEqual(client.rows.filter((t) => t >= from));
    expect(values[0]!.value).toBeCloseTo((100 + 90) / 10);
    expect(values[0]!.channel).toMatchObject({
      obis: '1.0.1.29.0.255',
      kind: 'interval',
      intervalSeconds: PERIOD,
      unit: 'Wh',
      scaler: -1,
    });
    expect(cache.refusesRange('fake-1ph', '1.0.99.1.0.255')).toBe(true);
    client.gets = [];
    await d.readProfile('block', { from, to: from });
    expect(client.gets.filter((g) => g.endsWith('#1'))).toEqual([]);
    expect(client.gets.some((g) => g.startsWith('7/1.0.99.1.0.255/3'))).toBe(false);
  });

  it('reads registers with scalers and the clock with the local − UTC deviation quirk', async () => {
    const d = driver(new FakeClient(), new ModelCache(), T0);
    await d.open();
    const regs = await d.readRegisters();
    expect(regs).toHaveLength(1);
    expect(regs[0]).toMatchObject({
      value: 1234.5,
      channel: { obis: '1.0.1.8.0.255', kind: 'register', unit: 'Wh' },
    });
    const clock = await d.readClock();
    expect(clock.driftMs).toBe(5000);
  });

  it('rejects with DriverError only: retryable follows the DLMS error; control operations are unsupported', async () => {
    const d = driver(new FakeClient());
    await expect(d.readClock()).rejects.toMatchObject({ code: 'DRIVER_STATE' });
    await d.open();
    // The model has no disconnect control: the driver offers no supply control.
    expect(d.supply).toBeUndefined();
    await expect(
      Promise.resolve().then(() => requireCapability(d, 'supply').disconnect()),
    ).rejects.toMatchObject({ code: 'DRIVER_UNSUPPORTED', retryable: false });
    await expect(d.readProfile('daily', { from: 0, to: 1 })).rejects.toMatchObject({
      code: 'DRIVER_UNSUPPORTED',
    });
    const t = toDriverError(new DlmsError(DlmsErrorCode.Timeout, 'x'));
    expect(t).toMatchObject({
      code: 'DRIVER_TIMEOUT',
      retryable: true,
      detail: { dlmsCode: 'DLMS_TIMEOUT' },
    });
    expect(toDriverError(new DlmsError(DlmsErrorCode.AuthenticationFailed, 'x')).retryable).toBe(false);
    expect(() => toDriverError(new TypeError('bug'))).toThrow(TypeError);
  });
});

describe('meter time', () => {
  it('reads back what it writes, in both deviation conventions', () => {
    for (const quirk of [true, false]) {
      const p = { ...PROFILE, quirks: { deviationLocalMinusUtc: quirk } };
      const dt = meterDateTime(T0 + 123_000, p);
      expect(dt.hour).toBe(5);
      expect(dt.deviation).toBe(quirk ? 330 : -330);
      expect(meterInstant(dt, p)).toBe(T0 + 123_000);
    }
    expect(
      meterInstant({ ...dateTimeFromInstant(new Date(T0), { deviation: 0 }), deviation: null }, PROFILE),
    ).toBe(T0 - 330 * 60_000);
  });
});

describe('CounterLease', () => {
  it('refuses a counter past its block and extends only contiguously', async () => {
    let next = 10;
    const reserve = async (n: number): Promise<number> => {
      next += n;
      return next - n;
    };
    const lease = new CounterLease({ reserve }, 4);
    expect(await lease.start()).toBe(10);
    lease.used(14);
    expect(() => lease.used(15)).toThrow(expect.objectContaining({ code: 'DRIVER_SECURITY' }));
    await lease.ensure(2);
    expect(lease.end).toBe(18);
  });
});

describe('parsePushBody', () => {
  const at = T0 + 4 * PERIOD * 1000;
  const body = (withName: boolean): DlmsData => ({
    type: 'structure',
    value: [
      ...(withName ? [{ type: 'octet-string' as const, value: Uint8Array.from([0, 5, 25, 9, 0, 255]) }] : []),
      octets(at),
      { type: 'double-long-unsigned', value: 42 },
    ],
  });
  it('matches the push setup with and without its logical name and scales by the profile', () => {
    for (const withName of [true, false]) {
      const p = parsePushBody(PROFILE, body(withName));
      expect(p.setup.obis).toBe('0.5.25.9.0.255');
      expect(p.meterTime).toBe(at);
      expect(p.values).toEqual([
        {
          channel: {
            obis: '1.0.1.29.0.255',
            attribute: 2,
            kind: 'interval',
            unit: 'Wh',
            scaler: 0,
            intervalSeconds: PERIOD,
          },
          ts: at,
          value: 42,
        },
      ]);
    }
  });
  it('refuses a body no push setup matches', () => {
    expect(() => parsePushBody(PROFILE, { type: 'structure', value: [] })).toThrow(
      expect.objectContaining({ code: 'DRIVER_PROTOCOL' }),
    );
  });
});

describe('systemTitleFromHex', () => {
  it('takes 8 bytes of hex and refuses anything else as a configuration error', () => {
    expect(systemTitleFromHex('4F48455300000001')).toEqual(
      Uint8Array.from([0x4f, 0x48, 0x45, 0x53, 0, 0, 0, 1]),
    );
    for (const bad of ['4F4845', 'not hex!'])
      expect(() => systemTitleFromHex(bad)).toThrow(
        expect.objectContaining({ code: 'DRIVER_CONFIGURATION' }),
      );
  });
});
