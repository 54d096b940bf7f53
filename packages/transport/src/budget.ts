/*
 * File descriptors are a process-wide resource with a hard cap: a flood of connections on one
 * listener must not take the descriptors that the collectors' outgoing connections, the API
 * and the store need. A SocketBudget counts the sockets the process holds, by use.
 */

/** What a socket is for: the shares of a budget are named by these (any other name may be added). */
export type SocketUse = 'collector' | 'api' | 'push' | (string & {});

export interface SocketBudgetOptions {
  /**
   * Sockets the process may hold at once, every use together. Keep it well under the
   * process's file-descriptor limit: the store, log files and Node itself use descriptors too.
   */
  total: number;
  /**
   * Sockets reserved for each use: only that use may take them, so no other use can starve it.
   * What no share reserves (total − the sum of shares) is a pool any use may borrow from,
   * except the uses listed in `capped`. The sum of the shares may not exceed `total`.
   */
  shares: Readonly<Record<string, number>>;
  /** Uses held to their own share (never borrowing from the pool): the listeners open to strangers. */
  capped?: readonly SocketUse[];
}

/** One socket taken from a budget; `release` is idempotent. */
export interface SocketLease {
  readonly use: SocketUse;
  release(): void;
}

export interface SocketBudgetUsage {
  total: number;
  held: number;
  byUse: Record<string, { held: number; share: number; refused: number }>;
}

export class SocketBudget {
  readonly total: number;
  readonly #shares = new Map<string, number>();
  readonly #held = new Map<string, number>();
  readonly #refused = new Map<string, number>();
  readonly #capped: ReadonlySet<string>;
  /** Sockets nobody's share reserves. */
  readonly pool: number;
  #pooled = 0;

  constructor(options: SocketBudgetOptions) {
    if (!Number.isInteger(options.total) || options.total < 1)
      throw new RangeError(`socket budget: total must be a positive integer, not ${options.total}`);
    let reserved = 0;
    for (const [use, n] of Object.entries(options.shares)) {
      if (!Number.isInteger(n) || n < 0)
        throw new RangeError(`socket budget: share of ${use} must be an integer ≥ 0, not ${n}`);
      this.#shares.set(use, n);
      this.#held.set(use, 0);
      this.#refused.set(use, 0);
      reserved += n;
    }
    if (reserved > options.total)
      throw new RangeError(`socket budget: shares (${reserved}) exceed the total (${options.total})`);
    this.total = options.total;
    this.pool = options.total - reserved;
    this.#capped = new Set(options.capped ?? []);
  }

  /** A socket for `use`, or undefined when its share (and the pool it may borrow from) is used up. */
  tryAcquire(use: SocketUse): SocketLease | undefined {
    const share = this.#shares.get(use);
    if (share === undefined) throw new RangeError(`socket budget: no share for '${use}'`);
    const held = this.#held.get(use)!;
    let pooled = false;
    if (held >= share) {
      if (this.#capped.has(use) || this.#pooled >= this.pool) {
        this.#refused.set(use, this.#refused.get(use)! + 1);
        return undefined;
      }
      pooled = true;
      this.#pooled++;
    }
    this.#held.set(use, held + 1);
    let released = false;
    return {
      use,
      release: () => {
        if (released) return;
        released = true;
        this.#held.set(use, this.#held.get(use)! - 1);
        if (pooled) this.#pooled--;
      },
    };
  }

  /** Sockets `use` holds now. */
  held(use: SocketUse): number {
    return this.#held.get(use) ?? 0;
  }

  usage(): SocketBudgetUsage {
    const byUse: SocketBudgetUsage['byUse'] = {};
    let held = 0;
    for (const [use, share] of this.#shares) {
      const h = this.#held.get(use)!;
      held += h;
      byUse[use] = { held: h, share, refused: this.#refused.get(use)! };
    }
    return { total: this.total, held, byUse };
  }
}

/** A budget and the use to charge: what a listener or a connect draws from. */
export interface SocketAccount {
  budget: SocketBudget;
  use: SocketUse;
}

/**
 * Reports refusals without flooding the log: the first refusal of a reason is told at once,
 * the next ones of that reason within `intervalMs` are counted and told as one line when the
 * interval ends (`… ×N in the last Ns`). At most one line per reason per interval.
 */
export class RateLimitedLog {
  readonly #log: (line: string) => void;
  readonly #intervalMs: number;
  readonly #windows = new Map<string, { count: number; last: string; timer: NodeJS.Timeout }>();

  constructor(log: (line: string) => void, intervalMs = 10_000) {
    this.#log = log;
    this.#intervalMs = intervalMs;
  }

  /** One refusal of `reason`; `detail` (e.g. the peer) is shown with the line that reports it. */
  note(reason: string, detail: string): void {
    const w = this.#windows.get(reason);
    if (w !== undefined) {
      w.count++;
      w.last = detail;
      return;
    }
    this.#log(`${reason}: ${detail}`);
    this.#open(reason);
  }

  #open(reason: string): void {
    const timer = setTimeout(() => this.#flush(reason), this.#intervalMs);
    timer.unref();
    this.#windows.set(reason, { count: 0, last: '', timer });
  }

  #flush(reason: string): void {
    const w = this.#windows.get(reason);
    this.#windows.delete(reason);
    if (w === undefined || w.count === 0) return;
    this.#log(
      `${reason}: ×${w.count} more in the last ${Math.round(this.#intervalMs / 1000)} s (latest ${w.last})`,
    );
    this.#open(reason);
  }

  /** Tells what is counted and stops the timers. */
  close(): void {
    for (const reason of [...this.#windows.keys()]) {
      const w = this.#windows.get(reason)!;
      clearTimeout(w.timer);
      this.#windows.delete(reason);
      if (w.count > 0) this.#log(`${reason}: ×${w.count} more (latest ${w.last})`);
    }
  }
}
