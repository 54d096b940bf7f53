import type { ActivityCalendar } from '@openhes/cosem';
import type { DlmsData } from '@openhes/dlms';
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
  /** Consecutive checked periods under the threshold while tripped by the limiter. */
  underRun?: number;
  /** attr 8: emergency_profile {id, activation (true instant), duration s}; absent = none written. */
  emergencyProfile?: { id: number; activation: Instant; durationSeconds: number; raw: Uint8Array };
  /** attr 9: emergency_profile_group_id_list. */
  groupIds?: number[];
  /** Wire type the thresholds were written with (read back the same); default double-long-unsigned. */
  thresholdType?: string;
  /** attr 2 and attr 11 as written (raw A-XDR data), when written. */
  monitoredValue?: DlmsData;
  actions?: DlmsData;
}

export interface ImageState {
  identifier: string;
  size: number;
  blocks: Set<number>;
  /** image_transfer_status enum (0 not initiated … 7 activation failed). */
  status: number;
  /** The version the image declares (model/image-format.ts), known once verified. */
  version: string;
  /** Block size in force when the transfer was initiated. */
  blockSize: number;
  /** Received block contents by block number (shared with other meters when equal). */
  data: Map<number, Uint8Array>;
  /** A verification or activation in progress ends at this instant (status 2 or 5 until then). */
  busyUntil?: Instant;
  /** What the meter will find when the verification in progress ends. */
  verifies?: boolean;
}

/** Per-meter behaviour of the control objects (defaults in model/behaviour.ts). */
export interface ControlBehaviour {
  /** Image transfer attr 2, bytes. */
  imageBlockSize: number;
  /** Verification takes this long: image_verify answers temporary-failure (2) until it ends. */
  verifyMs: number;
  /** Activation takes this long: image_activate answers temporary-failure (2) until it ends. */
  activateMs: number;
}

/** Push setup attributes 2, 4..7 as written (attr 3 is pushDestinations). */
export interface PushConfig {
  objects?: DlmsData;
  /** attr 3 transport_service and message enums (destination is in pushDestinations). */
  service?: number;
  message?: number;
  windows?: DlmsData;
  randomisationSeconds?: number;
  retries?: number;
  repetitionDelay?: DlmsData;
}

/** Clock attributes 3, 5..8 as written (raw data for the date-times, read back as written). */
export interface ClockConfig {
  timeZone?: number;
  dstBegin?: Uint8Array;
  dstEnd?: Uint8Array;
  dstDeviation?: number;
  dstEnabled?: boolean;
}

/** Special days table entry (class 11 attr 2). */
export interface SpecialDay {
  index: number;
  /** date octet-string(5), wildcards kept. */
  date: Uint8Array;
  dayId: number;
}

/**
 * What commands did to one meter: only meters that received a command own one. Everything
 * else about a meter is recomputed from (seed, index, instant).
 */
export interface MeterState {
  /** Relay changes in time order; connected before the first. */
  relay: { at: Instant; connected: boolean; cause: 'remote' | 'limiter' | 'manual' | 'local' }[];
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
  /** Every method invocation the meter's objects received, by "class/obis/method". */
  methodCalls?: Record<string, number>;
  /** Image blocks received (every image_block_transfer with a block), and those already held. */
  imageBlocks?: { received: number; duplicates: number };
  /** Image activation scheduled by the single-action schedule (0.0.15.0.2.255 attr 4). */
  imageActivation?: { at: Instant; raw: DlmsData };
  /** image_transfer_enabled (attr 5); absent = true. */
  imageTransferEnabled?: boolean;
  /** Per-meter behaviour overrides. */
  behaviour?: Partial<ControlBehaviour>;
  /** Security policy by association key after security_activate (v0 enum 0..3). */
  policies?: Record<string, number>;
  /** Global key changes (GUEK or GAK) in order; the next association uses the latest keys. */
  keyChanges?: { at: Instant; keyId: number }[];
  push?: Record<string, PushConfig>;
  clock?: ClockConfig;
  /** Special days tables by OBIS (as they stand now: what attribute 2 reads). */
  specialDays?: Record<string, SpecialDay[]>;
  /**
   * Every change of a special days table, in the order made: from `at` the table `obis` holds
   * `days`. The TOU of a step uses the tables in force at its instant (truth/calendar.ts).
   */
  specialDayTables?: { at: Instant; obis: string; days: SpecialDay[] }[];
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
