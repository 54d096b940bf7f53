/**
 * FIFO async lock: one holder at a time.
 *
 * Holders queued behind each other run back to back in one microtask chain, which would keep
 * the event loop from sockets and timers for as long as the queue lasts (thousands of
 * sessions storing at once: seconds). So when holders have run for `budgetMs` within one turn
 * of the event loop, the next one first lets the loop turn (setImmediate): I/O is served
 * between database operations, and the order of holders is unchanged.
 */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();
  readonly #budgetMs: number;
  /** When holders started running in the current turn of the event loop; undefined after it. */
  #turnStart: number | undefined;

  constructor(budgetMs = 8) {
    this.#budgetMs = budgetMs;
  }

  async run<T>(fn: () => Promise<T> | T): Promise<T> {
    const prev = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((r) => {
      release = r;
    });
    await prev;
    try {
      if (this.#budgetMs > 0) await this.#fair();
      return await fn();
    } finally {
      release();
    }
  }

  #startTurn(now: number): void {
    this.#turnStart = now;
    setImmediate(() => {
      this.#turnStart = undefined;
    });
  }

  async #fair(): Promise<void> {
    const now = performance.now();
    if (this.#turnStart === undefined) {
      this.#startTurn(now);
      return;
    }
    if (now - this.#turnStart < this.#budgetMs) return;
    await new Promise<void>((r) => setImmediate(r));
    this.#startTurn(performance.now());
  }
}
