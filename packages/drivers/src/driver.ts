import type { CollectedValue, EventCategory, Instant, TimeRange } from '@openhes/core';
import type {
  ActivityCalendar,
  ClockStatusInfo,
  ControlState,
  EmergencyProfile,
  ImageToActivate,
  Limiter,
  PushSetup,
  RepetitionDelay,
  SpecialDay,
} from '@openhes/cosem';
import type { CosemDateTime } from '@openhes/dlms';

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
 * The session every driver is: `open` connects and associates, every operation in between goes
 * over that association, `close` releases it. Every method of a driver and of its capabilities
 * rejects only with DriverError.
 */
export interface DriverSession {
  readonly meterId: number;
  open(): Promise<void>;
  close(): Promise<void>;
  readonly stats: DriverStats;
}

/** Reading and clock: what every meter offers. */
export interface MeterReading {
  /** Billing-relevant registers (energies, maximum demands) at the time of reading. */
  readRegisters(): Promise<CollectedValue[]>;
  readInstantaneous(): Promise<CollectedValue[]>;
  /**
   * Entries whose capture time lies in [from, to] (both ends included). Without a range: the
   * whole buffer, read without selective access. A meter that refuses both range and entry
   * access is read whole and the rows are filtered here.
   */
  readProfile(kind: ProfileKind, range?: TimeRange): Promise<CollectedValue[]>;
  readEvents(range: TimeRange): Promise<DriverEvent[]>;
  readClock(): Promise<ClockReading>;
  setClock(at: Instant): Promise<void>;
}

/**
 * The disconnector as the meter reports it (disconnect control, class 70, attributes 2..4).
 * In control modes 1, 3, 5 and 6 a remote reconnect only arms the relay: control_state becomes
 * ready_for_reconnection and output_state stays false until the customer presses the button.
 */
export interface DisconnectorState {
  /** output_state: true = relay closed, supply connected. */
  outputState: boolean;
  /** control_state: 0 disconnected, 1 connected, 2 ready_for_reconnection. */
  controlState: ControlState;
  /** control_mode 0..6 (7 in later editions): which transitions the meter allows. */
  controlMode: number;
  /** control_state 2 with the relay open: a remote reconnect armed it, the customer must press the button. */
  armed: boolean;
}

/** A remote transition of the disconnector. */
export type SupplyTransition = 'disconnect' | 'reconnect';

/** What a disconnect or reconnect did: the state read back after it. */
export interface SupplyOutcome extends DisconnectorState {
  /**
   * false when the meter was already where the transition leads (disconnected; connected, or
   * armed in a mode where reconnect arms) and nothing was sent.
   */
  sent: boolean;
}

/**
 * Supply control: the disconnector (disconnect control, class 70). Each transition reads the
 * state first (control_mode once per session, then cached), refuses what the mode does not allow
 * before sending (DRIVER_MODE_FORBIDS, detail {mode, transition, controlState}; mode 0 refuses
 * all), sends nothing when the meter is already there, and reads the state back after the method.
 * A meter that refuses the method: DRIVER_REFUSED with detail.actionResult / resultName.
 */
export interface SupplyControl {
  /** remote_disconnect, then the state read back (a successful method does not mean the relay moved). */
  disconnect(): Promise<SupplyOutcome>;
  /** remote_reconnect, then the state read back (armed rather than connected in modes 1, 3, 5, 6). */
  reconnect(): Promise<SupplyOutcome>;
  readDisconnector(): Promise<DisconnectorState>;
}

/** The writable settings of a limiter (class 71); only the fields given are written. */
export interface LimiterSettings {
  /** threshold_normal (attribute 4), in the unit of the monitored value. */
  thresholdNormal?: number | bigint;
  /** threshold_emergency (attribute 5). */
  thresholdEmergency?: number | bigint;
  /** min_over_threshold_duration (attribute 6), seconds. */
  minOverThresholdDuration?: number;
  /** min_under_threshold_duration (attribute 7), seconds. */
  minUnderThresholdDuration?: number;
  /** emergency_profile (attribute 8). */
  emergencyProfile?: EmergencyProfile;
  /** emergency_profile_group_id_list (attribute 9). */
  emergencyProfileGroupIds?: readonly number[];
}

/** Limiter settings in physical units: thresholds in the monitored value's unit (W, A …). */
export interface LimitSettings {
  thresholdNormal?: number;
  thresholdEmergency?: number;
  /** Seconds. */
  minOverThresholdDuration?: number;
  /** Seconds. */
  minUnderThresholdDuration?: number;
}

/** An emergency profile to activate (limiter attributes 5, 8, 9). */
export interface EmergencyActivation {
  /** emergency_profile_id. */
  profileId: number;
  /** Start; converted to the meter's local date-time. */
  activateAt: Instant;
  durationSeconds: number;
  /** emergency_profile_group_id_list written (default [profileId]). */
  groupIds?: readonly number[];
  /** threshold_emergency to write first, in the monitored value's physical unit. */
  thresholdEmergency?: number;
}

/** The limiter read back, with its thresholds in physical units (raw × 10^scaler of the monitored value). */
export interface LimiterView {
  raw: Limiter;
  /** The monitored register's scaler and unit (its scaler_unit attribute); scaler 0, unit '' when it has none. */
  scaler: number;
  unit: string;
  /** Undefined when the meter's threshold is not a number. */
  thresholdActive: number | undefined;
  thresholdNormal: number | undefined;
  thresholdEmergency: number | undefined;
  emergencyProfile: EmergencyProfile;
  emergencyProfileGroupIds: number[];
  emergencyProfileActive: boolean;
}

/** Load limiting: the limiter (class 71). Reads give attributes 2..11 as cosem decodes them. */
export interface LoadLimiting {
  readLimiter(): Promise<Limiter>;
  /** Writes the given settings (thresholds in the monitored value's type), then reads all back. */
  setLimiter(settings: LimiterSettings): Promise<Limiter>;
  /** The limiter with physical thresholds (reads monitored_value, then that register's scaler_unit). */
  readLimits(): Promise<LimiterView>;
  /** Thresholds in physical units, converted with the monitored value's scaler; then read back. */
  setLimits(settings: LimitSettings): Promise<LimiterView>;
  /** Writes threshold_emergency (if given), emergency_profile, then the group list; reads 8, 9, 10 back. */
  activateEmergency(activation: EmergencyActivation): Promise<LimiterView>;
  /** Empties emergency_profile_group_id_list (attribute 9); reads 8, 9, 10 back. */
  clearEmergency(): Promise<LimiterView>;
}

/** When a passive calendar becomes active. */
export type CalendarActivation =
  /** activate_passive_calendar (method 1) right after writing. */
  | { kind: 'now' }
  /** activate_passive_calendar_time (attribute 10); an instant is written in the meter's local time. */
  | { kind: 'at'; time: CosemDateTime | Instant };

/** What programCalendar read back after writing and activating. */
export interface CalendarOutcome {
  passive: ActivityCalendar;
  active: ActivityCalendar;
  /** activate_passive_calendar_time (attribute 10) as read back. */
  activationTime: CosemDateTime;
}

/**
 * Tariff programming: the activity calendar (class 20) and, where the model has one, special
 * days (class 11). A read-back that differs from what was written: DRIVER_READBACK_MISMATCH.
 */
export interface TariffProgramming {
  readActiveCalendar(): Promise<ActivityCalendar>;
  readPassiveCalendar(): Promise<ActivityCalendar>;
  /**
   * Writes the passive calendar (attributes 6 → 7 → 8 → 9), activates it (method 1 for 'now',
   * attribute 10 for 'at'), reads passive, active and attribute 10 back and compares: the
   * passive must equal what was written, and after 'now' the active too.
   */
  programCalendar(calendar: ActivityCalendar, activation: CalendarActivation): Promise<CalendarOutcome>;
  /** Writes the whole special days table (class 11 attribute 2), reads it back and compares; absent when the model has none. */
  readonly setSpecialDays?: (days: readonly SpecialDay[]) => Promise<SpecialDay[]>;
  readonly readSpecialDays?: () => Promise<SpecialDay[]>;
}

/** Clock time zone and daylight-saving settings (class 8 attributes 3, 5, 6, 7, 8). */
export interface ClockSettings {
  /** time_zone (attr 3), minutes, as the meter states it (Blue Book: UTC − local; see the profile's quirks). */
  timeZone: number;
  /** daylight_savings_begin (attr 5), wildcards allowed. */
  daylightSavingsBegin: CosemDateTime;
  /** daylight_savings_end (attr 6). */
  daylightSavingsEnd: CosemDateTime;
  /** daylight_savings_deviation (attr 7), minutes. */
  daylightSavingsDeviation: number;
  /** daylight_savings_enabled (attr 8). */
  daylightSavingsEnabled: boolean;
}

/** The clock's attributes 2..9. */
export interface ClockState extends ClockSettings {
  time: CosemDateTime;
  /** The time as an instant; undefined when the meter sends an incomplete date-time. */
  meterTime: Instant | undefined;
  status: ClockStatusInfo;
  /** clock_base (attr 9). */
  clockBase: number;
}

/**
 * The clock (class 8) beyond reading: shift_time, set, time zone and DST. The head end's
 * MeterReading.readClock / setClock stay as they are (any association that may).
 */
export interface ClockControl {
  /** Attributes 2..9. */
  readClockState(): Promise<ClockState>;
  /** shift_time (method 6), −900..900 s (DRIVER_INVALID outside), then the clock read. */
  shiftTime(seconds: number): Promise<ClockReading>;
  /** Sets attribute 2 to the instant in the meter's local time, then reads the clock. */
  setTime(at: Instant): Promise<ClockReading>;
  /** Writes the given settings (3, 5, 6, 7, 8 in that order), reads 2..9 back and compares. */
  setClockSettings(settings: Partial<ClockSettings>): Promise<ClockState>;
}

/** image_transfer_status (class 18 attribute 6). */
export type ImageTransferStatus = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface ImageTransferState {
  /** image_block_size (attribute 2), bytes. */
  blockSize: number;
  /** image_transferred_blocks_status (attribute 3) decoded: numbers of the blocks received, ascending. */
  transferredBlocks: number[];
  /** image_first_not_transferred_block_number (attribute 4). */
  firstMissingBlock: number;
  /** image_transfer_enabled (attribute 5). */
  enabled: boolean;
  status: ImageTransferStatus;
  /** image_to_activate_info (attribute 7). */
  toActivate: ImageToActivate[];
}

/** image_transfer_initiate parameter. */
export interface ImageIdentity {
  identifier: Uint8Array;
  /** Bytes. */
  size: number;
}

/** image_block_transfer parameter. */
export interface ImageBlock {
  /** From 0. */
  number: number;
  /** Exactly image_block_size bytes, except the last block. */
  value: Uint8Array;
}

/**
 * Firmware: image transfer (class 18), step by step; the sequence lives in the firmware
 * operation. An Action-Result temporary-failure (2) of any method is DRIVER_TEMPORARY_FAILURE
 * (retryable): poll readImageStatus until the status leaves 2 (verification) or 5 (activation).
 * Any other refusal: DRIVER_REFUSED with detail.actionResult.
 */
export interface FirmwareTransfer {
  /** Attributes 2..7. */
  readImageTransfer(): Promise<ImageTransferState>;
  /** image_transfer_status (attribute 6) alone, for polling. */
  readImageStatus(): Promise<ImageTransferStatus>;
  /**
   * The largest image_block_value an image_block_transfer may carry in this session: the
   * negotiated server max receive PDU size less the ACTION and ciphering overhead.
   */
  maxBlockSize(): number;
  /** image_transfer_enabled (attribute 5). */
  enableImageTransfer(enabled: boolean): Promise<void>;
  /** Method 1. */
  initiateImage(image: ImageIdentity): Promise<void>;
  /** Method 2; a block larger than maxBlockSize() is DRIVER_INVALID (nothing sent). */
  transferBlock(block: ImageBlock): Promise<void>;
  /** Method 3. */
  verifyImage(): Promise<void>;
  /** Method 4. */
  activateImage(): Promise<void>;
  /**
   * The active firmware identifier as text, read from the firmware version object the device
   * profile names (an object with source `firmware`, else 1.0.0.2.0.255). Absent when the model
   * has none: activation is then confirmed by image_transfer_status and image_to_activate_info.
   */
  readonly readActiveFirmware?: () => Promise<string>;
  /**
   * Timed activation: writes the image activation schedule (single-action schedule
   * 0.0.15.0.2.255, attribute 4 execution_time) to `at` in the meter's local time, rounded up to
   * a whole second, reads it back (DRIVER_READBACK_MISMATCH) and returns the instant it holds;
   * the meter runs image_activate then (a verified image only). A time not in the future:
   * DRIVER_INVALID, nothing sent. Absent when the model has no such schedule (activate in time
   * with activateImage instead).
   */
  readonly scheduleActivation?: (at: Instant) => Promise<Instant>;
  /** The instant the image activation schedule holds; undefined when it is empty. Present with scheduleActivation. */
  readonly readActivationSchedule?: () => Promise<Instant | undefined>;
  /** Empties the image activation schedule (nothing will be activated by it). Present with scheduleActivation. */
  readonly cancelActivationSchedule?: () => Promise<void>;
}

/** key_id of global_key_transfer (security setup, class 64). */
export const GlobalKeyId = {
  unicastEncryption: 0,
  broadcastEncryption: 1,
  authentication: 2,
  master: 3,
} as const;
export type GlobalKey = keyof typeof GlobalKeyId;

export interface KeyTransfer {
  key: GlobalKey;
  /** The new key wrapped under the master key (RFC 3394): 24 bytes for a 16-byte key. */
  wrapped: Uint8Array;
}

/** Security setup (class 64) attributes 2..5. */
export interface SecuritySetupState {
  /** security_policy (attr 2): an enum in version 0, bit flags in version 1. */
  policy: number;
  /** security_suite (attr 3). */
  suite: number;
  clientSystemTitle: Uint8Array;
  serverSystemTitle: Uint8Array;
}

/** Keys: global_key_transfer (security setup, class 64, method 2), one key per call; security_activate. */
export interface KeyChange {
  /** A key already wrapped under the master key. */
  transferKey(transfer: KeyTransfer): Promise<void>;
  /** Wraps `newKey` under `kek` (the master key, RFC 3394) and transfers it. Never logged. */
  changeKey(key: GlobalKey, newKey: Uint8Array, kek: Uint8Array): Promise<void>;
  /** security_activate (method 1) with the policy value for the object's version. */
  activateSecurity(policy: number): Promise<void>;
  readSecuritySetup(): Promise<SecuritySetupState>;
}

/** The writable push setup attributes (class 40, 3..7); only the fields given are written. */
export interface PushSettings {
  /** send_destination_and_method (attr 3); a string is "host:port" over TCP, A-XDR. */
  destination?: string | { transportService: number; destination: string | Uint8Array; message: number };
  /** communication_window (attr 4); instants converted to the meter's local date-time. */
  communicationWindow?: readonly { start: Instant | CosemDateTime; end: Instant | CosemDateTime }[];
  /** randomisation_start_interval (attr 5), seconds. */
  randomisationStartInterval?: number;
  /** number_of_retries (attr 6). */
  numberOfRetries?: number;
  /**
   * repetition_delay (attr 7): seconds (long-unsigned, versions 0 and 1) or the version 2
   * structure; seconds are written in the form the meter holds (read first).
   */
  repetitionDelay?: number | RepetitionDelay;
}

/** Push setup (class 40): the model's push objects, read and written with read-back. */
export interface PushConfiguration {
  /** The push setup objects of the model (device profile object list), in profile order. */
  readonly objects: readonly string[];
  /** Attributes 2..7 of one push setup (default the first of `objects`). */
  readPushSetup(obis?: string): Promise<PushSetup>;
  /** Writes the given settings (3 → 7), reads 2..7 back and compares (DRIVER_READBACK_MISMATCH). */
  setPushSetup(settings: PushSettings, obis?: string): Promise<PushSetup>;
}

/** The capabilities a driver may offer; reading (with readClock/setClock) comes with every driver. */
export type Capability = 'reading' | 'supply' | 'limiter' | 'tariff' | 'clock' | 'firmware' | 'keys' | 'push';

/** The interface behind each control capability, under its accessor on the driver. */
export interface ControlCapabilities {
  supply: SupplyControl;
  limiter: LoadLimiting;
  tariff: TariffProgramming;
  clock: ClockControl;
  firmware: FirmwareTransfer;
  keys: KeyChange;
  push: PushConfiguration;
}
export type ControlCapability = keyof ControlCapabilities;

/**
 * One interface for every kind of meter: a session that reads. Each control capability is
 * present only when the driver implements it and the meter's device profile has its objects
 * (`capabilitiesOf`); a driver may also leave out what its session cannot use (the DLMS driver
 * on a read-only association). Absent, the accessor is undefined (`requireCapability` turns
 * that into DRIVER_UNSUPPORTED).
 */
export interface MeterDriver extends DriverSession, MeterReading {
  readonly supply?: SupplyControl;
  readonly limiter?: LoadLimiting;
  readonly tariff?: TariffProgramming;
  readonly clock?: ClockControl;
  readonly firmware?: FirmwareTransfer;
  readonly keys?: KeyChange;
  readonly push?: PushConfiguration;
}
