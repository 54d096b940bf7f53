import { DriverError, DriverErrorCode } from '../errors.ts';

/**
 * Durable source of the invocation counters we send with (one per meter and key): `reserve`
 * hands out `count` values never handed out before, even across crashes, and returns the first.
 */
export interface CounterSource {
  reserve(count: number): Promise<number>;
}

/**
 * The block of counters one session may use. The session's counter state starts at the block's
 * first value; a counter at or past the block's end is refused before it reaches the wire (a
 * reused counter under the same key would break AES-GCM).
 */
export class CounterLease {
  readonly #source: CounterSource;
  readonly #block: number;
  #end = 0;
  #next = 0;
  #contiguous = true;

  constructor(source: CounterSource, block = 1024) {
    this.#source = source;
    this.#block = block;
  }

  /** Reserves the first block; returns the first counter to send. */
  async start(): Promise<number> {
    const first = await this.#source.reserve(this.#block);
    this.#next = first;
    this.#end = first + this.#block;
    return first;
  }

  /** Called by the session with the next counter after each use; throws before a counter outside the lease goes out. */
  used(next: number): void {
    this.#next = next;
    if (next > this.#end) {
      throw new DriverError(DriverErrorCode.Security, 'invocation counter lease exhausted in this session', {
        retryable: true,
        detail: { next, end: this.#end },
      });
    }
  }

  /** Extends the lease when fewer than `need` counters remain and the store continues where it ends. */
  async ensure(need: number): Promise<void> {
    if (!this.#contiguous || this.#end - this.#next >= need) return;
    const first = await this.#source.reserve(this.#block);
    if (first === this.#end) this.#end += this.#block;
    else this.#contiguous = false;
  }

  get next(): number {
    return this.#next;
  }

  get end(): number {
    return this.#end;
  }
}

/**
 * Durable record of the highest invocation counter accepted from one meter under one key (the
 * meter's send counter, shared by its responses and its pushes).
 */
export interface ReceivedCounterSource {
  /** The highest counter accepted so far, by any session or push; undefined when none. */
  current(): Promise<number | undefined>;
  /** Records `value` as accepted; never lowers what is stored (a push may have raised it meanwhile). */
  raise(value: number): Promise<void>;
  /**
   * Told at once of each new highest counter the open session accepted, before it is stored
   * (in memory, so a push listener in the same process can refuse a replay of it meanwhile).
   */
  seen?(value: number): void;
}

/**
 * The received counters of one session: the floor loaded when it opens (anything at or below it
 * is a replay), the highest accepted while it runs, and that highest written back once when it
 * ends. Pushes accepted meanwhile may raise the stored value above the floor; the session still
 * accepts what lies between, and `save` leaves a higher stored value alone.
 */
export class ReceivedCounterWatch {
  readonly #source: ReceivedCounterSource;
  #floor: number | undefined;
  #highest: number | undefined;
  #saved: number | undefined;

  constructor(source: ReceivedCounterSource) {
    this.#source = source;
  }

  /** Loads the floor; returns it (undefined: nothing accepted from this meter yet). */
  async start(): Promise<number | undefined> {
    try {
      this.#floor = await this.#source.current();
    } catch (e) {
      throw new DriverError(DriverErrorCode.Security, 'received invocation counter could not be read', {
        retryable: true,
        cause: e,
      });
    }
    this.#highest = undefined;
    this.#saved = undefined;
    return this.#floor;
  }

  /** Called by the session for each counter it accepted (authenticated, above the floor). */
  accepted(invocationCounter: number): void {
    if (this.#highest === undefined || invocationCounter > this.#highest) {
      this.#highest = invocationCounter;
      this.#source.seen?.(invocationCounter);
    }
  }

  /** Writes the highest accepted counter back, once per value; a failure leaves it to save again. */
  async save(): Promise<void> {
    const h = this.#highest;
    if (h === undefined || h === this.#saved) return;
    if (this.#floor !== undefined && h <= this.#floor) return;
    try {
      await this.#source.raise(h);
    } catch (e) {
      throw new DriverError(DriverErrorCode.Security, 'received invocation counter could not be stored', {
        retryable: true,
        cause: e,
        detail: { invocationCounter: h },
      });
    }
    this.#saved = h;
  }
}
