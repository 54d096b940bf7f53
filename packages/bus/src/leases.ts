import type { LeaderLock, Lease, MeterLease } from '@openhes/core';
import { checkText, checkTtl, invalidError } from './errors.ts';

export interface MemoryLeaseOptions {
  /** Time source (tests); default Date.now. */
  now?: () => number;
}

export interface MemoryLeases {
  readonly meters: MeterLease;
  readonly leader: LeaderLock;
}

export const meterLeaseKey = (meterId: number): string => `meter:${meterId}`;
export const leaderKey = (name: string): string => `leader:${name}`;

export function checkMeterId(meterId: unknown): number {
  if (typeof meterId !== 'number' || !Number.isSafeInteger(meterId) || meterId <= 0) {
    throw invalidError('meterId must be a positive integer', { meterId });
  }
  return meterId;
}

interface Held {
  holder: string;
  token: number;
  ttlMs: number;
  expiresAt: number;
}

/**
 * In-process meter leases and leader locks (one process; across processes use the
 * PostgreSQL adapter in @openhes/storage). A key is held by one lease at a time, whoever asks
 * (the same holder asking again while it holds gets null too: one session per meter). A lease
 * not renewed within its ttl is lost: renew() then answers false even if nobody took the key.
 */
export function createMemoryLeases(options: MemoryLeaseOptions = {}): MemoryLeases {
  const now = options.now ?? Date.now;
  const held = new Map<string, Held>();
  let tokens = 0;

  function acquire(key: string, holder: string, ttlMs: number): Lease | null {
    checkText('holder', holder);
    checkTtl(ttlMs);
    const t = now();
    const cur = held.get(key);
    if (cur && cur.expiresAt > t) return null;
    const mine: Held = { holder, token: ++tokens, ttlMs, expiresAt: t + ttlMs };
    held.set(key, mine);
    const current = () => held.get(key) === mine && mine.expiresAt > now();
    return {
      key,
      holder,
      async renew() {
        if (!current()) return false;
        mine.expiresAt = now() + mine.ttlMs;
        return true;
      },
      async release() {
        if (held.get(key) === mine) held.delete(key);
      },
    };
  }

  return {
    meters: {
      async tryAcquire(meterId, holder, ttlMs) {
        return acquire(meterLeaseKey(checkMeterId(meterId)), holder, ttlMs);
      },
    },
    leader: {
      async tryAcquire(name, holder, ttlMs) {
        return acquire(leaderKey(checkText('name', name)), holder, ttlMs);
      },
    },
  };
}
