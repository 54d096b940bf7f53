import { DlmsError, DlmsErrorCode } from '../errors.ts';

/** The invocation counter is an Unsigned32 on the wire; it must never repeat under one key. */
export const MAX_INVOCATION_COUNTER = 0xffffffff;

/** What decipherApdu needs to refuse replays: called only after the frame authenticated. */
export interface ReplayGuard {
  lastReceived(systemTitleHex: string): number | undefined;
  /** Throws DlmsError Replay when `invocationCounter` is not above the last one accepted. */
  accept(systemTitleHex: string, invocationCounter: number): void;
}

export type InvocationCounterChange =
  | { direction: 'send'; next: number }
  | { direction: 'receive'; systemTitleHex: string; last: number };

export interface InvocationCounterStateOptions {
  /** First counter value to send (0 when absent). */
  nextToSend?: number;
  /** Last counter accepted per peer system title (hex). */
  received?: Readonly<Record<string, number>>;
  /**
   * Called synchronously after every change, before the new value is used, so a store can
   * persist it. An exception thrown here propagates to the caller; the counter stays advanced.
   */
  onChange?: (change: InvocationCounterChange) => void;
}

function checkCounter(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new DlmsError(DlmsErrorCode.Security, `${what} ${value} is not in 0..${max}`);
  }
}

function normaliseTitle(systemTitleHex: string): string {
  return systemTitleHex.toUpperCase();
}

/**
 * Invocation counters of one security context, in memory and synchronous: the counter we send
 * with and the last counter accepted from each peer system title. Counters only move up.
 */
export class InvocationCounterState implements ReplayGuard {
  #next: number;
  readonly #received = new Map<string, number>();
  readonly #onChange: ((change: InvocationCounterChange) => void) | undefined;

  constructor(options: InvocationCounterStateOptions = {}) {
    const next = options.nextToSend ?? 0;
    checkCounter(next, MAX_INVOCATION_COUNTER + 1, 'next invocation counter');
    this.#next = next;
    for (const [title, last] of Object.entries(options.received ?? {})) {
      checkCounter(last, MAX_INVOCATION_COUNTER, 'received invocation counter');
      this.#received.set(normaliseTitle(title), last);
    }
    this.#onChange = options.onChange;
  }

  /** The value the next `nextToSend()` will return; MAX+1 once exhausted. */
  get peekNextToSend(): number {
    return this.#next;
  }

  /** Reserves and returns the counter for the next outgoing ciphered APDU. */
  nextToSend(): number {
    const value = this.#next;
    if (value > MAX_INVOCATION_COUNTER) {
      throw new DlmsError(
        DlmsErrorCode.Security,
        'invocation counter exhausted (0xFFFFFFFF used); the key must be changed',
      );
    }
    this.#next = value + 1;
    this.#onChange?.({ direction: 'send', next: this.#next });
    return value;
  }

  /** Raises the next counter to send to at least `next` (e.g. loaded from a store); never lowers it. */
  restore(next: number): void {
    checkCounter(next, MAX_INVOCATION_COUNTER + 1, 'next invocation counter');
    if (next > this.#next) this.#next = next;
  }

  /** Raises the last counter accepted from a peer; never lowers it. */
  restoreReceived(systemTitleHex: string, last: number): void {
    checkCounter(last, MAX_INVOCATION_COUNTER, 'received invocation counter');
    const title = normaliseTitle(systemTitleHex);
    const current = this.#received.get(title);
    if (current === undefined || last > current) this.#received.set(title, last);
  }

  lastReceived(systemTitleHex: string): number | undefined {
    return this.#received.get(normaliseTitle(systemTitleHex));
  }

  accept(systemTitleHex: string, invocationCounter: number): void {
    checkCounter(invocationCounter, MAX_INVOCATION_COUNTER, 'received invocation counter');
    const title = normaliseTitle(systemTitleHex);
    const last = this.#received.get(title);
    if (last !== undefined && invocationCounter <= last) {
      throw new DlmsError(
        DlmsErrorCode.Replay,
        `invocation counter ${invocationCounter} from ${title} is not above the last accepted ${last}`,
        { detail: { systemTitle: title, invocationCounter, lastReceived: last } },
      );
    }
    this.#received.set(title, invocationCounter);
    this.#onChange?.({ direction: 'receive', systemTitleHex: title, last: invocationCounter });
  }
}
