import type { Instant } from '../paging.ts';

/**
 * Meter control: a command is one operation on one meter, a campaign one operation over a
 * set of meters. Both are stored state machines, never promises in memory: a restarted head
 * end resumes every unfinished one from what the store says.
 */

export const CommandKind = {
  /** remote_reconnect, then output_state/control_state read back (armed in modes 1, 3, 5, 6). */
  connect: 'connect',
  /** Final register read, remote_disconnect, then the state read back, in one association. */
  disconnect: 'disconnect',
  /** Limiter thresholds and durations written, then read back and compared. */
  loadLimit: 'load-limit',
  /** An emergency profile written and its group activated. */
  emergencyActivate: 'emergency-activate',
  /** The emergency profile cleared (group list emptied). */
  emergencyClear: 'emergency-clear',
  /** Passive activity calendar written, activated now or at a time, read back. */
  setCalendar: 'set-calendar',
  /** The special days table written whole, read back. */
  setSpecialDays: 'set-special-days',
  /** Clock read, then shift_time (small drift) or set (large), never across a capture boundary, re-read. */
  timeSync: 'time-sync',
  /** Time zone and daylight-saving settings of the clock. */
  clockConfig: 'clock-config',
  /** Image transfer: initiate (once per image), blocks, verify, activate, confirm by identifier. */
  firmwareUpdate: 'firmware-update',
  /** global_key_transfer of new keys, one per call, confirmed by a new association. */
  keyRotation: 'key-rotation',
  /** security_activate: a stronger security policy. */
  securityActivate: 'security-activate',
  /** Push setup: destination, communication windows, randomisation, retries. */
  pushSetup: 'push-setup',
} as const;
export type CommandKind = (typeof CommandKind)[keyof typeof CommandKind];

/** Why a command was asked for; it travels from the request to the audit and the result. */
export const CommandReason = {
  nonPayment: 'non-payment',
  moveOut: 'move-out',
  moveIn: 'move-in',
  reinstatement: 'reinstatement',
  emergency: 'emergency',
  test: 'test',
  maintenance: 'maintenance',
} as const;
export type CommandReason = (typeof CommandReason)[keyof typeof CommandReason];

/** `urgent` takes the fast lane of a segment's budget and goes before normal commands. */
export type CommandPriority = 'urgent' | 'normal';

export const CommandState = {
  requested: 'requested',
  awaitingApproval: 'awaiting-approval',
  queued: 'queued',
  sending: 'sending',
  confirmed: 'confirmed',
  failed: 'failed',
  expired: 'expired',
  cancelled: 'cancelled',
  rejected: 'rejected',
} as const;
export type CommandState = (typeof CommandState)[keyof typeof CommandState];

const COMMAND_TRANSITIONS: Readonly<Record<CommandState, readonly CommandState[]>> = {
  requested: ['awaiting-approval', 'queued', 'failed', 'cancelled'],
  'awaiting-approval': ['queued', 'rejected', 'cancelled', 'expired'],
  queued: ['sending', 'cancelled', 'expired', 'failed'],
  // A sending command goes back to queued for a retry after a retryable failure (its
  // progress marker says what the meter already did). It cannot be cancelled mid-send.
  sending: ['confirmed', 'failed', 'queued', 'expired'],
  confirmed: [],
  failed: [],
  expired: [],
  cancelled: [],
  rejected: [],
};

export function canTransitionCommand(from: CommandState, to: CommandState): boolean {
  return COMMAND_TRANSITIONS[from].includes(to);
}

export function isTerminalCommandState(s: CommandState): boolean {
  return COMMAND_TRANSITIONS[s].length === 0;
}

/** States a runner still has work for. */
export const UNFINISHED_COMMAND_STATES: readonly CommandState[] = ['queued', 'sending'];

export interface CommandTransition {
  state: CommandState;
  at: Instant;
  by: string;
  detail: Record<string, unknown> | null;
}

/** Why a command did not end confirmed: a stable code and words for people. */
export interface CommandError {
  code: string;
  message: string;
}

export interface NewCommand {
  kind: CommandKind;
  meterId: number;
  /** The campaign it belongs to; null for a single command. */
  campaignId?: number | null;
  /** Kind-specific, as in the request (see `CommandParameters`); never key material. */
  parameters: Record<string, unknown>;
  reason: CommandReason;
  priority?: CommandPriority;
  /** Created as `queued` or `awaiting-approval` (default `queued`). */
  state?: 'queued' | 'awaiting-approval';
  /** After this instant an unfinished command ends `expired`; null: no deadline. */
  deadline?: Instant | null;
  /** User or system principal that asked. */
  requestedBy: string;
  /** The caller's address (API) or `cli` / `system`. */
  requestedFrom?: string | null;
}

export interface Command {
  id: number;
  kind: CommandKind;
  meterId: number;
  campaignId: number | null;
  parameters: Record<string, unknown>;
  reason: CommandReason;
  priority: CommandPriority;
  state: CommandState;
  /** Sessions started for it (a retry after a dropped link is a new attempt). */
  attempts: number;
  deadline: Instant | null;
  requestedBy: string;
  requestedFrom: string | null;
  approvedBy: string | null;
  /**
   * The executor's resume marker, written before and after every non-idempotent step
   * (e.g. `{ step: 'disconnect-sent' }`, `{ initiated: true, nextBlock: 312 }`), so a restart
   * knows what the meter may already have done and reads its state before deciding.
   */
  progress: Record<string, unknown> | null;
  /** What the meter answered and was read back (e.g. the disconnector state, the clock drift). */
  result: Record<string, unknown> | null;
  error: CommandError | null;
  createdAt: Instant;
  updatedAt: Instant;
  history: CommandTransition[];
}

/** Fields a transition (or an in-state update) may set besides the state. */
export interface CommandPatch {
  attempts?: number;
  approvedBy?: string | null;
  progress?: Record<string, unknown> | null;
  result?: Record<string, unknown> | null;
  error?: CommandError | null;
}

// ---------------------------------------------------------------------------------------
// Parameters per kind (what the API and CLI accept; the executors read these)

export interface DisconnectParameters {
  /** Read the billing registers in the same association before disconnecting (default true). */
  finalRead?: boolean;
}

/** Thresholds in the monitored value's physical unit (W for active power); converted with its scaler. */
export interface LoadLimitParameters {
  thresholdNormal?: number;
  thresholdEmergency?: number;
  minOverThresholdSeconds?: number;
  minUnderThresholdSeconds?: number;
}

export interface EmergencyActivateParameters {
  profileId: number;
  /** Start instant (ms); absent: now. */
  activateAt?: Instant;
  durationSeconds: number;
  /** Emergency profile group ids the meter belongs to (default [profileId]). */
  groupIds?: number[];
  /** Emergency threshold to write first, in the monitored value's physical unit. */
  thresholdEmergency?: number;
}

/** A time-of-use calendar as JSON: validated by `calendarProblems` before anything is sent. */
export interface CalendarSpec {
  /** calendar_name_passive. */
  name: string;
  /** Sorted by start; the first one usually starts on 01-01. */
  seasons: { name: string /** `MM-DD` (every year) or `YYYY-MM-DD`. */; start: string; week: string }[];
  weeks: {
    name: string;
    /** Day ids Monday … Sunday. */
    days: [number, number, number, number, number, number, number];
  }[];
  days: {
    id: number;
    /** Sorted by start; the first starts at 00:00. `tariff` is the script selector (tariff number). */
    schedule: {
      start: string /** `HH:MM` */;
      tariff: number /** Script table OBIS (default 0.0.10.0.100.255). */;
      script?: string;
    }[];
  }[];
}

export interface SetCalendarParameters {
  calendar: CalendarSpec;
  /** activate_passive_calendar_time; absent: activated at once (method 1). */
  activateAt?: Instant;
}

export interface SpecialDaySpec {
  /** `MM-DD` every year or `YYYY-MM-DD`. */
  date: string;
  dayId: number;
}

export interface SetSpecialDaysParameters {
  days: SpecialDaySpec[];
}

export interface TimeSyncParameters {
  /** Largest drift corrected by shift_time (default 900 s); above it the clock is set. */
  maxShiftSeconds?: number;
  /** No adjustment within this many seconds of a capture boundary (default 10). */
  boundaryGuardSeconds?: number;
  /** Drift at or under this is left alone and reported (default 1 s). */
  toleranceSeconds?: number;
}

export interface ClockConfigParameters {
  /** Clock attribute 3 as the meter's profile expects it (minutes). */
  timeZoneMinutes?: number;
  dstEnabled?: boolean;
  dstDeviationMinutes?: number;
  /** ISO date-times (local wall time) of the DST begin and end. */
  dstBegin?: string;
  dstEnd?: string;
}

export interface FirmwareUpdateParameters {
  imageId: number;
  /** Activation instant; absent: activate right after verification. */
  activateAt?: Instant;
}

export interface KeyRotationParameters {
  /** Which keys to replace, in this order (default authentication then encryption). */
  keys?: ('authentication' | 'encryption')[];
}

export interface SecurityActivateParameters {
  /** security_policy value for the meter's security setup version. */
  policy: number;
}

export interface PushSetupParameters {
  /** Push setup object (default: the profile's first push setup). */
  pushObis?: string;
  /** `host:port`. */
  destination?: string;
  /** Communication windows as ISO date-times (wildcards not supported here). */
  windows?: { start: string; end: string }[];
  randomisationSeconds?: number;
  retries?: number;
  repetitionDelaySeconds?: number;
}

export interface CommandParameters {
  connect: Record<string, never>;
  disconnect: DisconnectParameters;
  'load-limit': LoadLimitParameters;
  'emergency-activate': EmergencyActivateParameters;
  'emergency-clear': Record<string, never>;
  'set-calendar': SetCalendarParameters;
  'set-special-days': SetSpecialDaysParameters;
  'time-sync': TimeSyncParameters;
  'clock-config': ClockConfigParameters;
  'firmware-update': FirmwareUpdateParameters;
  'key-rotation': KeyRotationParameters;
  'security-activate': SecurityActivateParameters;
  'push-setup': PushSetupParameters;
}

/** Kinds every campaign of which waits for a second person's approval. */
export const ALWAYS_APPROVED_KINDS: readonly CommandKind[] = [
  'firmware-update',
  'key-rotation',
  'security-activate',
];

/** Non-idempotent kinds: never sent twice without reading the meter's state first. */
export const NON_IDEMPOTENT_KINDS: readonly CommandKind[] = [
  'connect',
  'disconnect',
  'emergency-activate',
  'time-sync',
  'firmware-update',
  'key-rotation',
  'security-activate',
];

// ---------------------------------------------------------------------------------------
// Campaigns

/** A group of meters: every field given must match (AND); a list matches any of its values (OR). */
export interface CampaignTarget {
  meterIds?: number[];
  models?: string[];
  deviceProfiles?: string[];
  firmwareVersions?: string[];
  /** Topology node ids (transformer, feeder, …): meters anywhere below. */
  nodes?: number[];
  tags?: string[];
  segments?: string[];
}

export interface CampaignThrottle {
  /** Commands in flight at once (default 100). */
  maxInFlight?: number;
  /** Commands started per minute (default unlimited). */
  perMinute?: number;
  /** Commands in flight per communication segment (cell, concentrator, gateway; default 10). */
  perSegment?: number;
  /** Extra in-flight slots per segment kept for urgent commands (default 2). */
  urgentPerSegment?: number;
}

export const CampaignState = {
  requested: 'requested',
  awaitingApproval: 'awaiting-approval',
  running: 'running',
  paused: 'paused',
  completed: 'completed',
  cancelled: 'cancelled',
  rejected: 'rejected',
} as const;
export type CampaignState = (typeof CampaignState)[keyof typeof CampaignState];

const CAMPAIGN_TRANSITIONS: Readonly<Record<CampaignState, readonly CampaignState[]>> = {
  requested: ['awaiting-approval', 'running', 'cancelled'],
  'awaiting-approval': ['running', 'rejected', 'cancelled'],
  running: ['paused', 'completed', 'cancelled'],
  paused: ['running', 'cancelled'],
  completed: [],
  cancelled: [],
  rejected: [],
};

export function canTransitionCampaign(from: CampaignState, to: CampaignState): boolean {
  return CAMPAIGN_TRANSITIONS[from].includes(to);
}

export function isTerminalCampaignState(s: CampaignState): boolean {
  return CAMPAIGN_TRANSITIONS[s].length === 0;
}

export interface NewCampaign {
  name: string;
  kind: CommandKind;
  target: CampaignTarget;
  parameters: Record<string, unknown>;
  reason: CommandReason;
  priority?: CommandPriority;
  throttle?: CampaignThrottle;
  /** Each command's deadline; null: none. */
  deadline?: Instant | null;
  /** A rehearsal against simulated twins: touches no real meter. */
  dryRun?: boolean;
  state?: 'running' | 'awaiting-approval';
  requestedBy: string;
  requestedFrom?: string | null;
}

export interface Campaign {
  id: number;
  name: string;
  kind: CommandKind;
  target: CampaignTarget;
  parameters: Record<string, unknown>;
  reason: CommandReason;
  priority: CommandPriority;
  throttle: CampaignThrottle;
  deadline: Instant | null;
  dryRun: boolean;
  state: CampaignState;
  /** Meters the target resolved to when the campaign was created (its commands). */
  meterCount: number;
  requestedBy: string;
  requestedFrom: string | null;
  approvedBy: string | null;
  createdAt: Instant;
  updatedAt: Instant;
  history: { state: CampaignState; at: Instant; by: string; detail: Record<string, unknown> | null }[];
}

/** Commands of a campaign by state. */
export type CampaignProgress = Record<CommandState, number>;

// ---------------------------------------------------------------------------------------
// Firmware images

export interface NewFirmwareImage {
  /** image_identifier sent in image_transfer_initiate (printable, ≤ 64 bytes). */
  identifier: string;
  /** The firmware identifier the meter reports once this image is active (confirmation). */
  version: string;
  /** Device profiles the image is for; empty: not restricted. */
  deviceProfiles: string[];
  uploadedBy: string;
}

export interface FirmwareImage extends NewFirmwareImage {
  id: number;
  size: number;
  /** SHA-256 of the image bytes, lowercase hex. */
  sha256: string;
  uploadedAt: Instant;
}

/** Largest image accepted (bytes). */
export const MAX_FIRMWARE_IMAGE_BYTES = 16 * 1024 * 1024;
