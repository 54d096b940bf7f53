import type { CollectedValue, Instant, TimeRange } from '@openhes/core';
import {
  applyScaler,
  ClassId,
  decodeScalerUnit,
  formatObis,
  parseObis,
  type ScalerUnit,
  scalerUnitAttribute,
  unitSymbol,
} from '@openhes/cosem';
import { type DlmsData, dateTimeToOctets, fromHex } from '@openhes/dlms';
import type { DlmsClientOptions, FrameTrace } from '@openhes/transport';
import { type CapabilityObject, capabilityObject, roleObject } from '../capabilities.ts';
import type {
  ClockControl,
  ClockReading,
  ControlCapability,
  DriverEvent,
  DriverStats,
  FirmwareTransfer,
  KeyChange,
  LoadLimiting,
  MeterDriver,
  ProfileKind,
  PushConfiguration,
  SupplyControl,
  TariffProgramming,
} from '../driver.ts';
import { DriverError, DriverErrorCode, isDriverError, toDriverError, unsupported } from '../errors.ts';
import {
  chooseAssociation,
  type DriverProfile,
  eventLogObjects,
  firmwareVersionObject,
  imageActivationSchedule,
  instantaneousObjects,
  type MeterSecrets,
  type ProfileAssociation,
  type ProfileObject,
  profileObject,
  registerObjects,
} from '../profile.ts';
import { connectDlmsClient, type DlmsClientPort, type DlmsConnector } from './client-port.ts';
import { DlmsClockControl, readClockOn } from './clock.ts';
import { DlmsLoadLimiting, type DlmsOperation, DlmsSupplyControl } from './control.ts';
import {
  CounterLease,
  type CounterSource,
  type ReceivedCounterSource,
  ReceivedCounterWatch,
} from './counters.ts';
import { DlmsFirmwareTransfer, maxImageBlockSize } from './firmware.ts';
import { DlmsKeyChange } from './keys.ts';
import type { ModelCache } from './model-cache.ts';
import { readProfileRows, rowsToValues } from './profile-read.ts';
import { DlmsPushConfiguration } from './push-setup.ts';
import { DlmsTariffProgramming } from './tariff.ts';
import { meterDateTime, meterInstant, sameMeterTime } from './time.ts';

const CLOCK_OBIS = '0.0.1.0.0.255';
/** Items per GET-with-list request: keeps requests and responses well inside small meter PDUs. */
const LIST_CHUNK = 16;
/** Counters a session must hold before each read (block transfer spends one per request). */
const COUNTER_HEADROOM = 512;

export interface DlmsEndpoint {
  transport: 'tcp' | 'udp';
  host: string;
  port: number;
  /** Wrapper: server wPort; HDLC: upper address. Default: the device profile's. */
  logical?: number;
  /** HDLC lower (physical) address. */
  physical?: number;
}

export interface DlmsDriverConfig {
  meterId: number;
  profile: DriverProfile;
  endpoint: DlmsEndpoint;
  secrets: MeterSecrets;
  /** Shared by every driver of the process. */
  cache: ModelCache;
  /** Our system title (8 bytes), for ciphered associations. */
  clientSystemTitle?: Uint8Array;
  /** Association key of the device profile; default the strongest the secrets allow. */
  association?: string;
  /** Required for ciphered associations. */
  counters?: CounterSource;
  /**
   * The highest invocation counter accepted from the meter, persisted across sessions and
   * shared with its pushes. With it, an authenticated association refuses any APDU at or below
   * the value loaded at open (DRIVER_REPLAY) and writes the highest it accepted back at close.
   */
  received?: ReceivedCounterSource;
  /** Told of each refused replay before the error leaves the driver (to audit it); may not throw. */
  onReplay?: (error: DriverError) => Promise<void> | void;
  connectTimeoutMs?: number;
  /** Silence allowed from the meter while a response is due (each frame re-arms it). */
  responseTimeoutMs?: number;
  /** Cap on one whole response however steadily it arrives; default none. */
  maxResponseMs?: number;
  connect?: DlmsConnector;
  now?: () => Instant;
  /**
   * Told of what the session tolerated from the meter (an invoke-id mismatch while one request
   * was outstanding, a late response, a link warning): field tolerance is never silent.
   */
  onWarning?: (warning: { code: string; message: string }) => void;
}

const DEFAULT_CLIENT_TITLE = Uint8Array.from([0x4f, 0x48, 0x45, 0x53, 0, 0, 0, 1]);

/** A client system title from its hex form (8 bytes), as configuration gives it. */
export function systemTitleFromHex(hex: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = fromHex(hex);
  } catch (e) {
    throw new DriverError(DriverErrorCode.Configuration, `system title '${hex}' is not hex`, { cause: e });
  }
  if (bytes.length !== 8)
    throw new DriverError(
      DriverErrorCode.Configuration,
      `a system title is 8 bytes, '${hex}' is ${bytes.length}`,
    );
  return bytes;
}

/** The association a session of this driver would open; undefined if none is usable (open fails). */
function sessionAssociation(
  p: DriverProfile,
  secrets: MeterSecrets,
  key: string | undefined,
): ProfileAssociation | undefined {
  try {
    return chooseAssociation(p, secrets, key);
  } catch (e) {
    if (isDriverError(e)) return undefined;
    throw e;
  }
}

/**
 * The object of a control capability this session may drive: the model has it and the
 * session's association is the one the profile names for it (without a name: one with full rights).
 */
function controllable(
  p: DriverProfile,
  c: ControlCapability,
  session: ProfileAssociation | undefined,
): CapabilityObject | undefined {
  const o = capabilityObject(p, c);
  if (o === undefined || session === undefined) return undefined;
  const allowed = o.association === undefined ? session.rights === 'full' : o.association.key === session.key;
  return allowed ? o : undefined;
}

/**
 * A DLMS/COSEM meter read and controlled through the device profile of its model. Offers
 * reading and clock, and each control capability (supply, limiter, tariff, clock, firmware,
 * keys, push) where the model has the object it drives and the session's association may use it.
 */
export class DlmsDriver implements MeterDriver {
  readonly meterId: number;
  readonly stats: DriverStats = { requests: 0, bytesIn: 0, bytesOut: 0 };
  readonly supply: SupplyControl | undefined;
  readonly limiter: LoadLimiting | undefined;
  readonly tariff: TariffProgramming | undefined;
  readonly clock: ClockControl | undefined;
  readonly firmware: FirmwareTransfer | undefined;
  readonly keys: KeyChange | undefined;
  readonly push: PushConfiguration | undefined;
  readonly #forget: (() => void)[] = [];
  readonly #c: DlmsDriverConfig;
  readonly #now: () => Instant;
  #client: DlmsClientPort | undefined;
  #lease: CounterLease | undefined;
  #received: ReceivedCounterWatch | undefined;

  constructor(config: DlmsDriverConfig) {
    this.meterId = config.meterId;
    this.#c = config;
    this.#now = config.now ?? Date.now;
    const p = config.profile;
    const op: DlmsOperation = (fn) => this.#op(fn);
    // Control goes over the session's association: offered only where that one may use the object.
    const session = sessionAssociation(p, config.secrets, config.association);
    const meterTime = (at: Instant) => meterDateTime(at, p);
    const supply = controllable(p, 'supply', session);
    if (supply !== undefined) {
      const s = new DlmsSupplyControl(op, supply.obis);
      this.#forget.push(() => s.forget());
      this.supply = s;
    }
    const limiter = controllable(p, 'limiter', session);
    if (limiter !== undefined) {
      const l = new DlmsLoadLimiting(op, limiter.obis, meterTime, (a, b) => sameMeterTime(a, b, p));
      this.#forget.push(() => l.forget());
      this.limiter = l;
    }
    const tariff = controllable(p, 'tariff', session);
    if (tariff !== undefined) {
      const sd = roleObject(p, 'specialDays');
      const sdUsable =
        sd !== undefined &&
        session !== undefined &&
        (sd.association === undefined ? session.rights === 'full' : sd.association.key === session.key);
      this.tariff = new DlmsTariffProgramming(op, tariff.obis, sdUsable ? sd.obis : undefined, p);
    }
    const clock = controllable(p, 'clock', session);
    if (clock !== undefined) this.clock = new DlmsClockControl(op, clock.obis, p, this.#now);
    const firmware = controllable(p, 'firmware', session);
    if (firmware !== undefined) {
      // Ciphered whenever the association is (HLS-GMAC without a policy runs auth+enc, see options()).
      const ciphered =
        session !== undefined && (session.authentication === 'hls-gmac' || session.policy !== 'none');
      const version = firmwareVersionObject(p);
      const schedule = imageActivationSchedule(p);
      this.firmware = new DlmsFirmwareTransfer(
        op,
        firmware.obis,
        () => {
          const client = this.#client;
          if (!client) throw new DriverError(DriverErrorCode.State, 'driver is not open');
          return maxImageBlockSize(client.info?.serverMaxReceivePduSize ?? 0, ciphered);
        },
        {
          ...(version === undefined ? {} : { version: { obis: version.obis, classId: version.class } }),
          ...(schedule === undefined ? {} : { activationSchedule: schedule.obis }),
          meterTime,
          instantOf: (dt) => meterInstant(dt, p),
          now: this.#now,
        },
      );
    }
    const keys = controllable(p, 'keys', session);
    if (keys !== undefined) this.keys = new DlmsKeyChange(op, keys.obis);
    if (controllable(p, 'push', session) !== undefined) {
      const objects = p.objects.filter((o) => o.class === ClassId.PushSetup).map((o) => o.obis);
      this.push = new DlmsPushConfiguration(op, objects, meterTime);
    }
  }

  get profile(): DriverProfile {
    return this.#c.profile;
  }

  async options(): Promise<DlmsClientOptions> {
    const c = this.#c;
    const p = c.profile;
    const a = chooseAssociation(p, c.secrets, c.association);
    const logical = c.endpoint.logical ?? p.serverAddress;
    const trace = (f: FrameTrace): void => {
      if (f.direction === 'in') this.stats.bytesIn += f.bytes.length;
      else this.stats.bytesOut += f.bytes.length;
    };
    const options: DlmsClientOptions = {
      transport:
        c.endpoint.transport === 'udp'
          ? { kind: 'udp', host: c.endpoint.host, port: c.endpoint.port }
          : {
              kind: 'tcp',
              host: c.endpoint.host,
              port: c.endpoint.port,
              ...(c.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: c.connectTimeoutMs }),
            },
      link:
        p.framing === 'wrapper'
          ? { kind: 'wrapper', clientWPort: a.clientSap, serverWPort: logical }
          : {
              kind: 'hdlc',
              clientAddress: a.clientSap,
              serverAddress:
                c.endpoint.physical === undefined ? { logical } : { logical, physical: c.endpoint.physical },
            },
      association: {
        authentication: a.authentication,
        ...(a.authentication === 'low' && c.secrets.password !== undefined
          ? { password: c.secrets.password }
          : {}),
      },
      trace,
      ...(c.responseTimeoutMs === undefined ? {} : { responseTimeoutMs: c.responseTimeoutMs }),
      ...(c.maxResponseMs === undefined ? {} : { maxResponseMs: c.maxResponseMs }),
      ...(c.onWarning === undefined ? {} : { onWarning: c.onWarning }),
    };
    if (a.authentication === 'hls-gmac' || a.policy !== 'none') {
      const { ek, ak } = c.secrets;
      if (!ek || !ak) throw new DriverError(DriverErrorCode.Configuration, `meter ${this.meterId}: no keys`);
      if (!c.counters)
        throw new DriverError(
          DriverErrorCode.Configuration,
          'a ciphered association needs an invocation counter store',
        );
      const lease = new CounterLease(c.counters);
      this.#lease = lease;
      const first = await lease.start();
      const policy = a.policy === 'none' ? 'auth+enc' : a.policy;
      options.security = {
        systemTitle: c.clientSystemTitle ?? DEFAULT_CLIENT_TITLE,
        ek,
        ak,
        policy,
        invocationCounter: first,
        onCounter: (next) => lease.used(next),
      };
      // Without authentication a counter is forgeable: storing one could lock the meter out.
      if (c.received !== undefined && policy !== 'enc') {
        const watch = new ReceivedCounterWatch(c.received);
        this.#received = watch;
        const floor = await watch.start();
        if (floor !== undefined) options.security.lastReceived = floor;
        options.security.onReceived = (n) => watch.accepted(n);
      }
    }
    return options;
  }

  async open(): Promise<void> {
    if (this.#client) return;
    try {
      const options = await this.options();
      this.#client = await (this.#c.connect ?? connectDlmsClient)(options);
    } catch (e) {
      // What the association accepted before it failed was authenticated: keep it.
      await this.#received?.save().catch(() => {});
      throw await this.#failure(e);
    }
  }

  /** Releases the association, then stores the highest invocation counter the session accepted. */
  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    // What a session learnt about the meter (control mode, scalers) is read again in the next.
    for (const f of this.#forget) f();
    if (client) await client.end().catch(() => {});
    await this.#received?.save();
  }

  /** Any failure as a DriverError; a replay is reported first. */
  async #failure(e: unknown): Promise<DriverError> {
    const error = toDriverError(e);
    if (error.code === DriverErrorCode.Replay && this.#c.onReplay !== undefined) {
      try {
        await this.#c.onReplay(error);
      } catch {
        // The error itself still carries the replay to the caller.
      }
    }
    return error;
  }

  /** Runs one read on the open association; every failure leaves as a DriverError. */
  async #op<T>(fn: (client: DlmsClientPort) => Promise<T>): Promise<T> {
    const client = this.#client;
    if (!client) throw new DriverError(DriverErrorCode.State, 'driver is not open');
    try {
      await this.#lease?.ensure(COUNTER_HEADROOM);
      this.stats.requests++;
      return await fn(client);
    } catch (e) {
      throw await this.#failure(e);
    }
  }

  /** Values and scalers of class 1/3/4 objects with GET-with-list; scalers once per model. */
  async #readValues(
    objects: readonly ProfileObject[],
    kind: 'register' | 'instantaneous',
  ): Promise<CollectedValue[]> {
    const model = this.#c.profile.id;
    const cache = this.#c.cache;
    const ts = Math.floor(this.#now() / 1000) * 1000;
    return this.#op(async (client) => {
      const refs: { obis: string; classId: number; attr: number; scalerOf?: ProfileObject }[] = [];
      for (const o of objects) {
        refs.push({ obis: o.obis, classId: o.class, attr: 2 });
        const sa = scalerUnitAttribute(o.class, 2);
        if (sa !== undefined && cache.scaler(model, o.class, o.obis) === undefined)
          refs.push({ obis: o.obis, classId: o.class, attr: sa, scalerOf: o });
      }
      const values = new Map<string, DlmsData>();
      for (let i = 0; i < refs.length; i += LIST_CHUNK) {
        const chunk = refs.slice(i, i + LIST_CHUNK);
        const results = await client.getMany(chunk);
        chunk.forEach((r, j) => {
          const res = results[j];
          if (r.scalerOf)
            cache.setScaler(model, r.classId, r.obis, res?.ok ? decodeScalerUnit(res.value) : null);
          else if (res?.ok) values.set(`${r.classId}|${r.obis}`, res.value);
        });
      }
      const out: CollectedValue[] = [];
      for (const o of objects) {
        const d = values.get(`${o.class}|${o.obis}`);
        if (d === undefined || !('value' in d)) continue;
        if (typeof d.value !== 'number' && typeof d.value !== 'bigint') continue;
        const su: ScalerUnit | null | undefined = cache.scaler(model, o.class, o.obis);
        out.push({
          channel: {
            obis: formatObis(parseObis(o.obis)),
            attribute: 2,
            kind,
            unit: su ? (unitSymbol(su.unit) ?? '') : '',
            scaler: su?.scaler ?? 0,
            intervalSeconds: null,
          },
          ts,
          value: su ? applyScaler(d.value, su.scaler) : Number(d.value),
        });
      }
      return out;
    });
  }

  readRegisters(): Promise<CollectedValue[]> {
    return this.#readValues(registerObjects(this.#c.profile), 'register');
  }

  readInstantaneous(): Promise<CollectedValue[]> {
    return this.#readValues(instantaneousObjects(this.#c.profile), 'instantaneous');
  }

  async readProfile(kind: ProfileKind, range?: TimeRange): Promise<CollectedValue[]> {
    const p = this.#c.profile;
    const object = profileObject(p, kind);
    if (object === undefined) throw unsupported(`${kind} profile on model ${p.id}`);
    const rows = await this.#op((client) =>
      readProfileRows(client, this.#c.cache, p, object, range, this.#now()),
    );
    const period = object.profile?.capturePeriod ?? 0;
    return kind === 'block' ? rowsToValues(rows, 'interval', period) : rowsToValues(rows, 'register', null);
  }

  async readEvents(range: TimeRange): Promise<DriverEvent[]> {
    const p = this.#c.profile;
    const out: DriverEvent[] = [];
    for (const log of eventLogObjects(p)) {
      const rows = await this.#op((client) =>
        readProfileRows(client, this.#c.cache, p, log.object, range, this.#now()),
      );
      const codeColumn = rows.shape.captureObjects.findIndex(
        (co) => formatObis(co.logicalName) === log.log.codeObject,
      );
      if (codeColumn < 0) continue;
      for (const row of rows.rows) {
        const cell = row.cells[codeColumn];
        if (cell?.kind !== 'number') continue;
        const code = cell.value;
        out.push({
          log: log.object.obis,
          code,
          category: log.category,
          meterTime: row.at,
          description: log.log.codes[String(code)],
        });
      }
    }
    return out;
  }

  readClock(): Promise<ClockReading> {
    return this.#op((client) => readClockOn(client, CLOCK_OBIS, this.#c.profile, this.#now));
  }

  async setClock(at: Instant): Promise<void> {
    const value: DlmsData = {
      type: 'octet-string',
      value: dateTimeToOctets(meterDateTime(at, this.#c.profile)),
    };
    await this.#op((client) => client.set(CLOCK_OBIS, ClassId.Clock, 2, value));
  }
}
