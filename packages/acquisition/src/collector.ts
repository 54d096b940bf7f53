import type {
  AuditStore,
  Clock,
  CollectionStatus,
  CollectionStore,
  KeyPurpose,
  Lease,
  MeterHealthStore,
  MeterLease,
} from '@openhes/core';
import type { MeterDriver } from '@openhes/drivers';
import { AcquisitionError, AcquisitionErrorCode } from './errors.ts';
import { LoopGuard, type LoopGuardOptions } from './loop-guard.ts';
import type { ReadKind } from './session.ts';

/** Commands (meter control) go before on-demand reads, which go before scheduled reads. */
export type TaskPriority = 'command' | 'on-demand' | 'scheduled';

const PRIORITIES: readonly TaskPriority[] = ['command', 'on-demand', 'scheduled'];

/** Entries run in one association after its own work, at most. */
const MAX_SHARED = 8;

/** Settles a follower run in a shared session, once that session is closed. */
type Settle = () => Promise<void>;

/** Which stored keys a session's driver uses: current ones, or a purpose's pending key (rotation). */
export type DriverKeys = Partial<Record<KeyPurpose, 'current' | 'pending'>>;

/** A session job: any work on an opened driver (a command's operation). */
export type SessionJob<T> = (driver: MeterDriver) => Promise<T>;

export interface SessionJobOptions {
  /** Default 'command'. */
  priority?: 'command' | 'on-demand';
  /** Ahead of other jobs of its priority (an urgent command). */
  urgent?: boolean;
  /** Keys the driver opens with (default every current key). */
  keys?: DriverKeys;
  /**
   * Give up waiting for a slot or the meter's lease after this instant (ms since epoch):
   * rejected with ACQ_METER_BUSY (retryable). Without it, the lease is tried `maxAttempts` times.
   */
  deadline?: number | null;
  /** Names the job in the queue (default `job-<meterId>`). */
  id?: string;
}

export interface CollectTask {
  id: string;
  meterId: number;
  reads: readonly ReadKind[];
  priority: TaskPriority;
}

export interface TaskResult {
  task: CollectTask;
  status: CollectionStatus;
  errorCode: string | null;
  attempts: number;
  readingsStored: number;
  eventsStored: number;
  bytes: number;
  durationMs: number;
}

/** What one attempt did; thrown errors carry `code` and `retryable`. */
export type AttemptWork = (
  driver: MeterDriver,
  task: CollectTask,
  attempt: number,
) => Promise<{ readingsStored: number; eventsStored: number }>;

export interface CollectorPorts {
  /** `keys` is given only for session jobs that ask for pending keys. */
  driverFor(meterId: number, keys?: DriverKeys): Promise<MeterDriver>;
  work: AttemptWork;
  outcomes: CollectionStore;
  audit: AuditStore;
  /** Each meter's failures and flag, kept so a restart (or another collector) sees them. */
  health: MeterHealthStore;
  /**
   * One session per meter across processes: a session runs only while its meter's lease is
   * held. Without it, one session per meter holds within this collector only.
   */
  lease?: { port: MeterLease; holder: string; ttlMs: number };
  clock: Clock;
  /** Waits between attempts (tests pass one that returns at once). */
  sleep(ms: number): Promise<void>;
  random?: () => number;
}

export interface CollectorOptions {
  /** Sessions at once; default 256. */
  concurrency?: number;
  /** Attempts per task for retryable failures; default 3. */
  maxAttempts?: number;
  /** First backoff; doubled per attempt, ±50 % jitter, capped; default 2 s. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Failed tasks in a row after which a meter is flagged; default 3. */
  flagAfter?: number;
  /** Scheduled tasks of a flagged meter are skipped for this long; default 1 h. */
  flaggedBackoffMs?: number;
  /**
   * Start fewer scheduled sessions while the event loop runs late, so the API and other
   * services in the process stay responsive (see LoopGuard); off unless given.
   */
  loopGuard?: LoopGuardOptions | false;
}

export { LoopGuard, type LoopGuardOptions } from './loop-guard.ts';

interface Entry {
  task: CollectTask;
  resolve: (r: TaskResult) => void;
  attempts: number;
  firstStart: number;
  bytes: number;
  /** Set for a session job instead of reads: runs on the opened driver, settles its own promise. */
  job?: {
    run: (driver: MeterDriver) => Promise<void>;
    /** Called once the session is closed after `run` succeeded. */
    done: () => void;
    fail: (error: unknown) => void;
    keys: DriverKeys | undefined;
    deadline: number | null;
  };
}

/** FIFO with O(1) take from the front (a fleet queues 100,000s of tasks at once). */
class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}

interface Health {
  failures: number;
  flaggedUntil: number;
  lastSuccessAt: number | null;
}

export interface CollectorProgress {
  queued: number;
  running: number;
  done: number;
  failed: number;
  readings: number;
  flagged: number;
}

/**
 * Failures of the meter's record, not of the meter: no session is tried again for them; the
 * task is skipped and the meter flagged at once (its scheduled reads skipped while flagged).
 */
const UNUSABLE_RECORD: ReadonlySet<string> = new Set([
  AcquisitionErrorCode.MeterRecordInvalid,
  AcquisitionErrorCode.UnknownMeter,
]);

function errorFields(e: unknown): { code: string; retryable: boolean } {
  const x = e as { code?: unknown; retryable?: unknown } | null;
  if (e instanceof Error && typeof x?.code === 'string')
    return { code: x.code, retryable: x.retryable === true };
  return { code: 'ACQ_INTERNAL', retryable: false };
}

/**
 * Runs collection tasks and session jobs: at most `concurrency` sessions at once and one per
 * meter, commands before on-demand tasks before scheduled ones, retryable failures retried with exponential backoff (the
 * worker slot is freed while waiting), every attempt's outcome stored, meters that keep
 * failing flagged (audited) and their scheduled tasks skipped while they back off.
 */
export class Collector {
  readonly #ports: CollectorPorts;
  readonly #concurrency: number;
  readonly #maxAttempts: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #flagAfter: number;
  readonly #flaggedBackoffMs: number;
  readonly #queues: Record<TaskPriority, Fifo<Entry>> = {
    command: new Fifo(),
    'on-demand': new Fifo(),
    scheduled: new Fifo(),
  };
  /** Tasks put back in front of their queue when their meter's session ended (and urgent jobs). */
  readonly #again: Record<TaskPriority, Fifo<Entry>> = {
    command: new Fifo(),
    'on-demand': new Fifo(),
    scheduled: new Fifo(),
  };
  /** Tasks whose meter was busy when their turn came, in arrival order, per meter. */
  readonly #blocked = new Map<number, Entry[]>();
  #blockedCount = 0;
  readonly #busy = new Set<number>();
  readonly #health = new Map<number, Health>();
  #running = 0;
  #waiting = 0;
  readonly #guard: LoopGuard | undefined;
  #idle: (() => void)[] = [];
  readonly progress: CollectorProgress = {
    queued: 0,
    running: 0,
    done: 0,
    failed: 0,
    readings: 0,
    flagged: 0,
  };

  constructor(ports: CollectorPorts, options: CollectorOptions = {}) {
    this.#ports = ports;
    this.#concurrency = options.concurrency ?? 256;
    this.#maxAttempts = options.maxAttempts ?? 3;
    this.#backoffMs = options.backoffMs ?? 2000;
    this.#maxBackoffMs = options.maxBackoffMs ?? 60_000;
    this.#flagAfter = options.flagAfter ?? 3;
    this.#flaggedBackoffMs = options.flaggedBackoffMs ?? 3_600_000;
    if (options.loopGuard !== undefined && options.loopGuard !== false) {
      this.#guard = new LoopGuard(this.#concurrency, options.loopGuard);
      this.#guard.onRaise(() => this.#pump());
    }
  }

  /** Scheduled sessions allowed at once now (the concurrency, or less while the loop runs late). */
  get sessionLimit(): number {
    return this.#guard?.limit ?? this.#concurrency;
  }

  submit(task: CollectTask): Promise<TaskResult> {
    return new Promise((resolve) => {
      this.#enqueue({ task, resolve, attempts: 0, firstStart: this.#ports.clock.now(), bytes: 0 });
    });
  }

  /**
   * Runs `job` in a session on the meter under the same rules as reads: one session per meter
   * (and its lease across processes), ahead of on-demand and scheduled reads. The driver is
   * opened before and closed after `job` whatever happens; the job's result or error (the
   * driver's, unchanged) settles the promise. Not retried here and not recorded as a
   * collection outcome: the caller (the command runner) owns retries and records.
   */
  runJob<T>(meterId: number, job: SessionJob<T>, options: SessionJobOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const priority = options.priority ?? 'command';
      let value: T;
      const e: Entry = {
        task: { id: options.id ?? `job-${meterId}`, meterId, reads: [], priority },
        resolve: () => {},
        attempts: 0,
        firstStart: this.#ports.clock.now(),
        bytes: 0,
        job: {
          run: async (driver) => {
            value = await job(driver);
          },
          done: () => resolve(value),
          fail: reject,
          keys: options.keys,
          deadline: options.deadline ?? null,
        },
      };
      if (options.urgent === true) {
        this.#again[priority].push(e);
        this.progress.queued++;
        this.#pump();
      } else this.#enqueue(e);
    });
  }

  isFlagged(meterId: number): boolean {
    const h = this.#health.get(meterId);
    return h !== undefined && h.flaggedUntil > 0;
  }

  flaggedMeters(): number[] {
    return [...this.#health.entries()].filter(([, h]) => h.flaggedUntil > 0).map(([id]) => id);
  }

  /** Resolves when nothing is queued, running or waiting to retry. */
  drain(): Promise<void> {
    if (this.#pending() === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #pending(): number {
    let queued = 0;
    for (const p of PRIORITIES) queued += this.#queues[p].length + this.#again[p].length;
    return queued + this.#blockedCount + this.#running + this.#waiting;
  }

  #enqueue(e: Entry): void {
    this.#queues[e.task.priority].push(e);
    this.progress.queued++;
    this.#pump();
  }

  /**
   * The next task whose meter has no session: commands, then on-demand, then scheduled; a task whose meter
   * is busy waits aside (in order) and comes back in front of its queue when that session ends.
   */
  #take(scheduled = true): Entry | undefined {
    for (const priority of scheduled ? PRIORITIES : (['command', 'on-demand'] as const)) {
      for (const q of [this.#again[priority], this.#queues[priority]]) {
        for (let e = q.shift(); e !== undefined; e = q.shift()) {
          const meterId = e.task.meterId;
          if (!this.#busy.has(meterId)) return e;
          const waiting = this.#blocked.get(meterId);
          if (waiting) waiting.push(e);
          else this.#blocked.set(meterId, [e]);
          this.#blockedCount++;
        }
      }
    }
    return undefined;
  }

  #release(meterId: number): void {
    this.#busy.delete(meterId);
    const waiting = this.#blocked.get(meterId);
    if (waiting === undefined) return;
    this.#blocked.delete(meterId);
    this.#blockedCount -= waiting.length;
    for (const e of waiting) this.#again[e.task.priority].push(e);
  }

  #pump(): void {
    if (this.#guard !== undefined && this.#pending() > 0) this.#guard.start();
    while (this.#running < this.#concurrency) {
      const e = this.#take(this.#guard === undefined || this.#running < this.#guard.limit);
      if (e === undefined) break;
      this.progress.queued--;
      this.#running++;
      this.progress.running = this.#running;
      this.#busy.add(e.task.meterId);
      void this.#attempt(e)
        .catch((err: unknown) =>
          e.job === undefined ? this.#finish(e, 'failed', errorFields(err).code, 0, 0) : e.job.fail(err),
        )
        .finally(() => {
          this.#release(e.task.meterId);
          this.#running--;
          this.progress.running = this.#running;
          this.#pump();
          this.#checkIdle();
        });
    }
  }

  #checkIdle(): void {
    if (this.#pending() !== 0) return;
    this.#guard?.stop();
    const idle = this.#idle;
    this.#idle = [];
    for (const f of idle) f();
  }

  async #attempt(e: Entry): Promise<void> {
    const p = this.#ports;
    const task = e.task;
    const health = this.#health.get(task.meterId);
    const startedAt = p.clock.now();
    if (e.job !== undefined) return this.#attemptJob(e, e.job, startedAt);
    if (task.priority === 'scheduled' && health !== undefined && health.flaggedUntil > startedAt) {
      await this.#record(task, startedAt, 'skipped', AcquisitionErrorCode.MeterFlagged, 0, e.attempts);
      this.#finish(e, 'skipped', AcquisitionErrorCode.MeterFlagged, 0, 0);
      return;
    }
    e.attempts++;
    let lease: Lease | null = null;
    if (p.lease !== undefined) {
      lease = await p.lease.port.tryAcquire(task.meterId, p.lease.holder, p.lease.ttlMs);
      if (lease === null) {
        // Another process has a session with this meter: a scheduled read is skipped (the
        // meter is being read now), an on-demand one waits its turn.
        if (task.priority === 'on-demand' && e.attempts < this.#maxAttempts) {
          this.#waiting++;
          void this.#retryLater(e);
          return;
        }
        await this.#record(task, startedAt, 'skipped', AcquisitionErrorCode.MeterBusy, 0, e.attempts);
        this.#finish(e, 'skipped', AcquisitionErrorCode.MeterBusy, 0, 0);
        return;
      }
    }
    const held = lease;
    const renewing =
      held === null || p.lease === undefined
        ? undefined
        : setInterval(() => void held.renew().catch(() => false), Math.max(50, p.lease.ttlMs / 3));
    try {
      // The session's span starts once its lease is held, so spans of one meter never overlap.
      await this.#session(e, lease === null ? startedAt : p.clock.now());
    } finally {
      clearInterval(renewing);
      await held?.release().catch(() => {});
    }
  }

  async #attemptJob(e: Entry, job: NonNullable<Entry['job']>, startedAt: number): Promise<void> {
    const p = this.#ports;
    const meterId = e.task.meterId;
    if (job.deadline !== null && startedAt >= job.deadline) {
      job.fail(
        new AcquisitionError(
          AcquisitionErrorCode.MeterBusy,
          `meter ${meterId}: no session before the deadline`,
          {
            retryable: true,
            detail: { meterId, deadline: job.deadline },
          },
        ),
      );
      return;
    }
    e.attempts++;
    let lease: Lease | null = null;
    if (p.lease !== undefined) {
      lease = await p.lease.port.tryAcquire(meterId, p.lease.holder, p.lease.ttlMs);
      if (lease === null) {
        // Another process has a session with this meter: the job waits its turn.
        if (job.deadline !== null || e.attempts < this.#maxAttempts) {
          this.#waiting++;
          void this.#retryLater(e);
          return;
        }
        job.fail(
          new AcquisitionError(
            AcquisitionErrorCode.MeterBusy,
            `meter ${meterId}: another process holds its session`,
            {
              retryable: true,
              detail: { meterId },
            },
          ),
        );
        return;
      }
    }
    const held = lease;
    const renewing =
      held === null || p.lease === undefined
        ? undefined
        : setInterval(() => void held.renew().catch(() => false), Math.max(50, p.lease.ttlMs / 3));
    let driver: MeterDriver | undefined;
    let failure: { error: unknown } | undefined;
    let after: Settle[] = [];
    try {
      driver = job.keys === undefined ? await p.driverFor(meterId) : await p.driverFor(meterId, job.keys);
      await driver.open();
      await job.run(driver);
      // Work waiting for this meter runs in the same association (current keys only).
      if (job.keys === undefined) after = await this.#shareSession(meterId, driver, true);
    } catch (err) {
      failure = { error: err };
    }
    // Closing's own failure changes nothing: the job's work happened (or failed) already.
    await driver?.close().catch(() => {});
    if (driver !== undefined) e.bytes += driver.stats.bytesIn + driver.stats.bytesOut;
    clearInterval(renewing);
    await held?.release().catch(() => {});
    if (failure === undefined) job.done();
    else job.fail(failure.error);
    for (const settle of after) await settle();
  }

  /**
   * After a session's own work succeeded, runs work queued behind it for the same meter in that
   * association instead of closing and opening another: session jobs on current keys and, after a
   * job's session only, one read (commands first, then on-demand, then scheduled reads), at most
   * `MAX_SHARED` of them. Stops at
   * the first failure (the association may be gone); what is left waits as before. Returns how to
   * settle each follower once the session is closed.
   */
  async #shareSession(meterId: number, driver: MeterDriver, readAllowed: boolean): Promise<Settle[]> {
    const after: Settle[] = [];
    // At most one read follows (after a command session): two reads' outcomes, both settled at
    // close, would overlap as sessions of the meter.
    let readTaken = !readAllowed;
    for (let n = 0; n < MAX_SHARED; n++) {
      const e = this.#follower(meterId, !readTaken);
      if (e === undefined) break;
      if (e.job === undefined) readTaken = true;
      e.attempts++;
      const startedAt = this.#ports.clock.now();
      const bytes0 = driver.stats.bytesIn + driver.stats.bytesOut;
      const job = e.job;
      // Settling never throws: a follower whose outcome cannot be written ends failed.
      const settled =
        (work: Settle): Settle =>
        () =>
          work().catch((err: unknown) =>
            job === undefined ? this.#finish(e, 'failed', errorFields(err).code, 0, 0) : job.fail(err),
          );
      try {
        if (job !== undefined) {
          await job.run(driver);
          after.push(settled(async () => job.done()));
        } else {
          const r = await this.#ports.work(driver, e.task, e.attempts);
          after.push(
            settled(async () => {
              await this.#record(e.task, startedAt, 'success', null, r.readingsStored, e.attempts);
              await this.#healthy(e.task.meterId);
              this.progress.readings += r.readingsStored;
              this.#finish(e, 'success', null, r.readingsStored, r.eventsStored);
            }),
          );
        }
      } catch (err) {
        after.push(
          settled(async () => (job === undefined ? this.#readFailed(e, startedAt, err) : job.fail(err))),
        );
        break;
      } finally {
        e.bytes += driver.stats.bytesIn + driver.stats.bytesOut - bytes0;
      }
    }
    return after;
  }

  /** The next entry waiting for `meterId` that may run in its open session (removed from the wait). */
  #follower(meterId: number, readAllowed: boolean): Entry | undefined {
    const waiting = this.#blocked.get(meterId);
    if (waiting === undefined) return undefined;
    const now = this.#ports.clock.now();
    let best = -1;
    for (let i = 0; i < waiting.length; i++) {
      const e = waiting[i]!;
      if (e.job === undefined && !readAllowed) continue;
      if (e.job !== undefined) {
        if (e.job.keys !== undefined || (e.job.deadline !== null && now >= e.job.deadline)) continue;
      } else if (e.task.priority === 'scheduled' && (this.#health.get(meterId)?.flaggedUntil ?? 0) > now)
        continue;
      const rank = PRIORITIES.indexOf(e.task.priority);
      if (best < 0 || rank < PRIORITIES.indexOf(waiting[best]!.task.priority)) best = i;
    }
    if (best < 0) return undefined;
    const [e] = waiting.splice(best, 1);
    if (waiting.length === 0) this.#blocked.delete(meterId);
    this.#blockedCount--;
    this.progress.queued--;
    return e;
  }

  async #session(e: Entry, startedAt: number): Promise<void> {
    const p = this.#ports;
    const task = e.task;
    let driver: MeterDriver | undefined;
    let after: Settle[] = [];
    let own: number | undefined;
    try {
      driver = await p.driverFor(task.meterId);
      await driver.open();
      const r = await p.work(driver, task, e.attempts);
      own = driver.stats.bytesIn + driver.stats.bytesOut;
      // Commands waiting for this meter run in the same association. Reads do not follow reads:
      // each read's outcome is one session of the meter, and sessions of a meter never overlap.
      after = await this.#shareSession(task.meterId, driver, false);
      await driver.close();
      e.bytes += own;
      await this.#record(task, startedAt, 'success', null, r.readingsStored, e.attempts);
      await this.#healthy(task.meterId);
      this.progress.readings += r.readingsStored;
      this.#finish(e, 'success', null, r.readingsStored, r.eventsStored);
    } catch (err) {
      if (driver) {
        e.bytes += own ?? driver.stats.bytesIn + driver.stats.bytesOut;
        await driver.close().catch(() => {});
      }
      await this.#readFailed(e, startedAt, err);
    } finally {
      for (const settle of after) await settle();
    }
  }

  /** A read attempt failed: recorded, retried later when retryable, else the meter's failure counted. */
  async #readFailed(e: Entry, startedAt: number, err: unknown): Promise<void> {
    const task = e.task;
    const { code, retryable } = errorFields(err);
    if (UNUSABLE_RECORD.has(code)) {
      await this.#record(task, startedAt, 'skipped', code, 0, e.attempts);
      await this.#unhealthy(task.meterId, code, true);
      this.#finish(e, 'skipped', code, 0, 0);
      return;
    }
    await this.#record(task, startedAt, 'failed', code, 0, e.attempts);
    if (retryable && e.attempts < this.#maxAttempts) {
      this.#waiting++;
      void this.#retryLater(e);
      return;
    }
    await this.#unhealthy(task.meterId, code);
    this.#finish(e, 'failed', code, 0, 0);
  }

  async #retryLater(e: Entry): Promise<void> {
    const jitter = 0.5 + (this.#ports.random ?? Math.random)();
    const delay = Math.min(this.#maxBackoffMs, this.#backoffMs * 2 ** (e.attempts - 1) * jitter);
    try {
      await this.#ports.sleep(Math.round(delay));
    } finally {
      this.#waiting--;
      this.#enqueue(e);
    }
  }

  async #record(
    task: CollectTask,
    startedAt: number,
    status: CollectionStatus,
    errorCode: string | null,
    readingsStored: number,
    attempt: number,
  ): Promise<void> {
    await this.#ports.outcomes.record({
      meterId: task.meterId,
      taskId: task.id,
      startedAt,
      finishedAt: this.#ports.clock.now(),
      status,
      errorCode,
      readingsStored,
      attempt,
    });
  }

  async #healthy(meterId: number): Promise<void> {
    const h = this.#health.get(meterId);
    if (h === undefined) return;
    this.#health.delete(meterId);
    const now = this.#ports.clock.now();
    await this.#ports.health.put({
      meterId,
      failures: 0,
      flaggedUntil: null,
      lastSuccessAt: now,
      lastFailureAt: null,
      lastError: null,
    });
    if (h.flaggedUntil === 0) return;
    this.progress.flagged--;
    await this.#ports.audit.append({
      actor: 'acquisition',
      action: 'meter.unflagged',
      target: `meter:${meterId}`,
      outcome: 'succeeded',
      detail: null,
    });
  }

  /** After a restart: flags again the meters the health store shows flagged; returns their ids. */
  async restoreFlags(): Promise<number[]> {
    const now = this.#ports.clock.now();
    const restored: number[] = [];
    for (const h of await this.#ports.health.flagged(now)) {
      if (h.flaggedUntil === null || h.flaggedUntil <= now) continue;
      restored.push(h.meterId);
      if (this.isFlagged(h.meterId)) continue;
      this.#health.set(h.meterId, {
        failures: h.failures,
        flaggedUntil: h.flaggedUntil,
        lastSuccessAt: h.lastSuccessAt,
      });
      this.progress.flagged++;
    }
    return restored;
  }

  async #unhealthy(meterId: number, code: string, flagNow = false): Promise<void> {
    const h = this.#health.get(meterId) ?? { failures: 0, flaggedUntil: 0, lastSuccessAt: null };
    h.failures++;
    this.#health.set(meterId, h);
    const now = this.#ports.clock.now();
    const flag = flagNow || h.failures >= this.#flagAfter;
    const newlyFlagged = flag && h.flaggedUntil === 0;
    if (flag) h.flaggedUntil = now + this.#flaggedBackoffMs;
    await this.#ports.health.put({
      meterId,
      failures: h.failures,
      flaggedUntil: flag ? h.flaggedUntil : null,
      lastSuccessAt: h.lastSuccessAt,
      lastFailureAt: now,
      lastError: code,
    });
    if (!newlyFlagged) return;
    this.progress.flagged++;
    await this.#ports.audit.append({
      actor: 'acquisition',
      action: 'meter.flagged',
      target: `meter:${meterId}`,
      outcome: 'failed',
      detail: { failures: h.failures, lastError: code },
    });
  }

  #finish(
    e: Entry,
    status: CollectionStatus,
    errorCode: string | null,
    readingsStored: number,
    eventsStored: number,
  ): void {
    if (status === 'success') this.progress.done++;
    else this.progress.failed++;
    e.resolve({
      task: e.task,
      status,
      errorCode,
      attempts: e.attempts,
      readingsStored,
      eventsStored,
      bytes: e.bytes,
      durationMs: this.#ports.clock.now() - e.firstStart,
    });
  }
}
