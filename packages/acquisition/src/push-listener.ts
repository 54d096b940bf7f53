import type {
  AuditStore,
  CounterKey,
  EventStore,
  InvocationCounterStore,
  NewMeterEvent,
  ReadingIngestService,
} from '@openhes/core';
import {
  anyPushSetupAccepts,
  type DriverError,
  DriverErrorCode,
  type DriverEvent,
  type DriverProfile,
  decipherPush,
  declaredPushPolicy,
  decodePushNotification,
  listenForPushes,
  PLAINTEXT_PUSH,
  type PushProtectionApplied,
  type PushServerOptions,
  parsePushBody,
  pushEnvelope,
  pushProtectionSatisfies,
  toDriverError,
} from '@openhes/drivers';
import { AcquisitionError, AcquisitionErrorCode } from './errors.ts';

/**
 * The meter's send counter under its global unicast key, as received: one high-water mark for
 * its pushes and the responses of its reading sessions (the meter ciphers both with it).
 */
export function receivedCounterKey(meterId: number): CounterKey {
  return { meterId, direction: 'rx', purpose: 'guek' };
}

/** A meter a push may come from, with what is needed to decipher and parse it. */
export interface PushSender {
  meterId: number;
  profile: DriverProfile;
  /** Needed for ciphered pushes. */
  keys?: { ek: Uint8Array; ak: Uint8Array };
  /** The meter's system title (hex), needed for glo-ciphered (not general-glo) pushes. */
  systemTitle?: string;
  /** The registered serial: a device id the push carries must equal it (it confirms, never names). */
  serial?: string;
}

/**
 * Finds the sender of a push: by the system title a ciphered push carries (authenticated once
 * the push deciphers under that meter's keys), or by the registered address host (undefined
 * when several meters share it). Never by anything the body claims, such as a serial.
 */
export interface PushDirectory {
  bySystemTitle(hex: string): Promise<PushSender | undefined>;
  byAddress(host: string): Promise<PushSender | undefined>;
}

/** Why a push was refused; the label of the refused-push metric and of its audit entries. */
export const PushRefusalReason = {
  /** No registered meter has the system title (ciphered) or the address host (plaintext). */
  unknownSender: 'unknown-sender',
  /** Weaker than what the meter's push setup declares (plaintext where auth+enc is declared …). */
  protectionBelowPolicy: 'protection-below-policy',
  /** The authentication tag does not verify under the meter's keys, or the meter has none. */
  badAuthentication: 'bad-authentication',
  /** The device id in the body is not the identified meter's serial. */
  serialMismatch: 'serial-mismatch',
  /** The invocation counter is not above every one accepted from the meter. */
  replayed: 'replayed',
  /** Not a notification this meter's push setups describe. */
  malformed: 'malformed',
} as const;
export type PushRefusalReason = (typeof PushRefusalReason)[keyof typeof PushRefusalReason];

export interface PushPorts {
  directory: PushDirectory;
  ingest: ReadingIngestService;
  events: Pick<EventStore, 'append'>;
  /**
   * Received invocation counters (rx, per meter and key), persisted: a ciphered push is
   * refused unless its counter is above every one accepted before, across restarts.
   */
  counters?: Pick<InvocationCounterStore, 'accept'>;
  /**
   * The highest counter a reading session in this process accepted from the meter and has
   * not stored yet (MeterAccess.receivedInSession): a push at or below it is a replay too.
   */
  liveReceived?: (meterId: number) => number | undefined;
  /** Alarms (events of an alarm push or an event notification), handed on once stored. */
  onAlarm?: (meterId: number, events: readonly DriverEvent[]) => void;
  /**
   * One bad push; the listener goes on. Refused pushes reach it only as the first of their
   * reason and sender in a period (see PushRefusalLog), other failures (storage …) each time.
   */
  onError?: (error: Error, from: string) => void;
  /** Every refused push, by reason (the metrics counter). */
  onRefused?: (reason: PushRefusalReason) => void;
  /** Refused pushes audited in aggregate: one entry per reason and sender per period. */
  audit?: Pick<AuditStore, 'append'>;
  /** Period of the aggregate (audit entries, log lines); default 60 s. */
  refusalPeriodMs?: number;
  /** Summary lines of refused pushes (one per reason and sender per period, with the count). */
  log?: (line: string) => void;
  now: () => number;
}

export interface PushStats {
  received: number;
  stored: number;
  failed: number;
  /** Refused pushes (failed includes them), by reason. */
  refused: Partial<Record<PushRefusalReason, number>>;
}

function refused(
  reason: PushRefusalReason,
  message: string,
  detail: Record<string, unknown> = {},
): AcquisitionError {
  const code =
    reason === 'unknown-sender'
      ? AcquisitionErrorCode.UnknownSender
      : reason === 'replayed'
        ? AcquisitionErrorCode.Replayed
        : AcquisitionErrorCode.PushRefused;
  return new AcquisitionError(code, message, { detail: { ...detail, reason } });
}

function unknownSender(what: string): AcquisitionError {
  return refused('unknown-sender', `push from unknown meter (${what})`);
}

/** The refusal reason of a failed push; undefined for failures that are not the push's fault (storage …). */
export function refusalReasonOf(e: unknown): PushRefusalReason | undefined {
  if (e instanceof AcquisitionError) {
    const r = e.detail?.reason;
    if (typeof r === 'string' && Object.values(PushRefusalReason).includes(r as PushRefusalReason))
      return r as PushRefusalReason;
    if (e.code === AcquisitionErrorCode.UnknownSender) return 'unknown-sender';
    if (e.code === AcquisitionErrorCode.Replayed) return 'replayed';
    return undefined;
  }
  let d: DriverError;
  try {
    d = toDriverError(e);
  } catch {
    return undefined;
  }
  if (d.code === DriverErrorCode.Security) return 'bad-authentication';
  if (d.code === DriverErrorCode.Protocol) return 'malformed';
  return undefined;
}

interface Tally {
  reason: PushRefusalReason;
  from: string;
  count: number;
  first: number;
  last: number;
  meterIds: Set<number>;
}

/**
 * Refused pushes in aggregate, so that a flood of forged pushes costs neither a log line nor
 * an audit entry each: per period, one tally per (reason, sender host) — at most `maxSenders`,
 * the rest fold into sender '*' — written by `flush` as one audit entry each (count, first,
 * last, meters named). Log lines are bounded too: `record` says "log this one" for the first
 * refusal of at most `maxLogged` tallies a period, and `flush` writes at most `maxLogged`
 * summary lines plus one for the rest.
 */
export class PushRefusalLog {
  readonly #audit: Pick<AuditStore, 'append'> | undefined;
  readonly #log: ((line: string) => void) | undefined;
  readonly #now: () => number;
  readonly #maxSenders: number;
  readonly #maxLogged: number;
  #open = new Map<string, Tally>();
  #logged = 0;

  constructor(
    options: {
      audit?: Pick<AuditStore, 'append'>;
      log?: (line: string) => void;
      now?: () => number;
      maxSenders?: number;
      maxLogged?: number;
    } = {},
  ) {
    this.#audit = options.audit;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#maxSenders = options.maxSenders ?? 100;
    this.#maxLogged = options.maxLogged ?? 10;
  }

  /**
   * Counts one refusal; true when it should be logged on its own: the first of its reason and
   * sender this period, while fewer than `maxLogged` were.
   */
  record(reason: PushRefusalReason, from: string, meterId?: number): boolean {
    let key = `${reason}|${from}`;
    let t = this.#open.get(key);
    if (t === undefined && this.#open.size >= this.#maxSenders) {
      from = '*';
      key = `${reason}|*`;
      t = this.#open.get(key);
    }
    const now = this.#now();
    if (t === undefined) {
      t = { reason, from, count: 0, first: now, last: now, meterIds: new Set() };
      this.#open.set(key, t);
    }
    t.count++;
    t.last = now;
    if (meterId !== undefined && t.meterIds.size < 16) t.meterIds.add(meterId);
    if (t.count !== 1 || this.#logged >= this.#maxLogged) return false;
    this.#logged++;
    return true;
  }

  /** Closes the period: one audit entry per tally, at most `maxLogged` + 1 log lines. */
  async flush(): Promise<number> {
    const done = [...this.#open.values()];
    this.#open = new Map();
    this.#logged = 0;
    let lines = 0;
    let restSenders = 0;
    let restPushes = 0;
    for (const t of done) {
      if (t.count > 1 && lines < this.#maxLogged) {
        lines++;
        this.#log?.(
          `${t.count} pushes from ${t.from} refused (${t.reason}) between ${new Date(t.first).toISOString()} and ${new Date(t.last).toISOString()}`,
        );
      } else if (t.count > 1) {
        restSenders++;
        restPushes += t.count;
      }
      await this.#audit?.append({
        actor: 'push-listener',
        action: 'push.refused',
        target: `host:${t.from}`,
        outcome: 'denied',
        detail: {
          reason: t.reason,
          count: t.count,
          firstAt: t.first,
          lastAt: t.last,
          ...(t.meterIds.size > 0 ? { meterIds: [...t.meterIds] } : {}),
        },
      });
    }
    if (restSenders > 0)
      this.#log?.(`${restPushes} more pushes refused from ${restSenders} more senders (see the audit)`);
    return done.length;
  }
}

/**
 * Handles one pushed APDU: identifies the sender, deciphers, parses it by the sender's push
 * setups, checks that its protection is what the matched push setup declares, stores values
 * (as conflicts where they differ from what is stored: ReadingIngestService's push rule) and
 * events, and hands alarms on. Rejects only for this one push.
 *
 * Identity: a ciphered push names its sender by the system title it carries, proven by its
 * authentication tag under that meter's keys; a plaintext push only by its source host, and
 * only for a meter with a push setup that declares no protection. A device id in the body must
 * match the identified meter's serial and never identifies a meter by itself.
 */
export class PushHandler {
  readonly stats: PushStats = { received: 0, stored: 0, failed: 0, refused: {} };
  readonly refusals: PushRefusalLog;
  readonly #ports: PushPorts;
  /** Refusals already logged this period as the first of their reason and sender. */
  readonly #quiet = new WeakSet<Error>();

  constructor(ports: PushPorts) {
    this.#ports = ports;
    this.refusals = new PushRefusalLog({
      ...(ports.audit === undefined ? {} : { audit: ports.audit }),
      ...(ports.log === undefined ? {} : { log: ports.log }),
      now: ports.now,
    });
  }

  async handle(
    apdu: Uint8Array,
    fromHost: string,
  ): Promise<{ meterId: number; readings: number; events: number; conflicts: number }> {
    this.stats.received++;
    try {
      const r = await this.#handle(apdu, fromHost);
      this.stats.stored++;
      return r;
    } catch (e) {
      this.stats.failed++;
      const reason = refusalReasonOf(e);
      if (reason !== undefined) {
        this.stats.refused[reason] = (this.stats.refused[reason] ?? 0) + 1;
        this.#ports.onRefused?.(reason);
        const meterId = e instanceof AcquisitionError ? e.detail?.meterId : undefined;
        const first = this.refusals.record(
          reason,
          fromHost,
          typeof meterId === 'number' ? meterId : undefined,
        );
        if (!first && e instanceof Error) this.#quiet.add(e);
      }
      throw e;
    }
  }

  /**
   * `handle` for a listener: never rejects; a failure goes to `onError`, a refused push only
   * when it is the first of its reason and sender this period (the rest are counted).
   */
  async receive(apdu: Uint8Array, fromHost: string, remote: string): Promise<void> {
    try {
      await this.handle(apdu, fromHost);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      if (this.#quiet.has(err)) return;
      let reported: Error = err;
      try {
        reported = toDriverError(err);
      } catch {
        reported = err;
      }
      this.#ports.onError?.(reported, remote);
    }
  }

  async #handle(apdu: Uint8Array, fromHost: string) {
    const dir = this.#ports.directory;
    const envelope = pushEnvelope(apdu);
    let sender: PushSender | undefined;
    let plain = apdu;
    let protection: PushProtectionApplied = PLAINTEXT_PUSH;
    let invocationCounter: number | undefined;
    if (envelope.ciphered) {
      const st = envelope.systemTitle;
      sender = st !== undefined ? await dir.bySystemTitle(st) : await dir.byAddress(fromHost);
      if (sender === undefined) throw unknownSender(st ?? fromHost);
      const meterId = sender.meterId;
      if (sender.keys === undefined)
        throw refused('bad-authentication', `meter ${meterId}: no keys for a ciphered push`, { meterId });
      let d: ReturnType<typeof decipherPush>;
      try {
        d = decipherPush(apdu, sender.keys, sender.systemTitle);
      } catch (e) {
        const why = refusalReasonOf(e) ?? 'malformed';
        throw refused(why, `meter ${meterId}: push does not decipher: ${(e as Error).message}`, { meterId });
      }
      protection = d.protection;
      invocationCounter = d.invocationCounter;
      plain = d.plaintext;
    } else {
      // Plaintext names no one: only the registered address can, and only for a meter whose
      // profile really pushes in clear (checked below, against the push setup it matches).
      sender = await dir.byAddress(fromHost);
      if (sender === undefined) throw unknownSender(fromHost);
    }
    const meterId = sender.meterId;
    // Below every push setup of the model: refused before the body is looked at.
    if (!anyPushSetupAccepts(sender.profile, protection))
      throw belowPolicy(meterId, protection, 'any push setup');
    let kind: ReturnType<typeof decodePushNotification>['kind'];
    let parsed: ReturnType<typeof parsePushBody>;
    try {
      const n = decodePushNotification(plain);
      kind = n.kind;
      parsed = parsePushBody(sender.profile, n.body, n.time);
    } catch (e) {
      throw refused('malformed', `meter ${meterId}: ${(e as Error).message}`, { meterId });
    }
    const policy = declaredPushPolicy(parsed.setup);
    if (!pushProtectionSatisfies(protection, policy))
      throw belowPolicy(meterId, protection, `push setup ${parsed.setup.obis} (${policy})`);
    if (parsed.deviceId !== undefined && sender.serial !== undefined && parsed.deviceId !== sender.serial)
      throw refused('serial-mismatch', `meter ${meterId}: push carries another device id`, { meterId });
    if (invocationCounter !== undefined) {
      // Kept only once the push has passed its policy: an encryption-only push where
      // authentication is declared must not move the meter's counter.
      const counters = this.#ports.counters;
      const key = receivedCounterKey(meterId);
      const live = this.#ports.liveReceived?.(meterId);
      if (
        (live !== undefined && invocationCounter <= live) ||
        (counters !== undefined && !(await counters.accept(key, invocationCounter)))
      )
        throw refused(
          'replayed',
          `meter ${meterId}: push invocation counter ${invocationCounter} already seen`,
          { meterId, invocationCounter },
        );
    }
    const values =
      parsed.meterTime === undefined
        ? parsed.values.map((v) => ({ ...v, ts: this.#ports.now() }))
        : parsed.values;
    let readings = 0;
    let conflicts = 0;
    if (values.length > 0) {
      const r = await this.#ports.ingest.storeSession(meterId, values, 'push');
      readings = r.inserted + r.versioned;
      conflicts = r.conflicts ?? 0;
    }
    const rows: NewMeterEvent[] = parsed.events.map((e) => ({
      meterId,
      meterTime: e.meterTime,
      ts: e.meterTime,
      log: e.log,
      code: e.code,
      category: e.category,
      raw: apdu,
    }));
    let events = 0;
    if (rows.length > 0) events = (await this.#ports.events.append(rows)).inserted;
    if (parsed.events.length > 0 && (parsed.kind === 'alarm' || kind === 'event-notification'))
      this.#ports.onAlarm?.(meterId, parsed.events);
    return { meterId, readings, events, conflicts };
  }
}

function belowPolicy(meterId: number, p: PushProtectionApplied, what: string): AcquisitionError {
  const had = p.authenticated ? (p.encrypted ? 'auth+enc' : 'auth') : p.encrypted ? 'enc' : 'none';
  return refused(
    'protection-below-policy',
    `meter ${meterId}: push protected by ${had}, below what ${what} declares`,
    { meterId, protection: had },
  );
}

/** The listeners' options, their flood limits and socket budget among them. */
export interface PushListenerOptions extends PushServerOptions {
  host?: string;
  /** TCP port; 0 = any free port; undefined = no TCP listener. */
  tcpPort?: number;
  udpPort?: number;
}

export interface PushListener {
  readonly tcpPort: number | undefined;
  readonly udpPort: number | undefined;
  readonly handler: PushHandler;
  close(): Promise<void>;
}

/** TCP and UDP wrapper listeners for meter-initiated notifications. */
export async function startPushListener(
  options: PushListenerOptions,
  ports: PushPorts,
): Promise<PushListener> {
  const handler = new PushHandler(ports);
  const server = await listenForPushes(options, (apdu, fromHost, remote) => {
    void handler.receive(apdu, fromHost, remote);
  });
  const period = ports.refusalPeriodMs ?? 60_000;
  const timer = setInterval(() => {
    handler.refusals.flush().catch((e: unknown) => ports.onError?.(e as Error, 'refusal audit'));
  }, period);
  timer.unref?.();
  return {
    tcpPort: server.tcpPort,
    udpPort: server.udpPort,
    handler,
    close: async () => {
      clearInterval(timer);
      await server.close();
      await handler.refusals.flush();
    },
  };
}
