import type {
  AuditStore,
  ChannelStore,
  Clock,
  EventStore,
  NewMeterEvent,
  ReadingIngestService,
  ReadingSource,
  ReadingStore,
  ReadKind,
} from '@openhes/core';
import type { MeterDriver, ProfileKind } from '@openhes/drivers';

export { READ_KINDS, ReadKind } from '@openhes/core';

export interface SessionPolicy {
  /** Drift beyond which the meter clock is set (ms); default 10 s. */
  clockThresholdMs: number;
  /** Set the clock when drift exceeds the threshold; default true. */
  setClock: boolean;
  /** How far back to read a block profile that has nothing stored yet; default 1 day. */
  blockBackfillMs: number;
  /** Daily profile window; default 2 days (re-read values are stored once). */
  dailyLookbackMs: number;
  billingLookbackMs: number;
  eventsLookbackMs: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = {
  clockThresholdMs: 10_000,
  setClock: true,
  blockBackfillMs: 86_400_000,
  dailyLookbackMs: 2 * 86_400_000,
  billingLookbackMs: 400 * 86_400_000,
  eventsLookbackMs: 2 * 86_400_000,
};

export interface SessionPorts {
  channels: ChannelStore;
  readings: ReadingStore;
  events: EventStore;
  audit: AuditStore;
  clock: Clock;
}

export interface SessionResult {
  readingsStored: number;
  eventsStored: number;
  driftMs: number;
  clockSet: boolean;
}

/**
 * Where a meter's block profile data ends: the newest interval stored on any of its interval
 * channels, or undefined when none is stored.
 */
export async function lastStoredInterval(
  ports: Pick<SessionPorts, 'channels' | 'readings'>,
  meterId: number,
): Promise<number | undefined> {
  const channels = await ports.channels.forMeter(meterId);
  const interval = new Set(channels.filter((c) => c.kind === 'interval').map((c) => c.id));
  if (interval.size === 0) return undefined;
  let last: number | undefined;
  for (const r of await ports.readings.latestForMeter(meterId)) {
    if (interval.has(r.channelId) && (last === undefined || r.ts > last)) last = r.ts;
  }
  return last;
}

/**
 * One session on one meter: check (and if needed set, audited) the clock, then each read in
 * order, every read's values stored as one batch whose id makes a repeat a no-op. The
 * driver must be open; it is not closed here.
 */
export async function runSession(
  driver: MeterDriver,
  reads: readonly ReadKind[],
  ports: SessionPorts,
  ingest: ReadingIngestService,
  policy: SessionPolicy,
  source: ReadingSource,
  batchPrefix: string,
): Promise<SessionResult> {
  const meterId = driver.meterId;
  const result: SessionResult = { readingsStored: 0, eventsStored: 0, driftMs: 0, clockSet: false };
  const clock = await driver.readClock();
  result.driftMs = clock.driftMs;
  if (Math.abs(clock.driftMs) > policy.clockThresholdMs && policy.setClock) {
    const now = ports.clock.now();
    await driver.setClock(now);
    result.clockSet = true;
    await ports.audit.append({
      actor: 'acquisition',
      action: 'meter.clock.set',
      target: `meter:${meterId}`,
      outcome: 'succeeded',
      detail: { driftMs: clock.driftMs, thresholdMs: policy.clockThresholdMs, setTo: now },
    });
  }
  const store = async (step: string, values: Parameters<ReadingIngestService['storeSession']>[1]) => {
    if (values.length === 0) return;
    const r = await ingest.storeSession(meterId, values, source, `${batchPrefix}:${step}`);
    result.readingsStored += r.inserted + r.versioned;
  };
  const now = ports.clock.now();
  for (const kind of reads) {
    switch (kind) {
      case 'registers':
        await store(kind, await driver.readRegisters());
        break;
      case 'instantaneous':
        await store(kind, await driver.readInstantaneous());
        break;
      case 'block': {
        const last = await lastStoredInterval(ports, meterId);
        const from = last === undefined ? now - policy.blockBackfillMs : last + 1;
        if (from <= now) await store(kind, await driver.readProfile('block', { from, to: now }));
        break;
      }
      case 'daily':
      case 'billing': {
        const back = kind === 'daily' ? policy.dailyLookbackMs : policy.billingLookbackMs;
        await store(kind, await driver.readProfile(kind as ProfileKind, { from: now - back, to: now }));
        break;
      }
      case 'events': {
        const events = await driver.readEvents({ from: now - policy.eventsLookbackMs, to: now });
        const rows: NewMeterEvent[] = events.map((e) => ({
          meterId,
          meterTime: e.meterTime,
          ts: e.meterTime,
          log: e.log,
          code: e.code,
          category: e.category,
          raw: null,
        }));
        if (rows.length > 0) result.eventsStored += (await ports.events.append(rows)).inserted;
        break;
      }
    }
  }
  return result;
}
