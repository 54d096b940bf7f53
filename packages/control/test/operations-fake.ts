/**
 * An in-memory meter for the operation tests, modelling what the operations rely on: the
 * disconnector's control modes (control-objects.md §1.2), a limiter with a scaler, passive and
 * active calendars, a drifting clock, image transfer with a block bitmap and a verification
 * that fails on a corrupted image, keys that take effect for the next association, an
 * invocation counter that restarts with a new encryption key, and a count of every method the
 * meter executed. Faults: a link drop before or after a chosen request, blocks lost silently.
 * The driver half (FakeDriver) behaves as drivers/src/driver.ts describes.
 */
import { createHash } from 'node:crypto';
import type {
  Command,
  CommandKind,
  CounterKey,
  FirmwareImage,
  FirmwareImageStore,
  InvocationCounterStore,
  KeyPurpose,
  Meter,
  SecretVault,
} from '@openhes/core';
import {
  type ClockReading,
  type ClockSettings,
  type DisconnectorState,
  DriverError,
  DriverErrorCode,
  type GlobalKey,
  type ImageTransferState,
  type ImageTransferStatus,
  type LimiterView,
  type MeterDriver,
  type PushSettings,
  type SupplyOutcome,
} from '@openhes/drivers';
import type { Operation, OperationContext, OperationOutcome } from '../src/operation.ts';
import type { ActivityCalendar, CosemDateTime, SpecialDay } from '../src/operations/support.ts';
import type { SessionKeys } from '../src/ports.ts';

type PushSetupRead = Awaited<ReturnType<NonNullable<MeterDriver['push']>['readPushSetup']>>;

/** A request name as the fault plan and the method counts know it. */
export type Request =
  | 'read'
  | 'readRegisters'
  | 'remote_disconnect'
  | 'remote_reconnect'
  | 'shift_time'
  | 'set_time'
  | 'image_transfer_initiate'
  | 'image_block_transfer'
  | 'image_verify'
  | 'image_activate'
  | 'image_schedule'
  | 'global_key_transfer'
  | 'security_activate';

export interface Fault {
  request: Request;
  /** Which occurrence (1 = the first the meter sees from now on); default 1. */
  nth?: number;
  /** 'before': the request never reaches the meter; 'after': the meter executes it, the answer is lost. */
  when: 'before' | 'after';
}

export const MAGIC_GOOD = 'FWOK';

function linkDrop(what: string): DriverError {
  return new DriverError(DriverErrorCode.Transport, `link dropped (${what})`);
}

function dateTime(at: number): CosemDateTime {
  const d = new Date(at);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    dayOfMonth: d.getUTCDate(),
    dayOfWeek: ((d.getUTCDay() + 6) % 7) + 1,
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    hundredths: 0,
    deviation: 0,
    clockStatus: 0,
  };
}

export class VirtualTime {
  t = Date.UTC(2027, 0, 11, 10, 3, 20);
  now = (): number => this.t;
  sleep = async (ms: number): Promise<void> => {
    this.t += ms;
  };
}

export class FakeMeter {
  readonly methods = new Map<string, number>();
  readonly faults: Fault[] = [];
  readonly seen = new Map<Request, number>();
  /** Sessions opened (association attempts that succeeded). */
  sessions = 0;
  linkDown = false;

  // disconnect control
  controlMode = 2;
  controlState: 0 | 1 | 2 = 1;
  outputState = true;
  relay = true;

  // limiter (scaler 1: raw × 10 W)
  scaler = 1;
  /** The meter answers limiter writes but keeps its values. */
  limiterIgnoresWrites = false;
  limiter = {
    thresholdNormal: 0,
    thresholdEmergency: 0,
    minOver: 0,
    minUnder: 0,
    profile: { id: 0, activation: 0, duration: 0 },
    groupIds: [] as number[],
  };

  // calendar
  passive: ActivityCalendar | null = null;
  active: ActivityCalendar | null = null;
  /** activate_passive_calendar_time as the driver was given it (an instant or a date-time). */
  activationTime: CosemDateTime | number | null = null;
  /** Seasons the meter keeps (a smaller meter drops the rest silently). */
  seasonCapacity = 32;
  specialDays: SpecialDay[] | null = [];

  // clock
  offsetMs = 0;
  clockSettings: ClockSettings = {
    timeZone: 0,
    daylightSavingsBegin: dateTime(Date.UTC(2027, 2, 28, 2)),
    daylightSavingsEnd: dateTime(Date.UTC(2027, 9, 31, 3)),
    daylightSavingsDeviation: 60,
    daylightSavingsEnabled: false,
  };

  // image transfer
  blockSize = 64;
  maxBlock = 200;
  transferEnabled = false;
  imageStatus: ImageTransferStatus = 0;
  imageIdentifier: Uint8Array = new Uint8Array();
  imageSize = 0;
  blocks = new Map<number, Uint8Array>();
  loseBlocks = new Set<number>();
  activeFirmware = '1.0';
  /** Image identifier → the firmware identifier it reports once active. */
  versions = new Map<string, string>();
  /** Status reads a verification or activation stays in progress. */
  busyReads = 2;
  #busyLeft = 0;
  /** The meter restarts on activation: the link drops after image_activate. */
  restartsOnActivate = false;
  offersActiveFirmware = true;
  /** The meter has an image activation schedule (single-action schedule 0.0.15.0.2.255). */
  offersSchedule = false;
  /** The schedule runs image_activate at its time (false: a meter whose schedule never fires). */
  scheduleRuns = true;
  /** How the meter answers a schedule write: keeps it, refuses it, or keeps another time (read back differs). */
  scheduleAnswer: 'ok' | 'refused' | 'other-time' = 'ok';
  /** execution_time the schedule holds. */
  scheduledActivation: number | undefined = undefined;

  // security
  keys: Record<'gak' | 'guek', Uint8Array> = {
    gak: new Uint8Array(16).fill(1),
    guek: new Uint8Array(16).fill(2),
  };
  kek = new Uint8Array(16).fill(9);
  /** The meter keeps its current key although it answers the transfer (a faulty meter). */
  ignoresKeyTransfer = false;
  policy = 1;
  /** The meter's own invocation counter (restarts when the encryption key changes). */
  ic = 1000;

  // push
  push: PushSetupRead = {
    pushObjectList: [],
    sendDestinationAndMethod: {
      transportService: { value: 0, name: 'TCP' },
      destination: new Uint8Array(),
      destinationText: '',
      message: { value: 0, name: 'A-XDR' },
    },
    communicationWindow: [],
    randomisationStartInterval: 0,
    numberOfRetries: 0,
    repetitionDelay: { kind: 'fixed', seconds: 0 },
  } as unknown as PushSetupRead;

  readonly time: VirtualTime;

  constructor(time: VirtualTime) {
    this.time = time;
  }

  count(name: string): number {
    return this.methods.get(name) ?? 0;
  }

  /** Applies the fault plan around one request; `act` is what the meter does. */
  request<T>(name: Request, act: () => T): T {
    const n = (this.seen.get(name) ?? 0) + 1;
    this.seen.set(name, n);
    const i = this.faults.findIndex((f) => f.request === name && (f.nth ?? 1) === n);
    const fault = i >= 0 ? this.faults.splice(i, 1)[0] : undefined;
    if (this.linkDown || fault?.when === 'before') {
      if (fault !== undefined) this.linkDown = true;
      throw linkDrop(name);
    }
    const out = act();
    if (fault?.when === 'after') {
      this.linkDown = true;
      throw linkDrop(name);
    }
    return out;
  }

  method(name: Request, act: () => void): void {
    this.request(name, () => {
      this.methods.set(name, this.count(name) + 1);
      act();
    });
  }

  meterTime(): number {
    return this.time.now() + this.offsetMs;
  }

  emergencyActive(): boolean {
    const p = this.limiter.profile;
    const now = this.meterTime();
    return (
      this.limiter.groupIds.includes(p.id) && now >= p.activation && now < p.activation + p.duration * 1000
    );
  }

  /** The schedule runs once at its time, on a verified image only. */
  settleSchedule(): void {
    const at = this.scheduledActivation;
    if (at === undefined || !this.scheduleRuns || this.meterTime() < at) return;
    this.scheduledActivation = undefined;
    if (this.imageStatus !== 3) return;
    this.imageStatus = 6;
    this.activeFirmware = this.versions.get(latin1(this.imageIdentifier)) ?? 'unknown';
  }

  /** A status read while the meter verifies or activates. */
  readStatus(): ImageTransferStatus {
    this.settleSchedule();
    if (this.imageStatus === 2 || this.imageStatus === 5) {
      if (this.#busyLeft > 0) this.#busyLeft--;
      else if (this.imageStatus === 2) this.imageStatus = this.imageVerifies() ? 3 : 4;
      else {
        this.imageStatus = 6;
        this.activeFirmware = this.versions.get(latin1(this.imageIdentifier)) ?? 'unknown';
      }
    }
    return this.imageStatus;
  }

  startBusy(): void {
    this.#busyLeft = this.busyReads;
  }

  imageBytes(): Uint8Array {
    const out = new Uint8Array(this.imageSize);
    for (const [n, b] of this.blocks) out.set(b, n * this.blockSize);
    return out;
  }

  imageVerifies(): boolean {
    const count = Math.ceil(this.imageSize / this.blockSize);
    if (this.blocks.size !== count) return false;
    return latin1(this.imageBytes().subarray(0, 4)) === MAGIC_GOOD;
  }

  firstMissing(): number {
    const count = Math.ceil(this.imageSize / this.blockSize);
    for (let i = 0; i < count; i++) if (!this.blocks.has(i)) return i;
    return count;
  }
}

function latin1(b: Uint8Array): string {
  return String.fromCharCode(...b);
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The driver over a FakeMeter for one session. */
export function fakeDriver(meter: FakeMeter, meterId: number): MeterDriver {
  const m = meter;
  const state = (): DisconnectorState => ({
    outputState: m.outputState,
    controlState: m.controlState,
    controlMode: m.controlMode,
    armed: m.controlState === 2 && !m.outputState,
  });
  const reading = (): ClockReading => {
    const localTime = m.time.now();
    const meterTime = m.meterTime();
    return { meterTime, localTime, driftMs: meterTime - localTime };
  };
  const forbids = (transition: string) =>
    new DriverError(
      DriverErrorCode.ModeForbids,
      `control mode ${m.controlMode} forbids remote ${transition}`,
      {
        retryable: false,
        detail: { mode: m.controlMode, transition, controlState: m.controlState },
      },
    );
  const view = (): LimiterView => ({
    raw: {
      minOverThresholdDuration: m.limiter.minOver,
      minUnderThresholdDuration: m.limiter.minUnder,
    } as unknown as LimiterView['raw'],
    scaler: m.scaler,
    unit: 'W',
    thresholdActive:
      (m.emergencyActive() ? m.limiter.thresholdEmergency : m.limiter.thresholdNormal) * 10 ** m.scaler,
    thresholdNormal: m.limiter.thresholdNormal * 10 ** m.scaler,
    thresholdEmergency: m.limiter.thresholdEmergency * 10 ** m.scaler,
    emergencyProfile: {
      id: m.limiter.profile.id,
      activationTime: dateTime(m.limiter.profile.activation),
      duration: m.limiter.profile.duration,
    },
    emergencyProfileGroupIds: [...m.limiter.groupIds],
    emergencyProfileActive: m.emergencyActive(),
  });
  const raw = (physical: number) => Math.round(physical / 10 ** m.scaler);
  const imageState = (): ImageTransferState => {
    const count = m.imageSize === 0 ? 0 : Math.ceil(m.imageSize / m.blockSize);
    return {
      blockSize: m.blockSize,
      transferredBlocks: [...m.blocks.keys()].filter((n) => n < count).sort((a, b) => a - b),
      firstMissingBlock: m.firstMissing(),
      enabled: m.transferEnabled,
      status: m.readStatus(),
      toActivate:
        m.imageStatus >= 3
          ? [{ size: m.imageSize, identification: m.imageIdentifier, signature: new Uint8Array() }]
          : [],
    };
  };
  const keyName: Record<GlobalKey, 'gak' | 'guek' | null> = {
    authentication: 'gak',
    unicastEncryption: 'guek',
    broadcastEncryption: null,
    master: null,
  };

  const firmware = {
    readImageTransfer: async () => m.request('read', imageState),
    readImageStatus: async () => m.readStatus(),
    maxBlockSize: () => m.maxBlock,
    enableImageTransfer: async (enabled: boolean) => {
      m.transferEnabled = enabled;
    },
    initiateImage: async (image: { identifier: Uint8Array; size: number }) => {
      m.method('image_transfer_initiate', () => {
        if (!m.transferEnabled) throw new DriverError(DriverErrorCode.Refused, 'image transfer not enabled');
        m.imageIdentifier = image.identifier;
        m.imageSize = image.size;
        m.blocks.clear();
        m.imageStatus = 1;
      });
    },
    transferBlock: async (block: { number: number; value: Uint8Array }) => {
      if (block.value.length > m.maxBlock) throw new DriverError(DriverErrorCode.Invalid, 'block too large');
      m.method('image_block_transfer', () => {
        if (m.imageStatus !== 1) throw new DriverError(DriverErrorCode.Refused, 'no transfer initiated');
        if (m.loseBlocks.delete(block.number)) return;
        m.blocks.set(block.number, Uint8Array.from(block.value));
      });
    },
    verifyImage: async () => {
      m.method('image_verify', () => {
        if (m.imageStatus !== 1 && m.imageStatus !== 4)
          throw new DriverError(DriverErrorCode.Refused, 'nothing to verify');
        m.imageStatus = 2;
        m.startBusy();
      });
      throw new DriverError(DriverErrorCode.TemporaryFailure, 'verification under way');
    },
    activateImage: async () => {
      m.method('image_activate', () => {
        if (m.imageStatus !== 3) throw new DriverError(DriverErrorCode.Refused, 'image not verified');
        m.imageStatus = 5;
        m.startBusy();
      });
      if (m.restartsOnActivate) {
        m.readStatus();
        while (m.imageStatus === 5) m.readStatus();
        m.linkDown = true;
        throw linkDrop('meter restarting');
      }
      throw new DriverError(DriverErrorCode.TemporaryFailure, 'activation under way');
    },
  };

  const driver: MeterDriver = {
    meterId,
    stats: { requests: 0, bytesIn: 0, bytesOut: 0 },
    open: async () => undefined,
    close: async () => undefined,
    readRegisters: async () =>
      m.request('readRegisters', () => [
        {
          channel: { obis: '1.0.1.8.0.255', kind: 'register', unit: 'Wh', scaler: 0 } as never,
          ts: m.time.now(),
          value: 123_456,
        },
      ]),
    readInstantaneous: async () => [],
    readProfile: async () => [],
    readEvents: async () => [],
    readClock: async () => m.request('read', reading),
    setClock: async (at) => {
      m.method('set_time', () => {
        m.offsetMs = at - m.time.now();
      });
    },
    ...(m.relay
      ? {
          supply: {
            readDisconnector: async () => m.request('read', state),
            disconnect: async (): Promise<SupplyOutcome> => {
              const s = state();
              if (m.controlMode === 0) throw forbids('disconnect');
              if (s.controlState === 0) return { ...s, sent: false };
              m.method('remote_disconnect', () => {
                m.controlState = 0;
                m.outputState = false;
              });
              return { ...state(), sent: true };
            },
            reconnect: async (): Promise<SupplyOutcome> => {
              const s = state();
              const arms = [1, 3, 5, 6].includes(m.controlMode);
              if (m.controlMode === 0) throw forbids('reconnect');
              if (s.controlState === 1 || (s.controlState === 2 && arms)) return { ...s, sent: false };
              m.method('remote_reconnect', () => {
                m.controlState = arms ? 2 : 1;
                m.outputState = !arms;
              });
              return { ...state(), sent: true };
            },
          },
        }
      : {}),
    limiter: {
      readLimiter: async () => view().raw,
      setLimiter: async () => view().raw,
      readLimits: async () => view(),
      setLimits: async (s) => {
        if (m.limiterIgnoresWrites) return view();
        if (s.thresholdNormal !== undefined) m.limiter.thresholdNormal = raw(s.thresholdNormal);
        if (s.thresholdEmergency !== undefined) m.limiter.thresholdEmergency = raw(s.thresholdEmergency);
        if (s.minOverThresholdDuration !== undefined) m.limiter.minOver = s.minOverThresholdDuration;
        if (s.minUnderThresholdDuration !== undefined) m.limiter.minUnder = s.minUnderThresholdDuration;
        return view();
      },
      activateEmergency: async (a) => {
        if (a.thresholdEmergency !== undefined) m.limiter.thresholdEmergency = raw(a.thresholdEmergency);
        m.limiter.profile = { id: a.profileId, activation: a.activateAt, duration: a.durationSeconds };
        m.limiter.groupIds = [...(a.groupIds ?? [a.profileId])];
        return view();
      },
      clearEmergency: async () => {
        m.limiter.groupIds = [];
        return view();
      },
    },
    tariff: {
      readActiveCalendar: async () => structuredClone(m.active as ActivityCalendar),
      readPassiveCalendar: async () => structuredClone(m.passive as ActivityCalendar),
      programCalendar: async (calendar, activation) => {
        const kept = {
          ...structuredClone(calendar),
          seasonProfile: calendar.seasonProfile.slice(0, m.seasonCapacity),
        };
        m.passive = kept;
        if (activation.kind === 'now') m.active = structuredClone(kept);
        else m.activationTime = activation.time;
        return {
          passive: structuredClone(m.passive),
          active: structuredClone(m.active ?? kept),
          activationTime:
            typeof m.activationTime === 'number'
              ? dateTime(m.activationTime)
              : (m.activationTime ?? dateTime(0)),
        };
      },
      ...(m.specialDays !== null
        ? {
            setSpecialDays: async (days: readonly SpecialDay[]) => {
              m.specialDays = structuredClone([...days]);
              return structuredClone(m.specialDays);
            },
            readSpecialDays: async () => structuredClone(m.specialDays ?? []),
          }
        : {}),
    },
    clock: {
      readClockState: async () =>
        ({ ...m.clockSettings, time: dateTime(m.meterTime()), meterTime: m.meterTime() }) as never,
      shiftTime: async (seconds) => {
        if (Math.abs(seconds) > 900)
          throw new DriverError(DriverErrorCode.Invalid, 'shift_time outside ±900 s');
        m.method('shift_time', () => {
          m.offsetMs += seconds * 1000;
        });
        return reading();
      },
      setTime: async (at) => {
        m.method('set_time', () => {
          m.offsetMs = at - m.time.now();
        });
        return reading();
      },
      setClockSettings: async (s) => {
        m.clockSettings = { ...m.clockSettings, ...structuredClone(s) };
        return { ...m.clockSettings, time: dateTime(m.meterTime()), meterTime: m.meterTime() } as never;
      },
    },
    firmware: {
      ...firmware,
      ...(m.offersActiveFirmware
        ? {
            readActiveFirmware: async () =>
              m.request('read', () => {
                m.settleSchedule();
                return m.activeFirmware;
              }),
          }
        : {}),
      ...(m.offersSchedule
        ? {
            scheduleActivation: async (at: number) => {
              const held = Math.ceil(at / 1000) * 1000;
              if (held <= m.meterTime()) throw new DriverError(DriverErrorCode.Invalid, 'not in the future');
              m.method('image_schedule', () => {
                if (m.scheduleAnswer === 'refused')
                  throw new DriverError(DriverErrorCode.Refused, 'execution_time write refused');
                m.scheduledActivation = m.scheduleAnswer === 'other-time' ? held + 3_600_000 : held;
              });
              if (m.scheduleAnswer === 'other-time')
                throw new DriverError(DriverErrorCode.ReadbackMismatch, 'execution_time read back differs');
              return held;
            },
            readActivationSchedule: async () => m.request('read', () => m.scheduledActivation),
            cancelActivationSchedule: async () => {
              m.method('image_schedule', () => {
                m.scheduledActivation = undefined;
              });
            },
          }
        : {}),
    },
    keys: {
      transferKey: async () => {
        throw new DriverError(DriverErrorCode.Unsupported, 'wrapped transfer not modelled');
      },
      changeKey: async (key, newKey, kek) => {
        const name = keyName[key];
        if (name === null) throw new DriverError(DriverErrorCode.Invalid, `key ${key} not rotated here`);
        m.method('global_key_transfer', () => {
          if (!same(kek, m.kek)) throw new DriverError(DriverErrorCode.Refused, 'key unwrap failed');
          if (m.ignoresKeyTransfer) return;
          m.keys[name] = Uint8Array.from(newKey);
          if (name === 'guek') m.ic = 0;
        });
      },
      activateSecurity: async (policy) => {
        m.method('security_activate', () => {
          m.policy = policy;
        });
      },
      readSecuritySetup: async () => ({
        policy: m.policy,
        suite: 0,
        clientSystemTitle: new Uint8Array(8),
        serverSystemTitle: new Uint8Array(8),
      }),
    },
    push: {
      objects: ['0.0.25.9.0.255', '0.4.25.9.0.255'],
      readPushSetup: async () => structuredClone(m.push),
      setPushSetup: async (s: PushSettings) => {
        const p = m.push;
        if (typeof s.destination === 'string') {
          p.sendDestinationAndMethod.destinationText = s.destination;
          p.sendDestinationAndMethod.destination = Uint8Array.from(s.destination, (c) => c.charCodeAt(0));
        }
        if (s.communicationWindow !== undefined)
          p.communicationWindow = s.communicationWindow.map((w) => ({
            start: typeof w.start === 'number' ? dateTime(w.start) : w.start,
            end: typeof w.end === 'number' ? dateTime(w.end) : w.end,
          }));
        if (s.randomisationStartInterval !== undefined)
          p.randomisationStartInterval = s.randomisationStartInterval;
        if (s.numberOfRetries !== undefined) p.numberOfRetries = s.numberOfRetries;
        if (typeof s.repetitionDelay === 'number')
          p.repetitionDelay = { kind: 'fixed', seconds: s.repetitionDelay };
        return structuredClone(p);
      },
    },
  };
  return driver;
}

// ---------------------------------------------------------------------------------------
// The context an operation runs in, as the runner builds it

export class MemoryVault implements SecretVault {
  readonly kekId = 'test';
  readonly current = new Map<string, Uint8Array>();
  readonly pending = new Map<string, Uint8Array>();
  #version = 0;

  static key(meterId: number, purpose: KeyPurpose): string {
    return `${meterId}/${purpose}`;
  }
  async put(meterId: number, purpose: KeyPurpose, secret: Uint8Array): Promise<string> {
    this.current.set(MemoryVault.key(meterId, purpose), Uint8Array.from(secret));
    return `ref-${purpose}-${++this.#version}`;
  }
  async get(meterId: number, purpose: KeyPurpose): Promise<Uint8Array | null> {
    return this.current.get(MemoryVault.key(meterId, purpose)) ?? null;
  }
  async putPending(meterId: number, purpose: KeyPurpose, secret: Uint8Array): Promise<void> {
    this.pending.set(MemoryVault.key(meterId, purpose), Uint8Array.from(secret));
  }
  async getPending(meterId: number, purpose: KeyPurpose): Promise<Uint8Array | null> {
    return this.pending.get(MemoryVault.key(meterId, purpose)) ?? null;
  }
  async promotePending(meterId: number, purpose: KeyPurpose): Promise<string | null> {
    const k = MemoryVault.key(meterId, purpose);
    const p = this.pending.get(k);
    if (p === undefined) return null;
    this.pending.delete(k);
    return this.put(meterId, purpose, p);
  }
  async discardPending(meterId: number, purpose: KeyPurpose): Promise<void> {
    this.pending.delete(MemoryVault.key(meterId, purpose));
  }
}

export class MemoryCounters implements InvocationCounterStore {
  readonly values = new Map<string, number>();
  static key(k: CounterKey): string {
    return `${k.meterId}/${k.direction}/${k.purpose}`;
  }
  async reserve(k: CounterKey, count: number): Promise<number> {
    const v = this.values.get(MemoryCounters.key(k)) ?? 0;
    this.values.set(MemoryCounters.key(k), v + count);
    return v + 1;
  }
  async accept(k: CounterKey, value: number): Promise<boolean> {
    const v = this.values.get(MemoryCounters.key(k));
    if (v !== undefined && value <= v) return false;
    this.values.set(MemoryCounters.key(k), value);
    return true;
  }
  async current(k: CounterKey): Promise<number | null> {
    return this.values.get(MemoryCounters.key(k)) ?? null;
  }
  async resetReceived(k: CounterKey, value: number): Promise<number | null> {
    const v = this.values.get(MemoryCounters.key(k)) ?? null;
    this.values.set(MemoryCounters.key(k), value);
    return v;
  }
}

export class MemoryImages implements FirmwareImageStore {
  readonly images = new Map<number, { image: FirmwareImage; bytes: Uint8Array }>();
  add(identifier: string, version: string, bytes: Uint8Array, deviceProfiles: string[] = []): FirmwareImage {
    const id = this.images.size + 1;
    const image: FirmwareImage = {
      id,
      identifier,
      version,
      deviceProfiles,
      uploadedBy: 'test',
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      uploadedAt: 0,
    };
    this.images.set(id, { image, bytes });
    return image;
  }
  async put(): Promise<FirmwareImage> {
    throw new Error('not used');
  }
  async get(id: number): Promise<FirmwareImage | null> {
    return this.images.get(id)?.image ?? null;
  }
  async bytes(id: number): Promise<Uint8Array | null> {
    return this.images.get(id)?.bytes ?? null;
  }
  async list(): Promise<never> {
    throw new Error('not used');
  }
  async delete(): Promise<void> {}
}

export const METER: Meter = {
  id: 7,
  serial: 'S7',
  manufacturer: 'ACME',
  model: 'M1',
  deviceProfile: 'is15959-1ph',
  protocol: 'dlms-tcp',
  address: '127.0.0.1:4059',
  keyRefs: { gak: 'ref-gak-0', guek: 'ref-guek-0' },
  status: 'active',
  customerClass: 'residential',
  tariff: null,
  paymentMode: 'prepaid',
  servicePointId: null,
  sectionId: null,
  firmwareVersion: '1.0',
  tags: [],
  segment: null,
  createdAt: 0,
  updatedAt: 0,
};

/** One command run by a runner-like loop over a fake meter: attempts, progress, sessions. */
export class Harness {
  readonly time = new VirtualTime();
  readonly meter = new FakeMeter(this.time);
  readonly vault = new MemoryVault();
  readonly counters = new MemoryCounters();
  readonly images = new MemoryImages();
  readonly stored: unknown[] = [];
  readonly progressLog: Record<string, unknown>[] = [];
  readonly sessionKeys: (SessionKeys | undefined)[] = [];
  /** retryAt of every wait an operation asked for. */
  readonly waits: number[] = [];
  command: Command;

  constructor(kind: CommandKind, parameters: Record<string, unknown> = {}) {
    this.command = {
      id: 1,
      kind,
      meterId: METER.id,
      campaignId: null,
      parameters,
      reason: 'test',
      priority: 'normal',
      state: 'sending',
      attempts: 0,
      deadline: null,
      requestedBy: 'tester',
      requestedFrom: 'cli',
      approvedBy: null,
      progress: null,
      result: null,
      error: null,
      createdAt: 0,
      updatedAt: 0,
      history: [],
    };
    this.vault.current.set(MemoryVault.key(METER.id, 'gak'), Uint8Array.from(this.meter.keys.gak));
    this.vault.current.set(MemoryVault.key(METER.id, 'guek'), Uint8Array.from(this.meter.keys.guek));
    this.vault.current.set(MemoryVault.key(METER.id, 'kek'), Uint8Array.from(this.meter.kek));
  }

  /** The link comes back (between attempts). */
  reconnect(): void {
    this.meter.linkDown = false;
  }

  context(): OperationContext {
    const m = this.meter;
    this.command = { ...this.command, attempts: this.command.attempts + 1 };
    const command = this.command;
    return {
      command,
      meter: METER,
      attempt: command.attempts,
      session: async <T>(work: (driver: MeterDriver) => Promise<T>, keys?: SessionKeys): Promise<T> => {
        this.sessionKeys.push(keys);
        if (m.linkDown) throw linkDrop('connect');
        for (const purpose of ['gak', 'guek'] as const) {
          const use =
            keys?.[purpose] === 'pending'
              ? await this.vault.getPending(METER.id, purpose)
              : await this.vault.get(METER.id, purpose);
          if (use === null || !same(use, m.keys[purpose]))
            throw new DriverError(DriverErrorCode.AssociationRejected, 'association rejected (keys)', {
              retryable: false,
            });
        }
        // The meter's responses carry its counter; the head end's replay floor refuses old ones.
        m.ic++;
        if (!(await this.counters.accept({ meterId: METER.id, direction: 'rx', purpose: 'guek' }, m.ic)))
          throw new DriverError(DriverErrorCode.Replay, `meter counter ${m.ic} not above the floor`);
        m.sessions++;
        return work(fakeDriver(m, METER.id));
      },
      saveProgress: async (p) => {
        this.progressLog.push(p);
        this.command = { ...this.command, progress: { ...(this.command.progress ?? {}), ...p } };
      },
      storeReadings: async (values) => {
        this.stored.push(...values);
      },
      recordEvent: async () => undefined,
      images: this.images,
      vault: this.vault,
      counters: this.counters,
      now: this.time.now,
      sleep: this.time.sleep,
      random: () => 0.5,
    };
  }

  /** One attempt. */
  async attempt(op: Operation): Promise<OperationOutcome> {
    return op(this.context());
  }

  /**
   * Attempts as the runner makes them: a retryable failure is retried (the link restored,
   * progress kept) up to `max` attempts; the last failure is thrown.
   */
  async run(op: Operation, max = 5): Promise<OperationOutcome> {
    for (;;) {
      try {
        return await this.attempt(op);
      } catch (e) {
        const { retryable, retryAt } = e as { retryable?: boolean; retryAt?: number };
        if (retryAt !== undefined) {
          // As the runner: a wait, not an attempt; the command comes back at retryAt.
          this.waits.push(retryAt);
          this.command = { ...this.command, attempts: this.command.attempts - 1 };
          this.time.t = Math.max(this.time.t, retryAt);
          continue;
        }
        if (retryable !== true || this.command.attempts >= max) throw e;
        this.reconnect();
      }
    }
  }
}

/** An image of `size` bytes that verifies (magic prefix) unless `corrupt`. */
export function imageBytes(size: number, corrupt = false): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 7 + 3) & 0xff;
  b.set(
    Array.from(corrupt ? 'FWXX' : MAGIC_GOOD, (c) => c.charCodeAt(0)),
    0,
  );
  return b;
}
