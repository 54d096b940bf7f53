import {
  type DlmsData,
  DlmsError,
  DlmsErrorCode,
  dateTimeFromInstant,
  dateTimeToOctets,
  type ListResult,
} from '@openhes/dlms';
import type { DlmsClientOptions } from '@openhes/transport';
import { describe, expect, it } from 'vitest';
import {
  type DlmsClientPort,
  DlmsDriver,
  type DriverError,
  type DriverProfile,
  ModelCache,
  type ReceivedCounterSource,
  ReceivedCounterWatch,
  toDriverError,
} from '../src/index.ts';

const KEY = new Uint8Array(16).fill(7);
const CLOCK = dateTimeToOctets(dateTimeFromInstant(new Date(Date.UTC(2026, 0, 1)), { deviation: 0 }));

function profile(policy: 'auth+enc' | 'enc'): DriverProfile {
  return {
    id: `fake-${policy}`,
    framing: 'wrapper',
    serverAddress: 1,
    meter: { utcOffsetMinutes: 0 },
    quirks: { deviationLocalMinusUtc: false },
    associations: [{ key: 'management', clientSap: 48, authentication: 'hls-gmac', policy, rights: 'full' }],
    eventLogs: {},
    objects: [{ class: 8, obis: '0.0.1.0.0.255' }],
  };
}

/** A stored counter as the store keeps it: raised only, never lowered. */
class StoredCounter implements ReceivedCounterSource {
  value: number | undefined;
  raises: number[] = [];
  failNext = false;

  constructor(value?: number) {
    this.value = value;
  }

  async current(): Promise<number | undefined> {
    return this.value;
  }

  async raise(value: number): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('store unavailable');
    }
    this.raises.push(value);
    if (this.value === undefined || value > this.value) this.value = value;
  }
}

/** A client whose every response "arrives" with the next counter of a fake meter. */
class CountingClient implements DlmsClientPort {
  readonly options: DlmsClientOptions;
  next: number;

  constructor(options: DlmsClientOptions, next: number) {
    this.options = options;
    this.next = next;
  }

  /** What the transport does per ciphered APDU: refuse at or below the floor, else report it. */
  receive(): void {
    const n = this.next++;
    const floor = this.options.security?.lastReceived;
    if (floor !== undefined && n <= floor)
      throw new DlmsError(DlmsErrorCode.Replay, `counter ${n} not above ${floor}`, {
        detail: { invocationCounter: n, lastReceived: floor },
      });
    this.options.security?.onReceived?.(n);
  }

  async get(): Promise<DlmsData> {
    this.receive();
    return { type: 'octet-string', value: CLOCK };
  }
  async getMany(): Promise<ListResult<DlmsData>[]> {
    this.receive();
    return [];
  }
  async set(): Promise<void> {
    this.receive();
  }
  async action(): Promise<DlmsData | undefined> {
    this.receive();
    return undefined;
  }
  async end(): Promise<void> {}
}

function driver(
  stored: StoredCounter,
  meterNext: number,
  policy: 'auth+enc' | 'enc' = 'auth+enc',
  replays: DriverError[] = [],
) {
  const made: CountingClient[] = [];
  const d = new DlmsDriver({
    meterId: 9,
    profile: profile(policy),
    endpoint: { transport: 'tcp', host: '127.0.0.1', port: 1 },
    secrets: { ek: KEY, ak: KEY },
    cache: new ModelCache(),
    counters: { reserve: async () => 1 },
    received: stored,
    onReplay: (e) => {
      replays.push(e);
    },
    connect: async (options) => {
      const c = new CountingClient(options, meterNext);
      made.push(c);
      c.receive(); // the ciphered part of the association
      return c;
    },
  });
  return { d, made };
}

describe('ReceivedCounterWatch', () => {
  it('saves the highest accepted once, never below the floor, and again after a failed save', async () => {
    const stored = new StoredCounter(10);
    const w = new ReceivedCounterWatch(stored);
    expect(await w.start()).toBe(10);
    await w.save();
    expect(stored.raises).toEqual([]);
    w.accepted(12);
    w.accepted(11);
    stored.failNext = true;
    await expect(w.save()).rejects.toMatchObject({ code: 'DRIVER_SECURITY', retryable: true });
    await w.save();
    await w.save();
    expect(stored.raises).toEqual([12]);
  });
});

describe('DlmsDriver received invocation counters', () => {
  it('passes the stored counter as the floor and stores the highest accepted at close', async () => {
    const stored = new StoredCounter(41);
    const { d, made } = driver(stored, 42);
    await d.open();
    expect(made[0]!.options.security).toMatchObject({ lastReceived: 41 });
    await d.readClock();
    await d.readClock();
    expect(stored.value).toBe(41);
    await d.close();
    expect(stored.raises).toEqual([44]);
  });

  it('a meter without a stored counter gets no floor; its first session stores one', async () => {
    const stored = new StoredCounter();
    const { d, made } = driver(stored, 0);
    await d.open();
    expect(made[0]!.options.security?.lastReceived).toBeUndefined();
    await d.close();
    expect(stored.value).toBe(0);
  });

  it('a counter at or below the floor fails the session with DRIVER_REPLAY, not retryable, reported once', async () => {
    const stored = new StoredCounter(100);
    const replays: DriverError[] = [];
    const { d } = driver(stored, 50, 'auth+enc', replays);
    const e = await d.open().catch((x: unknown) => x);
    expect(e).toMatchObject({
      code: 'DRIVER_REPLAY',
      retryable: false,
      detail: { dlmsCode: 'DLMS_REPLAY', invocationCounter: 50, lastReceived: 100 },
    });
    expect(replays).toEqual([e]);
    await d.close();
    expect(stored.raises).toEqual([]);
    expect(stored.value).toBe(100);
  });

  it('a replay in the middle of a session keeps what was accepted before it', async () => {
    const stored = new StoredCounter(5);
    const replays: DriverError[] = [];
    const { d, made } = driver(stored, 6, 'auth+enc', replays);
    await d.open();
    await d.readClock();
    made[0]!.next = 3;
    await expect(d.readClock()).rejects.toMatchObject({ code: 'DRIVER_REPLAY', retryable: false });
    expect(replays).toHaveLength(1);
    await d.close();
    expect(stored.value).toBe(7);
  });

  it('a push that raised the stored counter meanwhile is not lowered', async () => {
    const stored = new StoredCounter(10);
    const { d } = driver(stored, 11);
    await d.open();
    stored.value = 500;
    await d.readClock();
    await d.close();
    expect(stored.value).toBe(500);
  });

  it('leaves received counters alone under encryption only (forgeable counters)', async () => {
    const stored = new StoredCounter(10);
    const { d, made } = driver(stored, 0, 'enc');
    await d.open();
    expect(made[0]!.options.security?.lastReceived).toBeUndefined();
    expect(made[0]!.options.security?.onReceived).toBeUndefined();
    await d.close();
    expect(stored.raises).toEqual([]);
  });

  it('maps DLMS_REPLAY to DRIVER_REPLAY, never retryable', () => {
    expect(toDriverError(new DlmsError(DlmsErrorCode.Replay, 'x', { retryable: true }))).toMatchObject({
      code: 'DRIVER_REPLAY',
      retryable: false,
    });
  });
});
