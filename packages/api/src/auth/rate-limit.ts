import type { Clock } from '@openhes/core';

export interface LoginLimitOptions {
  /** Failures allowed inside `windowMs` before the key is locked. */
  maxFailures: number;
  windowMs: number;
  lockoutMs: number;
  /** Keys kept at most; the oldest are forgotten first. */
  maxKeys: number;
}

export const DEFAULT_LOGIN_LIMIT: LoginLimitOptions = {
  maxFailures: 5,
  windowMs: 15 * 60_000,
  lockoutMs: 15 * 60_000,
  maxKeys: 100_000,
};

interface Entry {
  failures: number[];
  lockedUntil: number;
}

/** Failed logins per (username, client address), in memory. */
export class LoginLimiter {
  readonly #clock: Clock;
  readonly #options: LoginLimitOptions;
  readonly #entries = new Map<string, Entry>();

  constructor(clock: Clock, options: Partial<LoginLimitOptions> = {}) {
    this.#clock = clock;
    this.#options = { ...DEFAULT_LOGIN_LIMIT, ...options };
  }

  static key(username: string, ip: string): string {
    return `${username.toLowerCase()}\u0000${ip}`;
  }

  /** Milliseconds until the key may try again, 0 when it may try now. */
  retryAfterMs(key: string): number {
    const e = this.#entries.get(key);
    if (!e) return 0;
    return Math.max(0, e.lockedUntil - this.#clock.now());
  }

  fail(key: string): void {
    const now = this.#clock.now();
    const e = this.#entries.get(key) ?? { failures: [], lockedUntil: 0 };
    this.#entries.delete(key);
    e.failures = e.failures.filter((t) => now - t < this.#options.windowMs);
    e.failures.push(now);
    if (e.failures.length >= this.#options.maxFailures) {
      e.lockedUntil = now + this.#options.lockoutMs;
      e.failures = [];
    }
    this.#entries.set(key, e);
    while (this.#entries.size > this.#options.maxKeys) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  succeed(key: string): void {
    this.#entries.delete(key);
  }
}
