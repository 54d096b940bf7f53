/**
 * Keeps collection from starving everything else on the event loop (the API above all).
 *
 * Sessions share the loop with the API: every socket read of every running session decodes,
 * deciphers and stores in the turn it arrives, so with hundreds of sessions at once a turn of
 * the loop grew to hundreds of milliseconds and `/health` took seconds. The guard samples the
 * loop's lateness with a short timer and adapts how many scheduled sessions may run at once
 * (additive increase, multiplicative decrease): above `targetLagMs` the limit shrinks by a
 * quarter, below half of it it grows again, between `minSessions` and the collector's
 * concurrency. Running sessions are never cut off; only new ones wait. On-demand reads are
 * not held back by it (the operator asked for them).
 */
export interface LoopGuardOptions {
  /** Lateness of the loop above which fewer sessions are started; default 20 ms. */
  targetLagMs?: number;
  /** How often the loop is sampled; default 10 ms. */
  sampleMs?: number;
  /** Sessions always allowed; default 4. */
  minSessions?: number;
  /** Sessions allowed at the start (before any sample); default 16. */
  startSessions?: number;
}

export class LoopGuard {
  readonly #max: number;
  readonly #target: number;
  readonly #sampleMs: number;
  readonly #min: number;
  #limit: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #expected = 0;
  #onRaise: () => void = () => {};
  /** Worst lateness seen in the current sample window, ms. */
  lastLagMs = 0;

  constructor(maxSessions: number, options: LoopGuardOptions = {}) {
    this.#max = Math.max(1, maxSessions);
    this.#target = options.targetLagMs ?? 20;
    this.#sampleMs = options.sampleMs ?? 10;
    this.#min = Math.min(this.#max, Math.max(1, options.minSessions ?? 4));
    this.#limit = Math.min(this.#max, Math.max(this.#min, options.startSessions ?? 16));
  }

  /** Sessions that may run now. */
  get limit(): number {
    return this.#limit;
  }

  /** Called when the limit grows (the collector starts more sessions then). */
  onRaise(f: () => void): void {
    this.#onRaise = f;
  }

  /** Samples while there is work; `stop` when the collector is idle. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#arm();
  }

  stop(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    this.#expected = performance.now() + this.#sampleMs;
    this.#timer = setTimeout(() => this.#sample(), this.#sampleMs);
    this.#timer.unref?.();
  }

  #sample(): void {
    const lag = Math.max(0, performance.now() - this.#expected);
    this.lastLagMs = lag;
    this.observe(lag);
    this.#arm();
  }

  /** Adapts the limit to one lateness sample (public for tests). */
  observe(lagMs: number): void {
    if (lagMs > this.#target) {
      this.#limit = Math.max(this.#min, Math.floor(this.#limit * 0.75));
    } else if (lagMs < this.#target / 2 && this.#limit < this.#max) {
      this.#limit = Math.min(this.#max, this.#limit + Math.max(1, Math.floor(this.#limit / 16)));
      this.#onRaise();
    }
  }
}
