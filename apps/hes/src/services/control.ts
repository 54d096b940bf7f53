import { commandSessions, MeterAccess, type MeterAccessOptions } from '@openhes/acquisition';
import { createMemoryEventBus, type OutboxRelay, startOutboxRelay } from '@openhes/bus';
import {
  type Control,
  type ControlOptions,
  ControlService,
  type ControlServiceOptions,
  createControl,
  type MeterSessions,
  memoryCounters,
  profileCapabilities,
  type SessionOptions,
  type TwinProvider,
} from '@openhes/control';
import {
  CodedError,
  type ControlPort,
  ErrorKind,
  formatMeterAddress,
  type KeyPurpose,
  type Meter,
  type SecretVault,
  type Store,
} from '@openhes/core';
import { toHex } from '@openhes/dlms';
import type { DriverProfile, MeterDriver } from '@openhes/drivers';
import {
  type DeviceProfile,
  type Fleet,
  issuedSecrets,
  loadProfiles,
  startFleet,
  systemTitleOf,
} from '@openhes/simulator';
import type { Wired } from '../wire.ts';
import type { RunningService, ServiceContext } from './context.ts';

// ---------------------------------------------------------------------------------------
// The control service of `hes start` and `hes collect`

export interface RunningControl extends RunningService {
  /** What the API and the CLI call. */
  service: ControlPort;
  /** Service, runner and relay watch; undefined in a process without the collector. */
  control: Control | undefined;
  /** The outbox relay feeding the relay watch (with the collector only). */
  relay?: OutboxRelay;
}

/** The environment variable of the two-person threshold (what `--approval-threshold` sets). */
export const APPROVAL_THRESHOLD_ENV = 'HES_CONTROL_APPROVAL_THRESHOLD';

/**
 * The control options of a `hes` process: the two-person threshold (a disconnect campaign
 * over more meters than this waits for a second user's approval) from `--approval-threshold`
 * (`flag`), else HES_CONTROL_APPROVAL_THRESHOLD, else the service's default (50). A value
 * that is not a whole number 0…10,000,000 is refused, naming where it came from.
 */
export function controlOptionsFrom(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): ControlServiceOptions {
  const fromEnv = env[APPROVAL_THRESHOLD_ENV];
  const [field, text] =
    flag !== undefined
      ? ['--approval-threshold', flag]
      : fromEnv !== undefined && fromEnv !== ''
        ? [APPROVAL_THRESHOLD_ENV, fromEnv]
        : [undefined, undefined];
  if (field === undefined || text === undefined) return {};
  const n = Number(text.trim());
  if (text.trim() === '' || !Number.isSafeInteger(n) || n < 0 || n > 10_000_000)
    throw new CodedError(
      ErrorKind.invalid,
      'CONTROL_INVALID',
      `${field} must be a whole number of meters 0…10000000, got "${text}"`,
      { detail: { field } },
    );
  return { approvalThreshold: n };
}

/**
 * Meter control without a runner: requests, approvals and cancellations are validated, stored
 * and audited; the process that runs the runner (the one with the collector) takes the
 * commands from the store. What an API-only process and the CLI use; `options` as the
 * runner's process has them (the approval threshold: see controlOptionsFrom).
 */
export function controlPortFor(
  wired: Pick<Wired, 'store' | 'profiles'>,
  options: ControlServiceOptions = {},
): ControlPort {
  return new ControlService(
    {
      store: wired.store,
      clock: { now: () => Date.now() },
      capabilitiesOf: profileCapabilities(wired.profiles),
    },
    options,
  );
}

/** The outbox relay that feeds the relay watch (its own cursor; one process relays at a time). */
export const CONTROL_OUTBOX_RELAY = 'control-relay-watch';

/**
 * The control service: in a process with the collector, the command runner (sessions through
 * the collector: one per meter, commands before reads), rehearsals on simulated twins, the
 * relay watch, and the service the API calls; commands a crash left sending are resumed at
 * start. The operations take their per-meter values (time sync's capture period, which key
 * changes restart the invocation counter) from each meter's device profile. The relay watch
 * is fed by an outbox relay of its own (the store announces every stored event there) onto a
 * bus of its own, so a relay change nobody ordered, once its event is read from the meter,
 * becomes an event of the head end's. Without the collector, the service alone (see
 * controlPortFor). `options` (runner, throttles, approval threshold) default to createControl's.
 */
export async function startControl(
  ctx: ServiceContext,
  options: ControlOptions = {},
): Promise<RunningControl> {
  const { wired, io } = ctx;
  if (ctx.collection === undefined) {
    const service = controlPortFor(wired, options);
    ctx.control = service;
    return { service, control: undefined, async stop() {} };
  }
  const bus = createMemoryEventBus({ onError: (e) => ctx.warn(e) });
  // The embedded store has one head end at a time (the data directory's lock): every command a
  // crash left sending is resumed at start, without waiting for its runner's beat to go stale.
  const embedded = wired.storeName !== 'postgres';
  const effective: ControlOptions =
    embedded && options.runner?.resumeStaleMs === undefined
      ? { ...options, runner: { ...options.runner, resumeStaleMs: 0 } }
      : options;
  const control = createControl(
    {
      store: wired.store,
      vault: wired.vault,
      sessions: commandSessions(ctx.collection.collector),
      twins: simulatorTwins({ store: wired.store, profiles: wired.profiles }),
      bus,
      capabilitiesOf: profileCapabilities(wired.profiles),
      profiles: wired.profiles,
    },
    effective,
  );
  const { resumed } = await control.start();
  let relay: OutboxRelay | undefined;
  try {
    relay = startOutboxRelay(wired.store.outbox, bus, {
      name: CONTROL_OUTBOX_RELAY,
      intervalMs: 500,
      leader: { lock: wired.leaderLock, holder: wired.holder, ttlMs: 10_000 },
      onError: (e) => ctx.warn(e),
    });
  } catch (e) {
    await control.stop();
    throw e;
  }
  if (resumed > 0) io.out(`control: resuming ${resumed} command(s) left unfinished`);
  ctx.control = control.service;
  return {
    service: control.service,
    control,
    relay,
    async stop() {
      await relay?.stop();
      await bus.drain();
      await control.stop();
    },
  };
}

// ---------------------------------------------------------------------------------------
// Rehearsals: simulated twins of real meters

/** Secrets of the twins, by the real meter's id; current and pending (a rehearsed key rotation). */
export class TwinVault implements SecretVault {
  readonly kekId = 'twins';
  readonly #current = new Map<string, Uint8Array>();
  readonly #pending = new Map<string, Uint8Array>();
  #version = 0;

  async put(meterId: number, purpose: KeyPurpose, secret: Uint8Array): Promise<string> {
    this.#current.set(`${meterId}|${purpose}`, new Uint8Array(secret));
    return `${purpose}@twin${++this.#version}`;
  }
  async get(meterId: number, purpose: KeyPurpose): Promise<Uint8Array | null> {
    return this.#current.get(`${meterId}|${purpose}`) ?? null;
  }
  async putPending(meterId: number, purpose: KeyPurpose, secret: Uint8Array): Promise<void> {
    this.#pending.set(`${meterId}|${purpose}`, new Uint8Array(secret));
  }
  async getPending(meterId: number, purpose: KeyPurpose): Promise<Uint8Array | null> {
    return this.#pending.get(`${meterId}|${purpose}`) ?? null;
  }
  async promotePending(meterId: number, purpose: KeyPurpose): Promise<string | null> {
    const k = `${meterId}|${purpose}`;
    const p = this.#pending.get(k);
    if (p === undefined) return null;
    this.#pending.delete(k);
    return this.put(meterId, purpose, p);
  }
  async discardPending(meterId: number, purpose: KeyPurpose): Promise<void> {
    this.#pending.delete(`${meterId}|${purpose}`);
  }
}

export interface AccessSessionsDeps {
  store: Pick<Store, 'meters' | 'keys' | 'counters' | 'audit'>;
  vault: SecretVault;
  profiles: ReadonlyMap<string, DriverProfile>;
  options?: MeterAccessOptions;
}

/**
 * Sessions straight over the driver stack (MeterAccess, the DLMS driver): one at a time per
 * meter in this process, opened and closed around `work`, on the pending keys of the purposes
 * `keys` names (a key rotation's confirming association). Used for the twins, which no
 * collector serves.
 */
export function accessSessions(deps: AccessSessionsDeps): MeterSessions {
  const access = new MeterAccess(deps.store, deps.vault, deps.profiles, deps.options);
  const busy = new Map<number, Promise<unknown>>();
  return {
    async withMeter<T>(
      meterId: number,
      options: SessionOptions,
      work: (driver: MeterDriver) => Promise<T>,
    ): Promise<T> {
      const before = busy.get(meterId) ?? Promise.resolve();
      const run = before
        .catch(() => {})
        .then(async () => {
          const driver = await access.driverFor(meterId, options.keys);
          await driver.open();
          try {
            return await work(driver);
          } finally {
            await driver.close().catch(() => {});
          }
        });
      busy.set(meterId, run);
      try {
        return await run;
      } finally {
        if (busy.get(meterId) === run) busy.delete(meterId);
      }
    },
  };
}

/** The relay state, control mode and firmware a twin starts with, as known of the real meter. */
export interface TwinSeed {
  controlMode?: number;
  /** The relay is open (the real meter is disconnected). */
  disconnected?: boolean;
  /** control_state ready_for_reconnection (armed, waiting for the button). */
  readyForReconnection?: boolean;
}

export interface SimulatorTwinsOptions {
  store: Store;
  profiles: ReadonlyMap<string, DriverProfile>;
  /** Device profile directory of the simulator (default: the bundled profiles). */
  profilesDir?: string;
  /** What else is known of a real meter (default: from its last connect/disconnect result and status). */
  seedOf?: (meter: Meter) => Promise<TwinSeed>;
  /** Driver options of the twins' sessions (timeouts). */
  access?: MeterAccessOptions;
}

/** A set of running twins: sessions under the real ids, the twins' keys, the fleets behind them. */
export interface TwinSet {
  sessions: MeterSessions;
  /** The twins' keys (by real meter id): a rehearsed key rotation keeps its pending keys here. */
  vault: TwinVault;
  /** The simulated fleets, one per device profile, and the twin index of each real meter. */
  fleets: { profile: string; fleet: Fleet; meterIds: number[] }[];
  twinOf(meterId: number): { fleet: Fleet; index: number } | undefined;
  dispose(): Promise<void>;
}

export interface SimulatorTwinProvider extends TwinProvider {
  twins(meterIds: readonly number[]): Promise<TwinSet>;
}

/**
 * What the last answers of the real meter said: control mode and relay state from the newest
 * command result that carries them (a connect, disconnect or state read).
 */
async function defaultSeed(store: Store, meter: Meter): Promise<TwinSeed> {
  const seed: TwinSeed = {};
  const page = await store.commands.list({ meterId: meter.id, order: 'desc', limit: 20 });
  for (const c of page.items) {
    const r = c.result ?? {};
    if (seed.controlMode === undefined && typeof r.controlMode === 'number') seed.controlMode = r.controlMode;
    if (seed.disconnected === undefined && typeof r.outputState === 'boolean')
      seed.disconnected = !r.outputState;
    if (seed.readyForReconnection === undefined && typeof r.controlState === 'number')
      seed.readyForReconnection = r.controlState === 2;
  }
  return seed;
}

/** The version each uploaded image's identifier declares (the newest upload wins). */
async function imageVersions(store: Store): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor: string | null = null;
  do {
    const page: Awaited<ReturnType<Store['firmware']['list']>> = await store.firmware.list({
      limit: 500,
      cursor,
    });
    for (const image of page.items) out.set(image.identifier, image.version);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

/** The same profile under each load class, so every meter of a fleet gets it whatever its place. */
function onlyProfile(p: DeviceProfile): Map<string, DeviceProfile> {
  const out = new Map<string, DeviceProfile>([[p.id, p]]);
  for (const loadClass of ['residential', 'commercial', 'industrial'] as const)
    if (loadClass !== p.loadClass) out.set(`${p.id}#${loadClass}`, { ...p, loadClass });
  return out;
}

/**
 * Twins of real meters for a campaign's rehearsal: for each device profile, an in-process
 * simulator fleet whose meters all use that profile (so the twin has the real meter's
 * objects, associations, security policy and suite, and control objects), each twin set to
 * the real meter's firmware identifier, control mode (when known) and relay state, accepting
 * any image whose blocks all arrive (acceptAnyImage: a dry run sends the vendor's image, which
 * only the real meter can check) and reporting the version it was uploaded with. Sessions
 * reach a twin under the real meter's id through the same driver stack (MeterAccess and the
 * DLMS driver) with the twin's own keys: the real keys never leave the vault. `dispose`
 * closes the fleets.
 */
export function simulatorTwins(o: SimulatorTwinsOptions): SimulatorTwinProvider {
  return {
    async twins(meterIds) {
      const simProfiles = loadProfiles(o.profilesDir);
      const byProfile = new Map<string, Meter[]>();
      for (const id of new Set(meterIds)) {
        const m = await o.store.meters.get(id);
        if (m === null)
          throw new CodedError(ErrorKind.notFound, 'CONTROL_INVALID', `meter ${id} does not exist`, {
            detail: { field: 'meterIds', meterId: id },
          });
        if (!simProfiles.has(m.deviceProfile))
          throw new CodedError(
            ErrorKind.invalid,
            'CONTROL_UNSUPPORTED',
            `meter ${id}: the simulator has no device profile ${m.deviceProfile} to twin it`,
            { detail: { meterId: id, deviceProfile: m.deviceProfile } },
          );
        const list = byProfile.get(m.deviceProfile) ?? [];
        list.push(m);
        byProfile.set(m.deviceProfile, list);
      }
      // The twins take the vendor's images, not the simulator's own format: any image whose
      // blocks all arrive verifies, and once active reports the version uploaded with it.
      const versions = await imageVersions(o.store);
      const vault = new TwinVault();
      const twinMeters = new Map<number, Meter>();
      const where = new Map<number, { fleet: Fleet; index: number }>();
      const fleets: TwinSet['fleets'] = [];
      const dispose = async (): Promise<void> => {
        await Promise.allSettled(fleets.map((f) => f.fleet.close()));
      };
      try {
        for (const [profileId, meters] of byProfile) {
          const profile = simProfiles.get(profileId)!;
          const fleet = await startFleet({
            meters: meters.length,
            transformers: 1,
            mix: { [profile.loadClass]: 1 },
            profiles: onlyProfile(profile),
            seed: 0x7157,
            host: '0.0.0.0',
            port: 0,
            background: false,
            tickMs: 0,
            acceptAnyImage: { versionOf: (identifier) => versions.get(identifier) },
          });
          fleets.push({ profile: profileId, fleet, meterIds: meters.map((m) => m.id) });
          for (const [index, meter] of meters.entries()) {
            const identity = fleet.truth.identity(index);
            const state = fleet.truth.ensureState(index);
            if (meter.firmwareVersion !== null) state.firmware = [{ at: 0, version: meter.firmwareVersion }];
            const seed = await (o.seedOf ?? ((m: Meter) => defaultSeed(o.store, m)))(meter);
            if (seed.controlMode !== undefined) state.controlMode = seed.controlMode;
            if (seed.disconnected) state.relay = [{ at: 0, connected: false, cause: 'remote' }];
            if (seed.readyForReconnection) state.readyForReconnection = true;
            const s = issuedSecrets(identity);
            const te = new TextEncoder();
            const keyRefs: Meter['keyRefs'] = {
              'lls-password': await vault.put(meter.id, 'lls-password', te.encode(s.password)),
              guek: await vault.put(meter.id, 'guek', s.ek),
              gak: await vault.put(meter.id, 'gak', s.ak),
              kek: await vault.put(meter.id, 'kek', s.kek),
            };
            twinMeters.set(meter.id, {
              ...meter,
              keyRefs,
              address: formatMeterAddress({
                host: fleet.address(index),
                port: fleet.port,
                transport: 'tcp',
                logical: profile.serverAddress,
                physical: undefined,
                systemTitle: toHex(systemTitleOf(identity)),
              }),
            });
            where.set(meter.id, { fleet, index });
          }
        }
      } catch (e) {
        await dispose();
        throw e;
      }
      const meterStore = {
        get: async (id: number) => twinMeters.get(id) ?? null,
      } as unknown as Store['meters'];
      const sessions = accessSessions({
        store: {
          meters: meterStore,
          keys: {} as Store['keys'],
          counters: memoryCounters(),
          audit: { append: async () => {} } as unknown as Store['audit'],
        },
        vault,
        profiles: o.profiles,
        ...(o.access === undefined ? {} : { options: o.access }),
      });
      return { sessions, vault, fleets, twinOf: (id) => where.get(id), dispose };
    },
  };
}
