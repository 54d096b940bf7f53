import type { MeterTruth } from '../truth/meter.ts';

/** Security setup key_id (global_key_transfer) → core's key purpose. */
const KEY_PURPOSES: Record<number, string> = { 0: 'guek', 1: 'gbek', 2: 'gak', 3: 'kek' };

/** What a meter restarts its counters on when its profile does not say: the unicast encryption key. */
export const DEFAULT_COUNTER_RESET_KEYS: readonly string[] = ['guek'];

/**
 * Key purposes whose change makes the meter restart its invocation counters: the profile's
 * `counterResetsOnKeyChange` quirk (as the drivers read it), default the unicast encryption key.
 */
export function counterResetKeys(m: MeterTruth): readonly string[] {
  const q = (m.profile.quirks as { counterResetsOnKeyChange?: unknown }).counterResetsOnKeyChange;
  return Array.isArray(q) && q.every((x) => typeof x === 'string')
    ? (q as string[])
    : DEFAULT_COUNTER_RESET_KEYS;
}

/** Whether taking a new key of key_id `keyId` restarts the meter's counters (its profile's quirk). */
export function keyChangeResetsCounters(m: MeterTruth, keyId: number): boolean {
  const purpose = KEY_PURPOSES[keyId];
  return purpose !== undefined && counterResetKeys(m).includes(purpose);
}

/**
 * The meter's key version: how many of its accepted key changes restarted its invocation
 * counters (0 = the keys it was issued with). Each version has counters of its own
 * (fleet/sessions.ts CounterStore).
 */
export function keyVersion(m: MeterTruth): number {
  let n = 0;
  for (const c of m.state?.keyChanges ?? []) if (keyChangeResetsCounters(m, c.keyId)) n++;
  return n;
}
