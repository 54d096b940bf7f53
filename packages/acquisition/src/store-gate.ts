/**
 * At most `limit` store calls of collection in flight at once; the rest wait here, in order.
 *
 * The embedded store runs one operation at a time through a FIFO lock. With hundreds of
 * sessions storing at once, an API query queued behind all of them waited for every one (and
 * for a turn of the event loop each time the lock let the loop breathe): p99 above a second.
 * Holding collection's calls here instead keeps at most `limit` of them ahead of any other
 * caller in the store's queue, so the API's queries wait for a few operations, not hundreds;
 * collection's own throughput is unchanged (the store ran them one by one anyway).
 */
export class StoreGate {
  readonly #limit: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];
  #head = 0;

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#limit) {
      await new Promise<void>((r) => this.#waiting.push(r));
    } else {
      this.#active++;
    }
    try {
      return await fn();
    } finally {
      const next = this.#head < this.#waiting.length ? this.#waiting[this.#head++] : undefined;
      if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
        this.#waiting.splice(0, this.#head);
        this.#head = 0;
      }
      if (next !== undefined) next();
      else this.#active--;
    }
  }

  /** The port with each of its methods called through the gate. */
  wrap<P extends object>(port: P): P {
    const gate = this;
    return new Proxy(port, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => gate.run(() => Promise.resolve(v.apply(target, args)));
      },
    });
  }
}
