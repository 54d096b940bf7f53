import type { ActivityCalendar } from '@openhes/cosem';
import type { Instant } from './time.ts';

export type EventLogKey =
  | 'voltage'
  | 'current'
  | 'power'
  | 'transaction'
  | 'other'
  | 'nonRollover'
  | 'control';

export interface RecordedEvent {
  at: Instant;
  log: EventLogKey;
  code: number;
}

export interface LimiterState {
  /** W; 0 = no limit. */
  thresholdNormal: number;
  thresholdEmergency: number;
  minOverSeconds: number;
  minUnderSeconds: number;
  emergencyActive: boolean;
  /** Instant from which the threshold is watched (set or reconnect). */
  watchFrom: Instant;
  /** Steps up to here have been checked for a trip. */
  checkedTo: Instant;
  /** Consecutive checked periods above the threshold. */
  overRun: number;
}

export interface ImageState {
  identifier: string;
  size: number;
  blocks: Set<number>;
  /** image_transfer_status enum (0 not initiated … 6 activation successful). */
  status: number;
  version: string;
}

/**
 * What commands did to one meter: only meters that received a command own one. Everything
 * else about a meter is recomputed from (seed, index, instant).
 */
export interface MeterState {
  /** Relay changes in time order; connected before the first. */
  relay: { at: Instant; connected: boolean; cause: 'remote' | 'limiter' }[];
  controlMode: number;
  readyForReconnection: boolean;
  /** Clock offset (meter − true, ms) set at `at`; drift accrues from there. */
  clockSyncs: { at: Instant; offsetMs: number }[];
  /** Active calendar from `at` (activation of a passive calendar). */
  calendars: { at: Instant; calendar: ActivityCalendar }[];
  passive?: ActivityCalendar;
  passiveActivation?: Instant;
  limiter?: LimiterState;
  firmware: { at: Instant; version: string }[];
  image?: ImageState;
  password?: Uint8Array;
  ek?: Uint8Array;
  ak?: Uint8Array;
  /** Push destinations written to push setups (attribute 3), "host:port", by push setup OBIS. */
  pushDestinations?: Record<string, string>;
  events: RecordedEvent[];
  mdResets: Instant[];
  programming: number;
  invocationCounter: number;
}

export function newMeterState(): MeterState {
  return {
    relay: [],
    controlMode: 4,
    readyForReconnection: false,
    clockSyncs: [],
    calendars: [],
    firmware: [],
    events: [],
    mdResets: [],
    programming: 0,
    invocationCounter: 0,
  };
}
