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
