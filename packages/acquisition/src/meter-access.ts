import type {
  CounterResync,
  InvocationCounterStore,
  Meter,
  NewAuditEntry,
  SecretVault,
  Store,
} from '@openhes/core';
import {
  type CounterSource,
  chooseAssociation,
  connectDlmsClient,
  type DlmsConnector,
  DlmsDriver,
  type DlmsDriverConfig,
  DriverError,
  DriverErrorCode,
  type DriverProfile,
  type MeterDriver,
  type MeterSecrets,
  ModelCache,
  type ProfileAssociation,
  type ReceivedCounterSource,
  systemTitleFromHex,
  toDriverError,
} from '@openhes/drivers';
import type { DriverKeys } from './collector.ts';
import { AcquisitionError, AcquisitionErrorCode } from './errors.ts';
import { receivedCounterKey } from './push-listener.ts';
import { usableMeterEndpoint } from './registry.ts';

/** The unicast tx counter of a meter's global key, reserved in blocks through the store. */
export function storeCounterSource(counters: InvocationCounterStore, meterId: number): CounterSource {
  return { reserve: (count) => counters.reserve({ meterId, direction: 'tx', purpose: 'guek' }, count) };
}

/**
 * The highest invocation counter accepted from a meter under its global key, shared with the
 * push listener; `raise` is the store's `accept`, which never lowers the stored value.
 */
export function storeReceivedCounterSource(
  counters: Pick<InvocationCounterStore, 'accept' | 'current'>,
  meterId: number,
  live?: Map<number, number>,
): ReceivedCounterSource {
  const key = receivedCounterKey(meterId);
  return {
    current: async () => (await counters.current(key)) ?? undefined,
    raise: async (value) => {
      await counters.accept(key, value);
      // Stored now: the store's mark covers it.
      if (live !== undefined && (live.get(meterId) ?? 0) <= value) live.delete(meterId);
    },
    ...(live === undefined
      ? {}
      : {
          seen: (value: number) => {
            if (value > (live.get(meterId) ?? -1)) live.set(meterId, value);
          },
        }),
  };
}

/** Audit entry of a refused replay in a reading session: a security event, one per session. */
export function replayAudit(meterId: number, error: DriverError): NewAuditEntry {
  return {
    actor: 'acquisition',
    action: 'meter.security.replay',
    target: `meter:${meterId}`,
    outcome: 'denied',
    detail: { code: error.code, message: error.message, ...error.detail },
  };
}

/**
 * The object holding the meter's invocation counter under an association's key, where the
 * device profile names one (`associations[].invocationCounter`, IS 15959: 0.0.43.1.3.255 for
 * the management association); undefined when the model has none.
 */
export function invocationCounterObject(p: DriverProfile, associationKey: string): string | undefined {
  const a = p.associations.find((x) => x.key === associationKey) as
    | (ProfileAssociation & { invocationCounter?: unknown })
    | undefined;
  return typeof a?.invocationCounter === 'string' ? a.invocationCounter : undefined;
}

export type { CounterResync } from '@openhes/core';

/** Audit entry of a counter resync, succeeded or refused, naming who asked. */
export function resyncAudit(
  actor: string,
  meterId: number,
  outcome: { ok: CounterResync } | { error: unknown },
  extra: Record<string, unknown> = {},
): NewAuditEntry {
  const e = 'error' in outcome ? (outcome.error as { code?: unknown; message?: unknown }) : undefined;
  return {
    actor,
    action: 'meter.security.resync',
    target: `meter:${meterId}`,
    outcome: 'ok' in outcome ? 'succeeded' : 'failed',
    detail:
      'ok' in outcome
        ? { ...extra, ...outcome.ok }
        : {
            ...extra,
            code: typeof e?.code === 'string' ? e.code : 'UNKNOWN',
            message: String(e?.message ?? e),
          },
  };
}

export interface MeterAccessOptions {
  connectTimeoutMs?: number;
  /** Silence allowed from a meter while a response is due (each frame re-arms it). */
  responseTimeoutMs?: number;
  /** Cap on one whole response however steadily it arrives; default none. */
  maxResponseMs?: number;
  clientSystemTitle?: Uint8Array;
  /** Association key to use for every meter; default the strongest its secrets allow. */
  association?: string;
  connect?: DlmsConnector;
  /** Head-end time for register stamps and entry-based profile reads; default Date.now. */
  now?: () => number;
  /** What a meter's session tolerated (invoke-id mismatch, late response, link warning), to log it. */
  onWarning?: (meterId: number, warning: { code: string; message: string }) => void;
}

/** Builds the driver for a meter from the registry: device profile, address, unwrapped secrets. */
export class MeterAccess {
  readonly cache = new ModelCache();
  /** Highest counter accepted by a reading session and not yet stored, per meter. */
  readonly #live = new Map<number, number>();
  readonly #store: Pick<Store, 'meters' | 'keys' | 'counters' | 'audit'>;
  readonly #vault: SecretVault;
  readonly #profiles: ReadonlyMap<string, DriverProfile>;
  readonly #options: MeterAccessOptions;

  constructor(
    store: Pick<Store, 'meters' | 'keys' | 'counters' | 'audit'>,
    vault: SecretVault,
    profiles: ReadonlyMap<string, DriverProfile>,
    options: MeterAccessOptions = {},
  ) {
    this.#store = store;
    this.#vault = vault;
    this.#profiles = profiles;
    this.#options = options;
  }

  profileOf(meter: Meter): DriverProfile {
    const p = this.#profiles.get(meter.deviceProfile);
    if (p === undefined)
      throw new AcquisitionError(
        AcquisitionErrorCode.UnknownMeter,
        `meter ${meter.id}: no device profile ${meter.deviceProfile}`,
      );
    return p;
  }

  /**
   * The meter's unwrapped secrets: the current version of each, or for the purposes `keys`
   * marks 'pending' the key being rotated (a key rotation's confirming association); a pending
   * key asked for and not stored is refused (DRIVER_SECURITY), never replaced by the current.
   */
  async secretsOf(meterId: number, keys: DriverKeys = {}): Promise<MeterSecrets> {
    const secret = async (purpose: 'lls-password' | 'guek' | 'gak'): Promise<Uint8Array | null> => {
      if (keys[purpose] !== 'pending') return this.#vault.get(meterId, purpose);
      const pending = await this.#vault.getPending(meterId, purpose);
      if (pending === null)
        throw new DriverError(
          DriverErrorCode.Security,
          `meter ${meterId}: no pending ${purpose} key is stored`,
          {
            detail: { meterId, purpose },
          },
        );
      return pending;
    };
    const [pw, ek, ak] = await Promise.all([secret('lls-password'), secret('guek'), secret('gak')]);
    const s: MeterSecrets = {};
    if (pw !== null) s.password = new TextDecoder().decode(pw);
    if (ek !== null) s.ek = ek;
    if (ak !== null) s.ak = ak;
    return s;
  }

  /**
   * The highest invocation counter a reading session of this process accepted from the meter
   * and has not stored yet (a session stores it when it ends); undefined when none. The push
   * listener refuses pushes at or below it, so a replay is refused while the session runs too.
   */
  receivedInSession(meterId: number): number | undefined {
    return this.#live.get(meterId);
  }

  /** `keys`: purposes whose pending key the session uses instead of the current one (key rotation). */
  async driverFor(meterId: number, keys?: DriverKeys): Promise<MeterDriver> {
    return new DlmsDriver(await this.#config(meterId, keys));
  }

  async #config(meterId: number, keys?: DriverKeys): Promise<DlmsDriverConfig> {
    const meter = await this.#store.meters.get(meterId);
    if (meter === null)
      throw new AcquisitionError(AcquisitionErrorCode.UnknownMeter, `meter ${meterId} does not exist`);
    const endpoint = usableMeterEndpoint(meter, this.#profiles);
    const o = this.#options;
    return {
      meterId,
      profile: this.profileOf(meter),
      endpoint: {
        transport: endpoint.transport,
        host: endpoint.host,
        port: endpoint.port,
        ...(endpoint.logical === undefined ? {} : { logical: endpoint.logical }),
        ...(endpoint.physical === undefined ? {} : { physical: endpoint.physical }),
      },
      secrets: await this.secretsOf(meterId, keys),
      cache: this.cache,
      counters: storeCounterSource(this.#store.counters, meterId),
      received: storeReceivedCounterSource(this.#store.counters, meterId, this.#live),
      onReplay: async (error) => {
        await this.#store.audit.append(replayAudit(meterId, error));
      },
      ...(o.clientSystemTitle === undefined ? {} : { clientSystemTitle: o.clientSystemTitle }),
      ...(o.association === undefined ? {} : { association: o.association }),
      ...(o.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: o.connectTimeoutMs }),
      ...(o.responseTimeoutMs === undefined ? {} : { responseTimeoutMs: o.responseTimeoutMs }),
      ...(o.maxResponseMs === undefined ? {} : { maxResponseMs: o.maxResponseMs }),
      ...(o.connect === undefined ? {} : { connect: o.connect }),
      ...(o.now === undefined ? {} : { now: o.now }),
      ...(o.onWarning === undefined ? {} : { onWarning: (w) => o.onWarning?.(meterId, w) }),
    };
  }

  /**
   * Resyncs the head end's replay floor for a meter whose own invocation counter went back
   * legitimately (replacement, factory reset): opens the association the meter is read with,
   * which must authenticate the meter's responses with its keys, without the stored floor;
   * reads the counter object its device profile names for that association; and sets the
   * stored rx counter to the highest counter the meter's authenticated responses carried (its
   * own counter, which the object must confirm). Refused (nothing stored) when the model names
   * no counter object, the association does not authenticate the meter, the meter cannot be
   * read, or the object disagrees with the responses. The caller audits it (resyncAudit).
   */
  async resyncReceivedCounter(meterId: number): Promise<CounterResync> {
    const config = await this.#config(meterId);
    const { profile, secrets } = config;
    const a = chooseAssociation(profile, secrets, config.association);
    const counterObject = invocationCounterObject(profile, a.key);
    if (counterObject === undefined)
      throw new DriverError(
        DriverErrorCode.Unsupported,
        `meter ${meterId}: device profile ${profile.id} names no invocation counter object for association ${a.key}`,
        { detail: { profile: profile.id, association: a.key } },
      );
    // No floor and no write-back: the meter's counter is expected below the stored one.
    const { received: _floor, onReplay: _audit, ...rest } = config;
    const driver = new DlmsDriver({ ...rest, association: a.key });
    const options = await driver.options().catch((e: unknown) => {
      throw toDriverError(e);
    });
    const security = options.security;
    if (security === undefined || (security.policy !== 'auth' && security.policy !== 'auth+enc'))
      throw new DriverError(
        DriverErrorCode.Security,
        `meter ${meterId}: association ${a.key} does not authenticate the meter's responses; a counter read over it proves nothing`,
        { detail: { association: a.key } },
      );
    let authenticated: number | undefined;
    security.onReceived = (n) => {
      if (authenticated === undefined || n > authenticated) authenticated = n;
    };
    let value: unknown;
    try {
      const client = await (config.connect ?? connectDlmsClient)(options);
      try {
        value = ((await client.get(counterObject, 1, 2)) as { value?: unknown }).value;
      } finally {
        await client.end();
      }
    } catch (e) {
      throw toDriverError(e);
    }
    const meterCounter = typeof value === 'bigint' ? Number(value) : value;
    if (typeof meterCounter !== 'number' || !Number.isInteger(meterCounter) || meterCounter < 0)
      throw new DriverError(
        DriverErrorCode.Protocol,
        `meter ${meterId}: ${counterObject} is not an invocation counter (${String(value)})`,
      );
    if (authenticated === undefined)
      throw new DriverError(
        DriverErrorCode.Security,
        `meter ${meterId}: no authenticated response carried the meter's counter`,
      );
    // The object holds the next counter to send or the last one sent: never beyond the next.
    if (meterCounter > authenticated + 1)
      throw new DriverError(
        DriverErrorCode.Security,
        `meter ${meterId}: counter object says ${meterCounter} but the meter's authenticated responses carried ${authenticated}`,
        { detail: { meterCounter, authenticated } },
      );
    const floor = authenticated;
    const previous = await this.#store.counters.resetReceived(receivedCounterKey(meterId), floor);
    this.#live.delete(meterId);
    return { meterId, association: a.key, counterObject, meterCounter, authenticated, previous, floor };
  }
}

export function systemTitleBytes(hex: string | undefined): Uint8Array | undefined {
  return hex === undefined ? undefined : systemTitleFromHex(hex);
}

/** Every meter of the store, paged through. */
export async function allMeters(meters: Store['meters']): Promise<Meter[]> {
  const out: Meter[] = [];
  let cursor: string | null = null;
  do {
    const page = await meters.list({ limit: 5000, cursor });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}
