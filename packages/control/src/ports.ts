import type { KeyPurpose, SecretVault } from '@openhes/core';
import type { MeterDriver } from '@openhes/drivers';

/** Which stored keys a session uses: the current ones, or a purpose's pending key (rotation). */
export type SessionKeys = Partial<Record<KeyPurpose, 'current' | 'pending'>>;

export interface SessionOptions {
  /** Urgent commands go before everything else. */
  urgent: boolean;
  /** Keys to associate with (default: all current). */
  keys?: SessionKeys;
  /** Give up waiting for a slot or the meter's lease after this (ms since epoch). */
  deadline?: number | null;
}

/**
 * Sessions on meters for commands, through the collectors: one session per meter across the
 * head end (the meter's lease), commands before on-demand reads before scheduled reads.
 * `work` runs on an opened driver; the session is closed after it whatever happens. Errors are
 * the driver's (`DriverError`: code, retryable) or the collector's (`code`, `retryable`).
 */
export interface MeterSessions {
  withMeter<T>(
    meterId: number,
    options: SessionOptions,
    work: (driver: MeterDriver) => Promise<T>,
  ): Promise<T>;
}

/**
 * Simulated twins of real meters for a campaign's rehearsal: the same device profiles,
 * firmware identifiers, control modes and keys policy, served by the simulator. `sessions`
 * reach the twins under the real meters' ids.
 */
export interface TwinProvider {
  twins(meterIds: readonly number[]): Promise<{
    sessions: MeterSessions;
    /**
     * The twins' keys by real meter id: a rehearsed operation that writes keys (a key
     * rotation's pending keys) writes them here, never to the real vault. Absent: the
     * rehearsal gets an empty vault of its own.
     */
    vault?: SecretVault;
    dispose(): Promise<void>;
  }>;
}
