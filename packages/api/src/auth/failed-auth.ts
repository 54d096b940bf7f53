import type { AuditStore, Clock } from '@openhes/core';

export interface FailedAuthOptions {
  /** One audit entry per source address per period. */
  periodMs: number;
  /** Sources tallied at most per period; the rest are counted under `other`. */
  maxSources: number;
}

export const DEFAULT_FAILED_AUTH: FailedAuthOptions = { periodMs: 60_000, maxSources: 10_000 };

export const FAILED_AUTH_ACTION = 'auth.rejected';

interface Tally {
  count: number;
  first: number;
  last: number;
  reasons: Record<string, number>;
  /** Usernames tried at login (at most {@link MAX_USERNAMES} kept), with counts. */
  usernames: Record<string, number>;
}

const MAX_USERNAMES = 20;

/**
 * Requests refused for want of a valid credential (no token, an unknown or expired one, a
 * throttled login) are audited in aggregate: one entry per source address per period with a
 * count and the reasons, so a flood of bad tokens writes a handful of rows, not one per request.
 * A period is written when a later failure arrives after it, by the periodic flush, and on close.
 */
export class FailedAuthAudit {
  readonly #audit: () => AuditStore;
  readonly #clock: Clock;
  readonly #o: FailedAuthOptions;
  #periodStart = 0;
  #tallies = new Map<string, Tally>();
  #writing: Promise<void> = Promise.resolve();
  readonly #onError: (e: unknown) => void;

  constructor(
    audit: () => AuditStore,
    clock: Clock,
    options: Partial<FailedAuthOptions> = {},
    onError = (_e: unknown) => {},
  ) {
    this.#audit = audit;
    this.#clock = clock;
    this.#o = { ...DEFAULT_FAILED_AUTH, ...options };
    this.#onError = onError;
  }

  get periodMs(): number {
    return this.#o.periodMs;
  }

  record(ip: string, reason: string, username?: string): void {
    const now = this.#clock.now();
    if (this.#tallies.size > 0 && now - this.#periodStart >= this.#o.periodMs) void this.flush();
    if (this.#tallies.size === 0) this.#periodStart = now;
    const source = this.#tallies.has(ip) || this.#tallies.size < this.#o.maxSources ? ip : 'other';
    const t = this.#tallies.get(source) ?? {
      count: 0,
      first: now,
      last: now,
      reasons: Object.create(null),
      usernames: Object.create(null),
    };
    t.count += 1;
    t.last = now;
    t.reasons[reason] = (t.reasons[reason] ?? 0) + 1;
    if (username !== undefined) {
      const name = username.slice(0, 128);
      if (Object.hasOwn(t.usernames, name) || Object.keys(t.usernames).length < MAX_USERNAMES)
        t.usernames[name] = (t.usernames[name] ?? 0) + 1;
    }
    this.#tallies.set(source, t);
  }

  /** Writes the current period's tallies (if its period is over, or `force`). */
  flush(force = true): Promise<void> {
    if (this.#tallies.size === 0) return this.#writing;
    if (!force && this.#clock.now() - this.#periodStart < this.#o.periodMs) return this.#writing;
    const tallies = this.#tallies;
    this.#tallies = new Map();
    this.#writing = this.#writing.then(async () => {
      for (const [ip, t] of tallies) {
        try {
          await this.#audit().append({
            actor: 'anonymous',
            action: FAILED_AUTH_ACTION,
            target: `source:${ip}`,
            outcome: 'denied',
            detail: {
              ip,
              count: t.count,
              reasons: t.reasons,
              ...(Object.keys(t.usernames).length > 0 ? { usernames: t.usernames } : {}),
              from: new Date(t.first).toISOString(),
              to: new Date(t.last).toISOString(),
            },
          });
        } catch (e) {
          this.#onError(e);
        }
      }
    });
    return this.#writing;
  }
}
