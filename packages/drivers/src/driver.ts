import type { CollectedValue, EventCategory, Instant, TimeRange } from '@openhes/core';

/** Which load profile of the device profile to read. */
export type ProfileKind = 'block' | 'daily' | 'billing';

/** One event as the meter logged it; the collector places it in head-end time. */
export interface DriverEvent {
  /** Event log OBIS code. */
  log: string;
  code: number;
  category: EventCategory;
  /** Time as the meter stamped it, converted with its deviation. */
  meterTime: Instant;
  description: string | undefined;
}

export interface ClockReading {
  /** The meter's clock as an instant. */
  meterTime: Instant;
  /** Head-end time halfway through the round trip that read it. */
  localTime: Instant;
  /** meterTime − localTime, milliseconds. */
  driftMs: number;
}

/** Counts since the driver was opened (wire bytes include framing). */
export interface DriverStats {
  requests: number;
  bytesIn: number;
  bytesOut: number;
}

/**
 * One interface for every kind of meter. A driver is one session: `open` connects and
 * associates, every read in between goes over that association, `close` releases it.
 * Every method rejects only with DriverError.
 */
export interface MeterDriver {
  readonly meterId: number;
  open(): Promise<void>;
  close(): Promise<void>;
  readonly stats: DriverStats;
  /** Billing-relevant registers (energies, maximum demands) at the time of reading. */
  readRegisters(): Promise<CollectedValue[]>;
  readInstantaneous(): Promise<CollectedValue[]>;
  /** Entries whose capture time lies in [from, to] (both ends included). */
  readProfile(kind: ProfileKind, range: TimeRange): Promise<CollectedValue[]>;
  readEvents(range: TimeRange): Promise<DriverEvent[]>;
  readClock(): Promise<ClockReading>;
  setClock(at: Instant): Promise<void>;
  /** Control operations come with the commands issue; until then they reject Unsupported. */
  connectSupply(): Promise<void>;
  disconnectSupply(): Promise<void>;
  setLoadLimit(watts: number): Promise<void>;
  setTou(calendar: unknown): Promise<void>;
}
