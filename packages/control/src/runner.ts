import {
  type Campaign,
  type CampaignThrottle,
  type Clock,
  type CollectedValue,
  type Command,
  type CommandError,
  type CommandKind,
  type CounterKey,
  ErrorKind,
  type InvocationCounterStore,
  isCodedError,
  type KeyPurpose,
  type Meter,
  type NewAuditEntry,
  ReadingIngestService,
  type SecretVault,
  type Store,
} from '@openhes/core';
import type { MeterDriver } from '@openhes/drivers';
import { completeIfDone } from './campaign.ts';
import { ControlError, ControlErrorCode } from './errors.ts';
import type { Operation, OperationContext } from './operation.ts';
import type { MeterSessions, SessionKeys, TwinProvider } from './ports.ts';
import { ThrottleBook, type ThrottleLimits, type ThrottleSlot, throttleLimits } from './throttle.ts';

/** The store ports the runner uses. */
export type RunnerStore = Pick<
  Store,
  'meters' | 'commands' | 'campaigns' | 'firmware' | 'audit' | 'events' | 'channels' | 'readings' | 'counters'
>;

export interface RunnerDeps {
  store: RunnerStore;
  vault: SecretVault;
  /** Sessions on the real meters (through the collectors: acquisition's `commandSessions`). */
  sessions: MeterSessions;
  /** Twins for dry-run campaigns; without it a dry-run command fails (CONTROL_UNSUPPORTED). */
  twins?: TwinProvider;
  operations: Readonly<Record<CommandKind, Operation>>;
  clock: Clock;
  sleep(ms: number): Promise<void>;
  random(): number;
}

export interface RunnerOptions {
  /** Principal written in command history and audit (default `control`). */
  name?: string;
  /** Looks for due work this often when not woken (default 1 s). */
  pollMs?: number;
  /** Commands read from the store per look (default 200). */
  batch?: number;
  /** Further looks per pass past commands that may not start now (throttled, meter busy); default 4. */
  scanPages?: number;
  /** Commands in flight at once in this runner (default 256). */
  concurrency?: number;
  /** Attempts before a retryable failure becomes final (default 5). */
  maxAttempts?: number;
  /** First retry delay, doubled per attempt, ±50 % jitter, capped (defaults 5 s, 5 min). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** stop() waits this long for in-flight sessions (default 30 s); the rest resume at the next start. */
  stopTimeoutMs?: number;
  /**
   * While running, the runner touches its `sending` commands (their updatedAt) this often, so
   * other runners on the store see they are alive (default 10 s; 0 turns it off).
   */
  heartbeatMs?: number;
  /**
   * At start, a command found `sending` is resumed only when not updated for this long: its
   * runner stopped beating (default three heartbeats, 30 s; 0 resumes every one, e.g. a single
   * runner that knows it crashed).
   */
  resumeStaleMs?: number;
  /** Budgets of single commands and defaults of campaign throttles (CampaignThrottle defaults). */
  throttle?: CampaignThrottle;
  /** Commands awaiting approval past their deadline are expired this often (default 60 s). */
  sweepMs?: number;
  /** Errors of a pass (the store unreachable); the runner goes on at the next poll. */
  onError?: (error: unknown) => void;
}

/** A failure as the runner decides on it. */
interface Failure {
  error: CommandError & { detail?: Record<string, unknown> };
  retryable: boolean;
  /** A wait the operation asked for (ControlError.retryAt): requeued until then, no attempt counted. */
  retryAt?: number;
}

function failureOf(e: unknown): Failure {
  if (e instanceof ControlError)
    return {
      error: { code: e.code, message: e.message, ...(e.detail === undefined ? {} : { detail: e.detail }) },
      retryable: e.retryable || e.outcomeUnknown,
      ...(e.retryAt === undefined ? {} : { retryAt: e.retryAt }),
    };
  const x = e as { code?: unknown; retryable?: unknown; message?: unknown; detail?: unknown } | null;
  if (e instanceof Error && typeof x?.code === 'string')
    return {
      error: {
        code: x.code,
        message: e.message,
        ...(typeof x.detail === 'object' && x.detail !== null
          ? { detail: x.detail as Record<string, unknown> }
          : {}),
      },
      retryable: x.retryable === true,
    };
  return {
    error: { code: ControlErrorCode.Internal, message: e instanceof Error ? e.message : String(e) },
    retryable: false,
  };
}

function isConflict(e: unknown): boolean {
  return isCodedError(e) && e.kind === ErrorKind.conflict;
}

/**
 * Invocation counters of a rehearsal: in memory, so a dry run never moves a real counter (the
 * twins' sessions use them too).
 */
export function memoryCounters(): InvocationCounterStore {
  const values = new Map<string, number>();
  const key = (k: CounterKey): string => `${k.meterId}|${k.direction}|${k.purpose}`;
  return {
    async reserve(k, count) {
      const first = values.get(key(k)) ?? 0;
      values.set(key(k), first + count);
      return first;
    },
    async accept(k, value) {
      const before = values.get(key(k));
      if (before !== undefined && value <= before) return false;
      values.set(key(k), value);
      return true;
    },
    async current(k) {
      return values.get(key(k)) ?? null;
    },
    async resetReceived(k, value) {
      if (k.direction !== 'rx')
        throw new ControlError(ErrorKind.invalid, ControlErrorCode.Invalid, 'tx counters only ever rise');
      const before = values.get(key(k)) ?? null;
      values.set(key(k), value);
      return before;
    },
  };
}

/** An empty vault of a rehearsal whose twins brought none. */
function memoryVault(): SecretVault {
  const current = new Map<string, Uint8Array>();
  const pending = new Map<string, Uint8Array>();
  const k = (m: number, p: KeyPurpose): string => `${m}|${p}`;
  let version = 0;
  return {
    kekId: 'rehearsal',
    async put(m, p, s) {
      current.set(k(m, p), new Uint8Array(s));
      return `${p}@rehearsal${++version}`;
    },
    async get(m, p) {
      return current.get(k(m, p)) ?? null;
    },
    async putPending(m, p, s) {
      pending.set(k(m, p), new Uint8Array(s));
    },
    async getPending(m, p) {
      return pending.get(k(m, p)) ?? null;
    },
    async promotePending(m, p) {
      const s = pending.get(k(m, p));
      if (s === undefined) return null;
      pending.delete(k(m, p));
      current.set(k(m, p), s);
      return `${p}@rehearsal${++version}`;
    },
    async discardPending(m, p) {
      pending.delete(k(m, p));
    },
  };
}

interface TwinSet {
  sessions: MeterSessions;
  vault: SecretVault;
  counters: InvocationCounterStore;
  dispose(): Promise<void>;
}

interface InFlight {
  slot: ThrottleSlot;
  meterId: number;
  done: Promise<void>;
  /** When this runner last wrote the command (claim, progress, beat). */
  touchedAt: number;
}

const TERMINAL_BY_RUNNER = ['confirmed', 'failed', 'expired'] as const;

/**
 * The durable command runner. Everything it knows is in the store: it polls `commands.due`
 * (and is woken early by new work), claims a queued command with a compare-and-set
 * queued → sending (attempts + 1), runs its kind's operation in a session on the meter, and
 * writes the outcome: confirmed (result; the meter patch applied to the registry), back to
 * queued after a retryable failure (progress kept, retried after a backoff), failed, or expired
 * once its deadline passed. Never two commands on one meter at once; campaign throttles
 * (in flight, per minute, per communication segment with an urgent lane) across campaigns.
 *
 * A crash leaves commands in `sending` with their progress marker: `start()` moves them back
 * to queued (history: resumed) and the operation, seeing the marker, reads the meter's state
 * before any non-idempotent step is sent again. Several runners on one store never run a
 * command twice: only one wins each claim's compare-and-set, and each skips `sending` commands
 * it does not run. A running runner beats (touches its `sending` commands every `heartbeatMs`)
 * and start() resumes only commands whose beat is older than `resumeStaleMs`, so a runner
 * (re)starting beside live ones never takes over a command one of them is sending.
 */
export class CommandRunner {
  readonly #deps: RunnerDeps;
  readonly #name: string;
  readonly #pollMs: number;
  readonly #batch: number;
  readonly #scanPages: number;
  readonly #concurrency: number;
  readonly #maxAttempts: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #stopTimeoutMs: number;
  readonly #resumeStaleMs: number;
  readonly #heartbeatMs: number;
  #heartbeat: ReturnType<typeof setInterval> | null = null;
  readonly #defaults: ThrottleLimits;
  readonly #sweepMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #ingest: ReadingIngestService;
  readonly #book = new ThrottleBook();
  readonly #inFlight = new Map<number, InFlight>();
  readonly #busyMeters = new Set<number>();
  /** Retry not before (ms) by command id: a backoff lives in this process only. */
  readonly #notBefore = new Map<number, number>();
  /** Commands whose outcome could not be written: moved back to queued at the next pass. */
  readonly #orphans = new Set<number>();
  readonly #twins = new Map<number, Promise<TwinSet>>();
  #lastSweep = Number.NEGATIVE_INFINITY;
  #running = false;
  #loop: Promise<void> | null = null;
  #pass: Promise<number> | null = null;
  #again = false;
  #wakeUp: (() => void) | null = null;

  constructor(deps: RunnerDeps, options: RunnerOptions = {}) {
    this.#deps = deps;
    this.#name = options.name ?? 'control';
    this.#pollMs = options.pollMs ?? 1000;
    this.#batch = options.batch ?? 200;
    this.#scanPages = options.scanPages ?? 4;
    this.#concurrency = options.concurrency ?? 256;
    this.#maxAttempts = options.maxAttempts ?? 5;
    this.#backoffMs = options.backoffMs ?? 5000;
    this.#maxBackoffMs = options.maxBackoffMs ?? 300_000;
    this.#stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
    this.#heartbeatMs = options.heartbeatMs ?? 10_000;
    this.#resumeStaleMs = options.resumeStaleMs ?? 3 * (this.#heartbeatMs > 0 ? this.#heartbeatMs : 10_000);
    this.#defaults = throttleLimits(options.throttle);
    this.#sweepMs = options.sweepMs ?? 60_000;
    this.#onError = options.onError ?? (() => {});
    this.#ingest = new ReadingIngestService(deps.store.channels, deps.store.readings);
  }

  /** Commands this runner has in flight now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /**
   * Resumes what a crash left `sending` (stale beyond `resumeStaleMs`), then polls until stop(),
   * beating every `heartbeatMs` and resuming commands whose runner's beat went stale. Returns
   * how many were resumed at start.
   */
  async start(): Promise<number> {
    if (this.#running) return 0;
    const resumed = await this.resume();
    this.#running = true;
    this.#loop = this.#run();
    if (this.#heartbeatMs > 0) {
      this.#heartbeat = setInterval(() => {
        // Beats for its own commands, then takes back those of a runner that stopped beating
        // (a crashed one, or this process before a quick restart).
        this.beat()
          .then(() => (this.#running ? this.resume() : 0))
          .then((n) => {
            if (n > 0) this.wake();
          })
          .catch((e: unknown) => this.#onError(e));
      }, this.#heartbeatMs);
      this.#heartbeat.unref?.();
    }
    return resumed;
  }

  /**
   * Touches the commands this runner is sending (their updatedAt), so a runner starting beside
   * it does not resume them; runs every `heartbeatMs` while started. Returns how many.
   */
  async beat(): Promise<number> {
    // Only commands not written for a heartbeat: a claim or a progress marker is a beat too.
    const since = this.#deps.clock.now() - this.#heartbeatMs;
    const ids = [...this.#inFlight.entries()].filter(([, f]) => f.touchedAt <= since).map(([id]) => id);
    const touched = await Promise.all(
      ids.map((id) =>
        this.#deps.store.commands.update(id, 'sending', {}).then(
          (c) => {
            const f = this.#inFlight.get(id);
            if (f !== undefined) f.touchedAt = c.updatedAt;
            return true;
          },
          (e: unknown) => {
            // Ended meanwhile (no longer sending): nothing to keep alive.
            if (isConflict(e)) return false;
            throw e;
          },
        ),
      ),
    );
    return touched.filter(Boolean).length;
  }

  /** Looks for due work now instead of at the next poll (a request queued, a slot freed). */
  wake(): void {
    this.#again = true;
    const w = this.#wakeUp;
    this.#wakeUp = null;
    w?.();
  }

  /**
   * Stops polling and lets in-flight sessions finish, waiting at most `stopTimeoutMs`; what is
   * still running then stays `sending` in the store and is resumed at the next start.
   */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    this.wake();
    await this.#loop;
    this.#loop = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled([...this.#inFlight.values()].map((f) => f.done)),
      new Promise<void>((r) => {
        timer = setTimeout(r, this.#stopTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    await this.#disposeTwins();
  }

  /**
   * Runs passes until nothing is in flight and a pass starts nothing: every due command that
   * may start now has ended (commands throttled per minute or backing off may remain queued).
   * For tests and benchmarks.
   */
  async drain(): Promise<void> {
    for (;;) {
      const started = await this.pass();
      if (started > 0) continue;
      if (this.#inFlight.size === 0) return;
      await Promise.race([...this.#inFlight.values()].map((f) => f.done));
    }
  }

  /**
   * Moves commands a crash left `sending` (not updated for `resumeStaleMs`) back to queued,
   * progress kept; returns how many.
   */
  async resume(): Promise<number> {
    const cutoff = this.#deps.clock.now() - this.#resumeStaleMs;
    let resumed = 0;
    let cursor: string | null = null;
    const found: Command[] = [];
    do {
      const page = await this.#deps.store.commands.list({ state: 'sending', limit: 500, cursor });
      found.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    for (const c of found) {
      if (this.#inFlight.has(c.id) || c.updatedAt > cutoff) continue;
      try {
        await this.#deps.store.commands.transition(c.id, 'sending', 'queued', this.#name, {
          detail: { resumed: true, progress: c.progress },
        });
        resumed++;
      } catch (e) {
        if (!isConflict(e)) throw e;
      }
    }
    return resumed;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      this.#again = false;
      try {
        await this.pass();
      } catch (e) {
        this.#onError(e);
      }
      if (!this.#running) break;
      if (this.#again) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.#wakeUp = null;
          resolve();
        }, this.#pollMs);
        this.#wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** One look at the store: expires, claims and starts what may start now; returns how many started. */
  pass(): Promise<number> {
    if (this.#pass !== null) {
      this.#again = true;
      return this.#pass;
    }
    const p = this.#doPass().finally(() => {
      this.#pass = null;
    });
    this.#pass = p;
    return p;
  }

  async #doPass(): Promise<number> {
    const { store, clock } = this.#deps;
    const now = clock.now();
    await this.#requeueOrphans();
    if (now - this.#lastSweep >= this.#sweepMs) {
      this.#lastSweep = now;
      await this.#sweepAwaiting(now);
    }
    let free = this.#concurrency - this.#inFlight.size;
    if (free <= 0) return 0;
    const exclude = new Set<number>(this.#inFlight.keys());
    for (const [id, at] of this.#notBefore) {
      if (at > now) exclude.add(id);
      else this.#notBefore.delete(id);
    }
    const campaigns = new Map<number, Campaign | null>();
    let started = 0;
    for (let page = 0; page <= this.#scanPages && free > 0; page++) {
      // Only as many as there are free slots (a few more when some may be passed over).
      const want = Math.min(this.#batch, page === 0 ? free : Math.max(free, 16));
      const due = await store.commands.due(want, exclude);
      if (due.length === 0) break;
      const candidates: Command[] = [];
      const meterIds = new Set<number>();
      const campaignIds = new Set<number>();
      for (const c of due) {
        exclude.add(c.id);
        // Another runner's, or one this runner resumes only at start.
        if (c.state !== 'queued') continue;
        if (this.#busyMeters.has(c.meterId) || meterIds.has(c.meterId)) continue;
        candidates.push(c);
        if (c.deadline !== null && c.deadline <= now) continue;
        meterIds.add(c.meterId);
        if (c.campaignId !== null && !campaigns.has(c.campaignId)) campaignIds.add(c.campaignId);
      }
      // Lookups of the page at once (campaigns once per pass), not one awaited per command.
      await Promise.all([...campaignIds].map(async (id) => campaigns.set(id, await store.campaigns.get(id))));
      const meters = new Map<number, Meter | null>();
      await Promise.all([...meterIds].map(async (id) => meters.set(id, await store.meters.get(id))));
      const claims: Promise<boolean>[] = [];
      for (const c of candidates) {
        if (free <= 0) break;
        if (c.deadline !== null && c.deadline <= now) {
          claims.push(this.#expire(c, 'queued', null).then(() => false));
          continue;
        }
        if (this.#busyMeters.has(c.meterId)) continue;
        let campaign: Campaign | null = null;
        if (c.campaignId !== null) {
          campaign = campaigns.get(c.campaignId) ?? null;
          if (campaign === null || campaign.state !== 'running') continue;
        }
        const meter = meters.get(c.meterId) ?? null;
        if (meter === null) {
          claims.push(
            this.#fail(c, 'queued', {
              code: ControlErrorCode.NotFound,
              message: `meter ${c.meterId} does not exist`,
            }).then(() => false),
          );
          continue;
        }
        const slot: ThrottleSlot = {
          campaignId: c.campaignId,
          segment: meter.segment,
          urgent: c.priority === 'urgent',
        };
        const limits = campaign === null ? this.#defaults : throttleLimits(campaign.throttle, this.#defaults);
        if (!this.#book.admits(slot, limits, now)) continue;
        // Reserved before the claim is written, so the claims of a page run at once.
        this.#book.started(slot, now);
        this.#busyMeters.add(meter.id);
        free--;
        claims.push(this.#claim(c, meter, campaign, slot, now));
      }
      for (const ok of await Promise.all(claims)) if (ok) started++;
      if (due.length < want) break;
    }
    return started;
  }

  /** Claims a reserved command (queued → sending) and launches it; false when another runner won it. */
  async #claim(
    c: Command,
    meter: Meter,
    campaign: Campaign | null,
    slot: ThrottleSlot,
    at: number,
  ): Promise<boolean> {
    let claimed: Command;
    try {
      claimed = await this.#deps.store.commands.transition(c.id, 'queued', 'sending', this.#name, {
        attempts: c.attempts + 1,
      });
    } catch (e) {
      this.#book.unstarted(slot, at);
      this.#busyMeters.delete(meter.id);
      if (isConflict(e)) return false;
      throw e;
    }
    this.#launch(claimed, meter, campaign, slot);
    return true;
  }

  /** Runs a claimed command whose slot and meter are already reserved. */
  #launch(command: Command, meter: Meter, campaign: Campaign | null, slot: ThrottleSlot): void {
    const done = this.#execute(command, meter, campaign)
      .catch((e: unknown) => {
        // The outcome could not be written (store unreachable): the command is still
        // `sending` in the store; move it back to queued at the next pass.
        this.#orphans.add(command.id);
        this.#onError(e);
      })
      .then(async () => {
        this.#book.finished(slot);
        this.#busyMeters.delete(meter.id);
        if (command.campaignId !== null) await this.#campaignStep(command.campaignId);
      })
      .catch((e: unknown) => this.#onError(e))
      .finally(() => {
        this.#inFlight.delete(command.id);
        this.wake();
      });
    this.#inFlight.set(command.id, { slot, meterId: meter.id, done, touchedAt: command.updatedAt });
  }

  async #execute(command: Command, meter: Meter, campaign: Campaign | null): Promise<void> {
    const deps = this.#deps;
    const dryRun = campaign?.dryRun === true;
    let outcome: Awaited<ReturnType<Operation>>;
    try {
      const operation = deps.operations[command.kind];
      if (operation === undefined)
        throw new ControlError(
          ErrorKind.invalid,
          ControlErrorCode.Unsupported,
          `no operation for ${command.kind}`,
        );
      const ctx = await this.#context(command, meter, campaign);
      outcome = await operation(ctx);
    } catch (e) {
      await this.#afterFailure(command, failureOf(e));
      return;
    }
    if (!dryRun && outcome.meterPatch !== undefined && Object.keys(outcome.meterPatch).length > 0)
      await deps.store.meters.update(meter.id, outcome.meterPatch);
    const result = dryRun
      ? {
          ...outcome.result,
          dryRun: true,
          ...(outcome.meterPatch === undefined ? {} : { wouldPatch: outcome.meterPatch }),
        }
      : outcome.result;
    const confirmed = await deps.store.commands.transition(command.id, 'sending', 'confirmed', this.#name, {
      result,
      error: null,
    });
    await this.#outcomeAudit(confirmed, 'succeeded', { result });
  }

  async #context(command: Command, meter: Meter, campaign: Campaign | null): Promise<OperationContext> {
    const deps = this.#deps;
    const { store } = deps;
    const dryRun = campaign?.dryRun === true;
    const twins = dryRun && campaign !== null ? await this.#twinSet(campaign) : null;
    const sessions = twins?.sessions ?? deps.sessions;
    let progress = command.progress;
    const urgent = command.priority === 'urgent';
    return {
      command,
      meter,
      attempt: command.attempts,
      session: <T>(work: (driver: MeterDriver) => Promise<T>, keys?: SessionKeys): Promise<T> =>
        sessions.withMeter(
          meter.id,
          { urgent, deadline: command.deadline, ...(keys === undefined ? {} : { keys }) },
          work,
        ),
      saveProgress: async (p) => {
        progress = { ...(progress ?? {}), ...p };
        const saved = await store.commands.update(command.id, 'sending', { progress });
        const f = this.#inFlight.get(command.id);
        if (f !== undefined) f.touchedAt = saved.updatedAt;
      },
      storeReadings: async (values: readonly CollectedValue[]) => {
        if (dryRun || values.length === 0) return;
        await this.#ingest.storeSession(meter.id, values, 'on-demand');
      },
      recordEvent: async (event) => {
        if (dryRun) return;
        await store.events.append([{ ...event, meterId: meter.id }]);
      },
      images: store.firmware,
      vault: twins?.vault ?? deps.vault,
      counters: twins?.counters ?? store.counters,
      now: () => deps.clock.now(),
      sleep: (ms) => deps.sleep(ms),
      random: () => deps.random(),
    };
  }

  /** The twins of a dry-run campaign's meters, started once per campaign and kept until it ends. */
  #twinSet(campaign: Campaign): Promise<TwinSet> {
    let set = this.#twins.get(campaign.id);
    if (set === undefined) {
      const provider = this.#deps.twins;
      if (provider === undefined)
        return Promise.reject(
          new ControlError(
            ErrorKind.invalid,
            ControlErrorCode.Unsupported,
            'no twins are available in this process: a dry run cannot be rehearsed',
          ),
        );
      set = (async () => {
        const ids: number[] = [];
        let cursor: string | null = null;
        do {
          const page = await this.#deps.store.commands.list({ campaignId: campaign.id, limit: 5000, cursor });
          for (const c of page.items) ids.push(c.meterId);
          cursor = page.nextCursor;
        } while (cursor !== null);
        const t = await provider.twins(ids);
        return {
          sessions: t.sessions,
          vault: t.vault ?? memoryVault(),
          counters: memoryCounters(),
          dispose: () => t.dispose(),
        };
      })();
      this.#twins.set(campaign.id, set);
      set.catch(() => this.#twins.delete(campaign.id));
    }
    return set;
  }

  async #disposeTwins(ids: readonly number[] = [...this.#twins.keys()]): Promise<void> {
    for (const id of ids) {
      const set = this.#twins.get(id);
      this.#twins.delete(id);
      await set?.then((s) => s.dispose()).catch(() => {});
    }
  }

  async #afterFailure(command: Command, f: Failure): Promise<void> {
    const now = this.#deps.clock.now();
    if (command.deadline !== null && now >= command.deadline) {
      await this.#expire(command, 'sending', f.error);
      return;
    }
    if (f.retryAt !== undefined) {
      // The meter acts by itself at a time (a scheduled activation): no slot is held meanwhile,
      // and the wait is not an attempt. After a restart the operation asks to wait again.
      await this.#deps.store.commands.transition(command.id, 'sending', 'queued', this.#name, {
        attempts: Math.max(0, command.attempts - 1),
        error: null,
        detail: { waiting: true, until: f.retryAt, reason: f.error.message },
      });
      this.#notBefore.set(command.id, f.retryAt);
      return;
    }
    if (f.retryable && command.attempts < this.#maxAttempts) {
      const jitter = 0.5 + this.#deps.random();
      const delay = Math.min(this.#maxBackoffMs, this.#backoffMs * 2 ** (command.attempts - 1)) * jitter;
      // Progress is kept: the next attempt's operation reads it.
      await this.#deps.store.commands.transition(command.id, 'sending', 'queued', this.#name, {
        error: { code: f.error.code, message: f.error.message },
        detail: { retry: true, attempt: command.attempts, error: f.error },
      });
      this.#notBefore.set(command.id, now + Math.round(delay));
      return;
    }
    await this.#fail(command, 'sending', f.error);
  }

  async #fail(command: Command, from: 'queued' | 'sending', error: Failure['error']): Promise<void> {
    let failed: Command;
    try {
      failed = await this.#deps.store.commands.transition(command.id, from, 'failed', this.#name, {
        error: { code: error.code, message: error.message },
        detail: error.detail === undefined ? null : { error: error.detail },
      });
    } catch (e) {
      if (from === 'queued' && isConflict(e)) return;
      throw e;
    }
    await this.#outcomeAudit(failed, 'failed', { error });
    if (from !== 'sending' && failed.campaignId !== null) await this.#campaignStep(failed.campaignId);
  }

  async #expire(
    command: Command,
    from: 'queued' | 'sending' | 'awaiting-approval',
    last: Failure['error'] | null,
  ): Promise<void> {
    const error: CommandError = {
      code: ControlErrorCode.Expired,
      message:
        last === null
          ? 'the deadline passed before the command was done'
          : `the deadline passed; last attempt: ${last.code} ${last.message}`,
    };
    let expired: Command;
    try {
      expired = await this.#deps.store.commands.transition(command.id, from, 'expired', this.#name, {
        error,
        detail: { deadline: command.deadline, lastError: last },
      });
    } catch (e) {
      if (from !== 'sending' && isConflict(e)) return;
      throw e;
    }
    await this.#outcomeAudit(expired, 'failed', { error, lastError: last });
    if (from !== 'sending' && expired.campaignId !== null) await this.#campaignStep(expired.campaignId);
  }

  async #sweepAwaiting(now: number): Promise<void> {
    let cursor: string | null = null;
    do {
      const page = await this.#deps.store.commands.list({ state: 'awaiting-approval', limit: 500, cursor });
      for (const c of page.items)
        if (c.deadline !== null && c.deadline <= now) await this.#expire(c, 'awaiting-approval', null);
      cursor = page.nextCursor;
    } while (cursor !== null);
  }

  async #requeueOrphans(): Promise<void> {
    for (const id of [...this.#orphans]) {
      try {
        await this.#deps.store.commands.transition(id, 'sending', 'queued', this.#name, {
          detail: { resumed: true },
        });
        this.#orphans.delete(id);
      } catch (e) {
        if (isConflict(e)) this.#orphans.delete(id);
        else throw e;
      }
    }
  }

  /**
   * After a campaign's command ended (and left the throttle book): completes the campaign
   * when every command of it is terminal. Counting costs a query over the campaign, so it is
   * done only once this runner has no command of the campaign in flight (the last to end).
   */
  async #campaignStep(campaignId: number): Promise<void> {
    if (this.#book.campaignInFlight(campaignId) > 0) return;
    const done = await completeIfDone(this.#deps.store, campaignId, this.#name);
    if (done !== null) {
      this.#book.forget(done.id);
      await this.#disposeTwins([done.id]);
    }
  }

  async #outcomeAudit(
    command: Command,
    outcome: NewAuditEntry['outcome'],
    extra: Record<string, unknown>,
  ): Promise<void> {
    if (!(TERMINAL_BY_RUNNER as readonly string[]).includes(command.state)) return;
    await this.#deps.store.audit.append({
      actor: this.#name,
      action: `command.${command.state}`,
      target: `command:${command.id}`,
      outcome,
      detail: {
        address: 'system',
        meterId: command.meterId,
        kind: command.kind,
        reason: command.reason,
        campaignId: command.campaignId,
        attempts: command.attempts,
        requestedBy: command.requestedBy,
        requestedFrom: command.requestedFrom,
        ...extra,
      },
    });
  }
}
