/**
 * Parameters of the control objects' methods and the values the driver writes and reads
 * beyond the attribute decoders of `decode/`: disconnect control transitions per control
 * mode, image transfer, security setup key transfer, push setup repetition delay, the whole
 * activity calendar. Facts: shared/reference/control-objects.md.
 */
import type { DlmsData } from '@openhes/dlms';
import {
  type ActivityCalendar,
  decodeDayProfileTable,
  decodeSeasonProfile,
  decodeWeekProfileTable,
} from '../decode/calendar.ts';
import type { ControlState } from '../decode/control.ts';
import { int, octets, structure } from '../decode/encode.ts';
import type { RepetitionDelay } from '../decode/push.ts';
import {
  element,
  expectArray,
  expectInteger,
  expectOctets,
  expectStructure,
  type Path,
} from '../decode/shape.ts';
import { CosemError, CosemErrorCode } from '../errors.ts';

function encodeError(message: string): never {
  throw new CosemError(CosemErrorCode.Encode, message);
}

/** integer(0): the data of the methods that take none (`0F 00`). */
export const NO_METHOD_DATA: DlmsData = { type: 'integer', value: 0 };

// ---------------------------------------------------------------------------------------
// Disconnect control (class 70): which remote transitions each control_mode allows

/** A remote method of the disconnector. */
export type RemoteTransition = 'disconnect' | 'reconnect';

/** Modes in which remote_reconnect only arms the relay (disconnected → ready_for_reconnection). */
export const ARMING_MODES: ReadonlySet<number> = new Set([1, 3, 5, 6]);
/** Modes in which remote_reconnect closes the relay at once (disconnected → connected). */
export const DIRECT_RECONNECT_MODES: ReadonlySet<number> = new Set([2, 4, 7]);

/**
 * What a remote transition does from a control_state in a control_mode (control-objects.md
 * §1.2, §1.3): `to` the state it leads to, `noop` when the meter is already there (nothing to
 * send), `forbidden` when the mode has no such transition from that state. Mode 0 (and any
 * mode outside 0..7) forbids every remote transition.
 */
export type TransitionVerdict = { kind: 'send'; to: ControlState } | { kind: 'noop' } | { kind: 'forbidden' };

export function remoteTransition(
  mode: number,
  transition: RemoteTransition,
  from: ControlState,
): TransitionVerdict {
  if (!Number.isInteger(mode) || mode < 1 || mode > 7) return { kind: 'forbidden' };
  if (transition === 'disconnect') {
    // b: connected → disconnected, c: ready_for_reconnection → disconnected (modes 1..7).
    return from === 0 ? { kind: 'noop' } : { kind: 'send', to: 0 };
  }
  if (from === 1) return { kind: 'noop' };
  if (from === 0) return ARMING_MODES.has(mode) ? { kind: 'send', to: 2 } : { kind: 'send', to: 1 }; // d / a
  // From ready_for_reconnection: i (mode 7) closes the relay; in an arming mode it is already armed.
  if (mode === 7) return { kind: 'send', to: 1 };
  if (ARMING_MODES.has(mode)) return { kind: 'noop' };
  return { kind: 'forbidden' };
}

// ---------------------------------------------------------------------------------------
// Image transfer (class 18)

/** Blocks of an image: ceil(size / blockSize); the last one is short. */
export function imageBlockCount(size: number, blockSize: number): number {
  if (!Number.isInteger(size) || size < 0) encodeError(`image size ${size} is not a whole number of bytes`);
  if (!Number.isInteger(blockSize) || blockSize <= 0)
    encodeError(`image block size ${blockSize} is not positive`);
  return Math.ceil(size / blockSize);
}

/** image_transfer_initiate (method 1): {image_identifier octet-string, image_size double-long-unsigned}. */
export function encodeImageTransferInitiate(identifier: Uint8Array, size: number): DlmsData {
  return structure(octets(identifier), int('double-long-unsigned', size, 'image_size'));
}

export function decodeImageTransferInitiate(
  d: DlmsData,
  path: Path = 'image_transfer_initiate',
): { identifier: Uint8Array; size: number } {
  const v = expectStructure(d, 2, path);
  return {
    identifier: expectOctets(element(v, 0, path), `${path}.image_identifier`),
    size: expectInteger(element(v, 1, path), `${path}.image_size`),
  };
}

/** image_block_transfer (method 2): {image_block_number double-long-unsigned, image_block_value octet-string}. */
export function encodeImageBlockTransfer(blockNumber: number, value: Uint8Array): DlmsData {
  return structure(int('double-long-unsigned', blockNumber, 'image_block_number'), octets(value));
}

export function decodeImageBlockTransfer(
  d: DlmsData,
  path: Path = 'image_block_transfer',
): { blockNumber: number; value: Uint8Array } {
  const v = expectStructure(d, 2, path);
  return {
    blockNumber: expectInteger(element(v, 0, path), `${path}.image_block_number`),
    value: expectOctets(element(v, 1, path), `${path}.image_block_value`),
  };
}

/**
 * image_transferred_blocks_status (attribute 3): bit n set = block n received; bit 0 is the
 * most significant bit of the first byte. Returns the received block numbers, ascending.
 */
export function decodeTransferredBlocks(
  d: DlmsData,
  path: Path = 'image_transferred_blocks_status',
): number[] {
  if (d.type !== 'bit-string') {
    throw new CosemError(CosemErrorCode.Shape, `${path}: expected bit-string, got ${d.type}`, { path });
  }
  const { length, bytes } = d.value;
  const out: number[] = [];
  for (let n = 0; n < length; n++) if (((bytes[n >> 3] ?? 0) >> (7 - (n & 7))) & 1) out.push(n);
  return out;
}

/** The bit-string of `count` bits with the given block numbers set (what a meter reports). */
export function encodeTransferredBlocks(received: Iterable<number>, count: number): DlmsData {
  if (!Number.isInteger(count) || count < 0) encodeError(`block count ${count} is not a whole number`);
  const bytes = new Uint8Array(Math.ceil(count / 8));
  for (const n of received) {
    if (!Number.isInteger(n) || n < 0 || n >= count) encodeError(`block ${n} outside 0..${count - 1}`);
    bytes[n >> 3]! |= 0x80 >> (n & 7);
  }
  return { type: 'bit-string', value: { length: count, bytes } };
}

/** Block numbers in [0, count) not in `received`, ascending. */
export function missingBlocks(received: Iterable<number>, count: number): number[] {
  const have = new Set(received);
  const out: number[] = [];
  for (let n = 0; n < count; n++) if (!have.has(n)) out.push(n);
  return out;
}

// ---------------------------------------------------------------------------------------
// Security setup (class 64)

/** key_id of global_key_transfer. */
export const GlobalKeyIdNames = {
  0: 'global_unicast_encryption_key',
  1: 'global_broadcast_encryption_key',
  2: 'authentication_key',
  3: 'master_key',
} as const;

export interface KeyTransferEntry {
  /** 0 GUEK, 1 GBEK, 2 GAK, 3 master (KEK). */
  keyId: number;
  /** The key wrapped under the master key (RFC 3394). */
  wrapped: Uint8Array;
}

/** global_key_transfer (method 2): array of {key_id enum, key_wrapped octet-string}. */
export function encodeGlobalKeyTransfer(keys: readonly KeyTransferEntry[]): DlmsData {
  if (keys.length === 0) encodeError('global_key_transfer needs at least one key');
  return {
    type: 'array',
    value: keys.map((k) => {
      if (!(k.keyId in GlobalKeyIdNames)) encodeError(`key_id ${k.keyId} outside 0..3`);
      if (k.wrapped.length < 24 || k.wrapped.length % 8 !== 0)
        encodeError(`key_wrapped must be 24+ bytes in 8-byte blocks, got ${k.wrapped.length}`);
      return structure(int('enum', k.keyId, 'key_id'), octets(k.wrapped));
    }),
  };
}

export function decodeGlobalKeyTransfer(d: DlmsData, path: Path = 'global_key_transfer'): KeyTransferEntry[] {
  return expectArray(d, path).map((e, i) => {
    const p = `${path}[${i}]`;
    const v = expectStructure(e, 2, p);
    return {
      keyId: expectInteger(element(v, 0, p), `${p}.key_id`),
      wrapped: expectOctets(element(v, 1, p), `${p}.key_wrapped`),
    };
  });
}

/** security_activate (method 1): the security_policy enum (version 0: 0..3; version 1: bit flags). */
export function encodeSecurityActivate(policy: number): DlmsData {
  return int('enum', policy, 'security_policy');
}

// ---------------------------------------------------------------------------------------
// Push setup (class 40)

/**
 * repetition_delay (attribute 7): long-unsigned seconds (versions 0, 1) or, in version 2,
 * {repetition_delay_min long-unsigned, repetition_delay_exponent unsigned, repetition_delay_max long-unsigned}.
 */
export function encodeRepetitionDelay(r: RepetitionDelay): DlmsData {
  if (r.kind === 'fixed') return int('long-unsigned', r.seconds, 'repetition_delay');
  return structure(
    int('long-unsigned', r.min, 'repetition_delay_min'),
    int('unsigned', r.exponent, 'repetition_delay_exponent'),
    int('long-unsigned', r.max, 'repetition_delay_max'),
  );
}

// ---------------------------------------------------------------------------------------
// Activity calendar (class 20)

/** One calendar's four attributes (active 2..5 or passive 6..9) read together. */
export function decodeActivityCalendar(
  values: readonly DlmsData[],
  path: Path = 'calendar',
): ActivityCalendar {
  const at = (i: number) => element(values, i, path);
  return {
    calendarName: expectOctets(at(0), `${path}.calendar_name`),
    seasonProfile: decodeSeasonProfile(at(1), `${path}.season_profile`),
    weekProfileTable: decodeWeekProfileTable(at(2), `${path}.week_profile_table`),
    dayProfileTable: decodeDayProfileTable(at(3), `${path}.day_profile_table`),
  };
}
