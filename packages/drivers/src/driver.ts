import type { CollectedValue, EventCategory, Instant, TimeRange } from '@openhes/core';
import type {
  ActivityCalendar,
  ControlState,
  EmergencyProfile,
  ImageToActivate,
  Limiter,
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
  /** Entries whose capture time lies in [from, to] (both ends included). */
  readProfile(kind: ProfileKind, range: TimeRange): Promise<CollectedValue[]>;
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
}

/** Supply control: the disconnector (disconnect control, class 70). */
export interface SupplyControl {
  /** remote_disconnect, then the state read back (a successful method does not mean the relay moved). */
  disconnect(): Promise<DisconnectorState>;
  /** remote_reconnect, then the state read back (armed rather than connected in modes 1, 3, 5, 6). */
  reconnect(): Promise<DisconnectorState>;
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

/** Load limiting: the limiter (class 71). Reads give attributes 2..11 as cosem decodes them. */
export interface LoadLimiting {
  readLimiter(): Promise<Limiter>;
  /** Writes the given settings (thresholds in the monitored value's type), then reads all back. */
  setLimiter(settings: LimiterSettings): Promise<Limiter>;
}

/** When a passive calendar becomes active. */
export type CalendarActivation =
  /** activate_passive_calendar (method 1) right after writing. */
  | { kind: 'now' }
  /** activate_passive_calendar_time (attribute 10). */
  | { kind: 'at'; time: CosemDateTime };

/** Tariff programming: the activity calendar (class 20) and, where the model has one, special days (class 11). */
export interface TariffProgramming {
  readActiveCalendar(): Promise<ActivityCalendar>;
  readPassiveCalendar(): Promise<ActivityCalendar>;
  /** Writes the passive calendar (attributes 6 → 7 → 8 → 9) and schedules its activation. */
  programCalendar(calendar: ActivityCalendar, activation: CalendarActivation): Promise<void>;
  /** The whole special days table (class 11 attribute 2); absent when the model has none. */
  readonly setSpecialDays?: (days: readonly SpecialDay[]) => Promise<void>;
}

/** image_transfer_status (class 18 attribute 6). */
export type ImageTransferStatus = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface ImageTransferState {
  /** image_block_size (attribute 2), bytes. */
  blockSize: number;
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

/** Firmware: image transfer (class 18), step by step; the sequence lives in the firmware campaign. */
export interface FirmwareTransfer {
  readImageTransfer(): Promise<ImageTransferState>;
  /** image_transfer_enabled (attribute 5). */
  enableImageTransfer(enabled: boolean): Promise<void>;
  /** Method 1. */
  initiateImage(image: ImageIdentity): Promise<void>;
  /** Method 2. */
  transferBlock(block: ImageBlock): Promise<void>;
  /** Method 3. */
  verifyImage(): Promise<void>;
  /** Method 4. */
  activateImage(): Promise<void>;
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

/** Keys: global_key_transfer (security setup, class 64, method 2), one key per call. */
export interface KeyChange {
  transferKey(transfer: KeyTransfer): Promise<void>;
}

/** The capabilities a driver may offer; reading and clock come with every driver. */
export type Capability = 'reading' | 'supply' | 'limiter' | 'tariff' | 'firmware' | 'keys';

/** The interface behind each control capability, under its accessor on the driver. */
export interface ControlCapabilities {
  supply: SupplyControl;
  limiter: LoadLimiting;
  tariff: TariffProgramming;
  firmware: FirmwareTransfer;
  keys: KeyChange;
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
  readonly firmware?: FirmwareTransfer;
  readonly keys?: KeyChange;
}
