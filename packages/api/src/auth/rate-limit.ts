import type { Clock } from '@openhes/core';

/**
 * Growing delays after failed logins, never a lockout a stranger can impose for long.
 *
 * Two counters are kept: one per username (across addresses, so spreading guesses over many
 * addresses does not help) and one per source address (across usernames, so one address cannot
 * try a password on every user). After the free failures of a counter, each further failure
 * makes the next attempt wait `lockoutMs · 2^(n − maxFailures)`, capped; a quiet `windowMs`
 * after the wait ends forgets the counter. The per-user wait is capped low (a minute by
 * default), so failures from anywhere can slow a user down but never keep them out; and an
 * address the user logged in from successfully before is exempt from the per-user wait (it
 * still has its own per-address one).
 */
export interface BackoffOptions {
  /** Failures allowed before delays start. */
  maxFailures: number;
  /** Quiet time after the current wait that forgets the failures. */
  windowMs: number;
  /** The first delay; each further failure doubles it. */
  lockoutMs: number;
  /** The longest delay (never below `lockoutMs`). */
  maxDelayMs: number;
  /** Keys kept at most; the least recently failed are forgotten first. */
  maxKeys: number;
}

export interface LoginLimitOptions extends BackoffOptions {
  /** The per-address counter (across usernames); the top-level fields are the per-user one. */
  address: Partial<BackoffOptions>;
  /** How long a successful (user, address) pair stays exempt from the per-user delay. */
  knownAddressMs: number;
}

export const DEFAULT_LOGIN_LIMIT: LoginLimitOptions = {
  maxFailures: 5,
  windowMs: 15 * 60_000,
  lockoutMs: 1_000,
  maxDelayMs: 60_000,
  maxKeys: 100_000,
  address: { maxFailures: 20, lockoutMs: 1_000, maxDelayMs: 15 * 60_000, windowMs: 15 * 60_000 },
  knownAddressMs: 30 * 86_400_000,
};

interface Entry {
  failures: number;
  /** When the next attempt is allowed. */
  until: number;
  /** When the failures are forgotten. */
  forgetAt: number;
}

/** Exponential, capped delays per key, in memory. */
export class Backoff {
  readonly #clock: Clock;
  readonly #o: BackoffOptions;
  readonly #entries = new Map<string, Entry>();

  constructor(clock: Clock, options: BackoffOptions) {
    this.#clock = clock;
    this.#o = options;
  }

  /** Milliseconds until the key may try again, 0 when it may try now. */
  retryAfterMs(key: string): number {
    const e = this.#live(key);
    return e === undefined ? 0 : Math.max(0, e.until - this.#clock.now());
  }

  /** Failures counted for the key now. */
  failures(key: string): number {
    return this.#live(key)?.failures ?? 0;
  }

  fail(key: string): void {
    const now = this.#clock.now();
    const e = this.#live(key) ?? { failures: 0, until: 0, forgetAt: 0 };
    this.#entries.delete(key);
    e.failures += 1;
    const over = e.failures - this.#o.maxFailures;
    if (over >= 0) {
      const cap = Math.max(this.#o.maxDelayMs, this.#o.lockoutMs);
      e.until = now + Math.min(cap, this.#o.lockoutMs * 2 ** Math.min(over, 40));
    }
    e.forgetAt = Math.max(now, e.until) + this.#o.windowMs;
    this.#entries.set(key, e);
    while (this.#entries.size > this.#o.maxKeys) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  clear(key: string): void {
    this.#entries.delete(key);
  }

  #live(key: string): Entry | undefined {
    const e = this.#entries.get(key);
    if (e !== undefined && this.#clock.now() >= e.forgetAt) {
      this.#entries.delete(key);
      return undefined;
    }
    return e;
  }
}

export interface LoginVerdict {
  /** 0 when the attempt may go ahead. */
  retryAfterMs: number;
  /** Which counter holds it back. */
  by: 'user' | 'address' | null;
}

/** Login limiting per username and per source address (see {@link BackoffOptions}). */
export class LoginLimiter {
  readonly #clock: Clock;
  readonly #options: LoginLimitOptions;
  readonly #users: Backoff;
  readonly #addresses: Backoff;
  /** `user\0address` → when it last logged in successfully. */
  readonly #known = new Map<string, number>();

  constructor(clock: Clock, options: Partial<LoginLimitOptions> = {}) {
    this.#clock = clock;
    this.#options = {
      ...DEFAULT_LOGIN_LIMIT,
      ...options,
      address: { ...DEFAULT_LOGIN_LIMIT.address, ...options.address },
    };
    const o = this.#options;
    this.#users = new Backoff(clock, o);
    this.#addresses = new Backoff(clock, {
      maxFailures: o.address.maxFailures ?? 20,
      windowMs: o.address.windowMs ?? o.windowMs,
      lockoutMs: o.address.lockoutMs ?? o.lockoutMs,
      maxDelayMs: o.address.maxDelayMs ?? 15 * 60_000,
      maxKeys: o.address.maxKeys ?? o.maxKeys,
    });
  }

  /** The per-user key (usernames compare case-insensitively); `ip` is kept for older callers. */
  static key(username: string, ip?: string): string {
    return ip === undefined ? username.toLowerCase() : `${username.toLowerCase()}\u0000${ip}`;
  }

  /** May `username` try a password from `ip` now? */
  check(username: string, ip: string): LoginVerdict {
    const byAddress = this.#addresses.retryAfterMs(ip);
    const byUser = this.#isKnown(username, ip) ? 0 : this.#users.retryAfterMs(LoginLimiter.key(username));
    if (byAddress === 0 && byUser === 0) return { retryAfterMs: 0, by: null };
    return byAddress >= byUser
      ? { retryAfterMs: byAddress, by: 'address' }
      : { retryAfterMs: byUser, by: 'user' };
  }

  failed(username: string, ip: string): void {
    this.#users.fail(LoginLimiter.key(username));
    this.#addresses.fail(ip);
  }

  /**
   * Clears the user's counter and remembers the address as the user's. The address's own
   * counter stays: a valid account must not reset the count of its guesses at others.
   */
  succeeded(username: string, ip: string): void {
    this.#users.clear(LoginLimiter.key(username));
    const k = LoginLimiter.key(username, ip);
    this.#known.delete(k);
    this.#known.set(k, this.#clock.now());
    while (this.#known.size > this.#options.maxKeys) {
      const oldest = this.#known.keys().next().value;
      if (oldest === undefined) break;
      this.#known.delete(oldest);
    }
  }

  #isKnown(username: string, ip: string): boolean {
    const at = this.#known.get(LoginLimiter.key(username, ip));
    return at !== undefined && this.#clock.now() - at < this.#options.knownAddressMs;
  }

  // The single-key interface of the first limiter (one counter per key, per-user options).
  retryAfterMs(key: string): number {
    return this.#users.retryAfterMs(key);
  }

  fail(key: string): void {
    this.#users.fail(key);
  }

  succeed(key: string): void {
    this.#users.clear(key);
  }
}
