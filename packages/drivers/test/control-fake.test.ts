import type { DlmsData, ListResult } from '@openhes/dlms';
import { describe, expect, it } from 'vitest';
import {
  type DlmsClientPort,
  DlmsDriver,
  type DriverProfile,
  type GetRef,
  ModelCache,
} from '../src/index.ts';

const DISCONNECT = '0.0.96.3.10.255';
const LIMITER = '0.0.17.0.0.255';

const PROFILE: DriverProfile = {
  id: 'fake-control',
  framing: 'wrapper',
  serverAddress: 1,
  meter: { utcOffsetMinutes: 0 },
  quirks: {},
  associations: [{ key: 'm', clientSap: 1, authentication: 'none', policy: 'none', rights: 'full' }],
  eventLogs: {},
  objects: [
    { class: 8, obis: '0.0.1.0.0.255' },
    { class: 70, obis: DISCONNECT },
    { class: 71, obis: LIMITER },
  ],
};

const u16 = (value: number): DlmsData => ({ type: 'long-unsigned', value });
const u32 = (value: number): DlmsData => ({ type: 'double-long-unsigned', value });
const ln = (obis: string): DlmsData => ({
  type: 'octet-string',
  value: Uint8Array.from(obis.split('.').map(Number)),
});

/** A meter that records every request; its limiter thresholds are long-unsigned. */
class RecordingClient implements DlmsClientPort {
  readonly log: string[] = [];
  output = true;
  readonly limiter = new Map<number, DlmsData>([
    [2, { type: 'structure', value: [u16(3), ln('1.0.1.7.0.255'), { type: 'integer', value: 2 }] }],
    [3, u16(0)],
    [4, u16(0)],
    [5, u16(0)],
    [6, u32(900)],
    [7, u32(900)],
    [
      8,
      {
        type: 'structure',
        value: [u16(0), { type: 'octet-string', value: new Uint8Array(12).fill(0xff) }, u32(0)],
      },
    ],
    [9, { type: 'array', value: [] }],
    [10, { type: 'boolean', value: false }],
    [
      11,
      {
        type: 'structure',
        value: [
          { type: 'structure', value: [ln('0.0.10.0.106.255'), u16(1)] },
          { type: 'structure', value: [ln('0.0.10.0.106.255'), u16(2)] },
        ],
      },
    ],
  ]);

  #value(classId: number, attr: number): DlmsData {
    if (classId === 70) {
      if (attr === 2) return { type: 'boolean', value: this.output };
      if (attr === 3) return { type: 'enum', value: this.output ? 1 : 0 };
      return { type: 'enum', value: 2 };
    }
    return this.limiter.get(attr)!;
  }
  async get(obis: string | Uint8Array, classId: number, attr: number): Promise<DlmsData> {
    this.log.push(`get ${classId}/${String(obis)}:${attr}`);
    return this.#value(classId, attr);
  }
  async getMany(items: readonly GetRef[]): Promise<ListResult<DlmsData>[]> {
    this.log.push(`getMany ${items.map((i) => `${i.classId}/${String(i.obis)}:${i.attr}`).join(' ')}`);
    return items.map((i) => ({ ok: true, value: this.#value(i.classId, i.attr) }));
  }
  async set(obis: string | Uint8Array, classId: number, attr: number, value: DlmsData): Promise<void> {
    this.log.push(`set ${classId}/${String(obis)}:${attr} ${value.type}`);
    if (classId === 71) this.limiter.set(attr, value);
    if (attr === 4) this.limiter.set(3, value);
  }
  async action(
    obis: string | Uint8Array,
    classId: number,
    method: number,
    params?: DlmsData,
  ): Promise<DlmsData | undefined> {
    this.log.push(`action ${classId}/${String(obis)}#${method} ${JSON.stringify(params)}`);
    if (classId === 70) this.output = method === 2;
    return undefined;
  }
  async end(): Promise<void> {}
}

function driver(client: RecordingClient): DlmsDriver {
  return new DlmsDriver({
    meterId: 5,
    profile: PROFILE,
    endpoint: { transport: 'tcp', host: '127.0.0.1', port: 1 },
    secrets: {},
    cache: new ModelCache(),
    connect: async () => client,
  });
}

describe('DLMS supply control and load limiting with a recording client', () => {
  it('remote_disconnect is method 1 and remote_reconnect method 2 with integer(0): state (and control_mode once) read before, state read back after', async () => {
    const c = new RecordingClient();
    const d = driver(c);
    await d.open();
    expect(await d.supply!.disconnect()).toEqual({
      outputState: false,
      controlState: 0,
      controlMode: 2,
      armed: false,
      sent: true,
    });
    expect(await d.supply!.reconnect()).toEqual({
      outputState: true,
      controlState: 1,
      controlMode: 2,
      armed: false,
      sent: true,
    });
    const withMode = `getMany 70/${DISCONNECT}:2 70/${DISCONNECT}:3 70/${DISCONNECT}:4`;
    const state = `getMany 70/${DISCONNECT}:2 70/${DISCONNECT}:3`;
    expect(c.log).toEqual([
      withMode,
      `action 70/${DISCONNECT}#1 {"type":"integer","value":0}`,
      state,
      state,
      `action 70/${DISCONNECT}#2 {"type":"integer","value":0}`,
      state,
    ]);
    expect(d.stats.requests).toBe(2);
    // A new session reads control_mode again.
    await d.close();
    await d.open();
    c.log.length = 0;
    expect(await d.supply!.reconnect()).toMatchObject({ sent: false, controlState: 1 });
    expect(c.log).toEqual([withMode]);
  });

  it('writes thresholds in the type of the meter’s own threshold, durations as seconds, then reads 2..11 back', async () => {
    const c = new RecordingClient();
    const d = driver(c);
    await d.open();
    const l = await d.limiter!.setLimiter({ thresholdNormal: 5000, minOverThresholdDuration: 60 });
    expect(l).toMatchObject({ thresholdActive: 5000, thresholdNormal: 5000, minOverThresholdDuration: 60 });
    expect(c.log.slice(0, 3)).toEqual([
      `get 71/${LIMITER}:4`,
      `set 71/${LIMITER}:4 long-unsigned`,
      `set 71/${LIMITER}:6 double-long-unsigned`,
    ]);
    expect(c.log[3]).toBe(
      `getMany ${[2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((a) => `71/${LIMITER}:${a}`).join(' ')}`,
    );
  });

  it('refuses a threshold the monitored value’s type cannot hold before writing anything', async () => {
    const c = new RecordingClient();
    const d = driver(c);
    await d.open();
    await expect(d.limiter!.setLimiter({ thresholdNormal: 70_000 })).rejects.toMatchObject({
      code: 'DRIVER_INVALID',
      retryable: false,
    });
    await expect(d.limiter!.setLimiter({ minUnderThresholdDuration: -1 })).rejects.toMatchObject({
      code: 'DRIVER_INVALID',
    });
    expect(c.log.filter((x) => x.startsWith('set'))).toEqual([]);
  });
});
