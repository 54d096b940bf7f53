import type { Instant } from '../paging.ts';

/** Categories come from the device profile's event-code mapping. */
export const EventCategory = {
  powerQuality: 'power-quality',
  powerFailure: 'power-failure',
  tamper: 'tamper',
  disconnector: 'disconnector',
  clock: 'clock',
  firmware: 'firmware',
  security: 'security',
  communication: 'communication',
  standard: 'standard',
  other: 'other',
} as const;
export type EventCategory = (typeof EventCategory)[keyof typeof EventCategory];

export interface NewMeterEvent {
  meterId: number;
  /** Time as the meter reported it, already converted with its deviation. */
  meterTime: Instant;
  /** Time the head end places the event at (meter time corrected for clock error). */
  ts: Instant;
  /** Event log OBIS code, e.g. `0.0.99.98.0.255`. */
  log: string;
  code: number;
  category: EventCategory;
  /** Captured entry as received, for forensics. */
  raw: Uint8Array | null;
}

export interface MeterEvent extends NewMeterEvent {
  id: number;
  receivedAt: Instant;
}
