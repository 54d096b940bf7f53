import type { DlmsData } from '@openhes/dlms';
import type { FleetView, MeterTruth } from '../truth/meter.ts';
import type { ImageState } from '../truth/state.ts';
import type { Instant } from '../truth/time.ts';
import { behaviourOf, eventCode, fields, numberOf, Result, record, stateOf } from './control-base.ts';
import { parseImage } from './image-format.ts';

/**
 * Image transfer (class 18), control-objects.md §5.
 *
 * - attr 2 image_block_size: the model's (behaviourOf), fixed for a transfer at its initiate.
 * - attr 5 image_transfer_enabled (default TRUE): while FALSE, initiate and block transfer
 *   answer other-reason (250).
 * - method 1 initiate always starts over: status 1, no block held, even for the identifier
 *   being transferred (a client that resumes reads attr 3/4 instead of initiating again).
 * - method 2 block: only while status is 1; a block number past the image or a block of the
 *   wrong length (every block but the last is image_block_size long) is refused (250). A block
 *   sent again replaces the one held and is counted as a duplicate.
 * - method 3 verify: with blocks missing, 250 and status stays 1 (send the missing blocks and
 *   verify again). Otherwise the meter checks the image (model/image-format.ts): status 3 or 4.
 *   With a verification time (behaviour verifyMs > 0) it answers temporary-failure (2) and
 *   shows status 2 until the time has passed; asking again meanwhile answers 2 again.
 * - method 4 activate: from status 3 only (6 again is a success that changes nothing); with an
 *   activation time it answers 2 and shows status 5 until done. Activation makes the version
 *   the image declares the active firmware identifier (the firmware object, source
 *   'firmware'), logs "New firmware activated". A failed verification (4) refuses activation:
 *   the old firmware stays.
 * - attr 7 image_to_activate_info once verified: {size, identifier, the image's SHA-256
 *   trailer as signature}.
 * - A fleet that accepts any image (setAcceptAnyImage: the rehearsal twins of real meters,
 *   which receive vendor images, not ours) verifies an image it cannot parse when every block
 *   arrived with its declared length, and once activated reports the version `versionOf`
 *   gives for the image_identifier (default: the identifier itself).
 */
const u32 = (value: number): DlmsData => ({ type: 'double-long-unsigned', value });
const octets = (value: Uint8Array): DlmsData => ({ type: 'octet-string', value });
const text = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

/** What a fleet that accepts any image does with one it cannot parse. */
export interface AnyImageOptions {
  /** The firmware identifier a meter reports after activating the image of this image_identifier. */
  versionOf?: (identifier: string) => string | undefined;
}

const anyImage = new WeakMap<FleetView, AnyImageOptions>();

/**
 * Makes every meter of `fleet` verify any image whose blocks all arrived with their declared
 * lengths (the twins of real meters); `false` restores the check of the simulator's own format.
 */
export function setAcceptAnyImage(fleet: FleetView, options: AnyImageOptions | boolean = true): void {
  if (options === false) anyImage.delete(fleet);
  else anyImage.set(fleet, options === true ? {} : options);
}

/** Equal blocks of the same image are held once for the whole fleet (a campaign sends one image to many). */
const shared = new WeakMap<FleetView, Map<string, Uint8Array>>();

function intern(m: MeterTruth, img: ImageState, n: number, block: Uint8Array): Uint8Array {
  let map = shared.get(m.fleet);
  if (map === undefined) {
    map = new Map();
    shared.set(m.fleet, map);
  }
  const key = `${img.identifier}/${img.size}/${img.blockSize}/${n}`;
  const hit = map.get(key);
  if (hit !== undefined && hit.length === block.length && hit.every((x, i) => x === block[i])) return hit;
  const own = block.slice();
  if (hit === undefined) map.set(key, own);
  return own;
}

export function blockCount(img: ImageState): number {
  return Math.ceil(img.size / img.blockSize);
}

function assembled(img: ImageState): Uint8Array {
  const out = new Uint8Array(img.size);
  let o = 0;
  for (let n = 0; n < blockCount(img); n++) {
    const b = img.data.get(n)!;
    out.set(b, o);
    o += b.length;
  }
  return out;
}

function activate(m: MeterTruth, img: ImageState, at: Instant): void {
  const s = stateOf(m);
  img.status = 6;
  img.busyUntil = undefined;
  s.firmware.push({ at, version: img.version });
  record(s, at, 'transaction', eventCode(m, 'transaction', 'New firmware activated', 157));
}

/** Ends a verification or activation whose time has come; runs a scheduled activation. */
export function settleImage(m: MeterTruth, now: Instant): void {
  const s = m.state;
  const img = s?.image;
  if (img?.busyUntil !== undefined && now >= img.busyUntil) {
    const at = img.busyUntil;
    if (img.status === 2) {
      img.status = img.verifies ? 3 : 4;
      img.busyUntil = undefined;
    } else if (img.status === 5) activate(m, img, at);
  }
  const planned = s?.imageActivation;
  if (s !== undefined && planned !== undefined && now >= planned.at) {
    // The schedule runs image_activate once at its time: only a verified image is activated.
    delete s.imageActivation;
    if (img?.status === 3) activate(m, img, planned.at);
  }
}

/**
 * Image activation schedule (single-action schedule 0.0.15.0.2.255, attr 4 execution_time):
 * one entry {time octet-string(4), date octet-string(5)} in the meter's local time, no
 * wildcards, runs image_activate at that instant (a verified image only); an empty array
 * cancels. Other attributes are not writable.
 */
export function writeImageSchedule(m: MeterTruth, attr: number, v: DlmsData, now: Instant): number {
  if (attr !== 4) return Result.denied;
  if (v.type !== 'array' || v.value.length > 1) return Result.typeUnmatched;
  const s = stateOf(m);
  if (v.value.length === 0) {
    delete s.imageActivation;
    return Result.success;
  }
  const f = fields(v.value[0], 2);
  const time = f?.[0];
  const date = f?.[1];
  if (
    time?.type !== 'octet-string' ||
    date?.type !== 'octet-string' ||
    time.value.length !== 4 ||
    date.value.length !== 5
  )
    return Result.typeUnmatched;
  const [hh, mi, ss] = time.value;
  const year = (date.value[0]! << 8) | date.value[1]!;
  const [month, day] = [date.value[2]!, date.value[3]!];
  if (year === 0xffff || month > 12 || day > 31 || hh! > 23 || mi! > 59 || (ss! > 59 && ss !== 0xff))
    return Result.other;
  const local = Date.UTC(year, month - 1, day, hh!, mi!, ss === 0xff ? 0 : ss!);
  const at = local - m.profile.meter.utcOffsetMinutes * 60_000;
  if (at < now) return Result.other;
  s.imageActivation = { at, raw: v };
  return Result.success;
}

export function readImageSchedule(m: MeterTruth): DlmsData {
  return m.state?.imageActivation?.raw ?? { type: 'array', value: [] };
}

export function imageTransferMethod(
  m: MeterTruth,
  method: number,
  p: DlmsData | undefined,
  now: Instant,
): number {
  const s = stateOf(m);
  settleImage(m, now);
  const enabled = s.imageTransferEnabled ?? true;
  switch (method) {
    case 1: {
      const f = fields(p, 2);
      const size = numberOf(f?.[1]);
      if (f?.[0]?.type !== 'octet-string' || size === undefined || size <= 0) return Result.typeUnmatched;
      if (!enabled) return Result.other;
      s.image = {
        identifier: String.fromCharCode(...f[0].value),
        size,
        blocks: new Set(),
        data: new Map(),
        status: 1,
        version: '',
        blockSize: behaviourOf(m).imageBlockSize,
      };
      return Result.success;
    }
    case 2: {
      const f = fields(p, 2);
      const n = numberOf(f?.[0]);
      if (n === undefined || f?.[1]?.type !== 'octet-string') return Result.typeUnmatched;
      const img = s.image;
      if (!enabled || img === undefined || img.status !== 1) return Result.other;
      const count = blockCount(img);
      const want = n === count - 1 ? img.size - n * img.blockSize : img.blockSize;
      if (!Number.isInteger(n) || n < 0 || n >= count || f[1].value.length !== want) return Result.other;
      s.imageBlocks ??= { received: 0, duplicates: 0 };
      const c = s.imageBlocks;
      c.received++;
      if (img.blocks.has(n)) c.duplicates++;
      img.blocks.add(n);
      img.data.set(n, intern(m, img, n, f[1].value));
      return Result.success;
    }
    case 3: {
      const img = s.image;
      if (img === undefined) return Result.other;
      if (img.status === 2) return Result.temporaryFailure;
      if (img.status === 3) return Result.success;
      if (img.status !== 1 || img.blocks.size < blockCount(img)) return Result.other;
      const parsed = parseImage(assembled(img));
      const any = anyImage.get(m.fleet);
      img.verifies = parsed !== undefined || any !== undefined;
      img.version =
        parsed?.version ?? (any === undefined ? '' : (any.versionOf?.(img.identifier) ?? img.identifier));
      const wait = behaviourOf(m).verifyMs;
      if (wait > 0) {
        img.status = 2;
        img.busyUntil = now + wait;
        return Result.temporaryFailure;
      }
      img.status = img.verifies ? 3 : 4;
      return img.verifies ? Result.success : Result.other;
    }
    case 4: {
      const img = s.image;
      if (img === undefined) return Result.other;
      if (img.status === 2 || img.status === 5) return Result.temporaryFailure;
      if (img.status === 6) return Result.success;
      if (img.status !== 3) return Result.other;
      const wait = behaviourOf(m).activateMs;
      if (wait > 0) {
        img.status = 5;
        img.busyUntil = now + wait;
        return Result.temporaryFailure;
      }
      activate(m, img, now);
      return Result.success;
    }
    default:
      return Result.undefined;
  }
}

export function writeImageTransfer(m: MeterTruth, attr: number, v: DlmsData): number {
  if (attr !== 5) return Result.denied;
  if (v.type !== 'boolean') return Result.typeUnmatched;
  stateOf(m).imageTransferEnabled = v.value;
  return Result.success;
}

export function readImageTransfer(m: MeterTruth, attr: number, now: Instant): DlmsData | number {
  settleImage(m, now);
  const img = m.state?.image;
  const count = img === undefined ? 0 : blockCount(img);
  switch (attr) {
    case 2:
      return u32(img?.status === 1 ? img.blockSize : behaviourOf(m).imageBlockSize);
    case 3: {
      const bytes = new Uint8Array(Math.ceil(count / 8));
      for (const b of img?.blocks ?? []) bytes[b >> 3] = bytes[b >> 3]! | (0x80 >> (b & 7));
      return { type: 'bit-string', value: { length: count, bytes } };
    }
    case 4: {
      let n = 0;
      while (img?.blocks.has(n)) n++;
      return u32(n);
    }
    case 5:
      return { type: 'boolean', value: m.state?.imageTransferEnabled ?? true };
    case 6:
      return { type: 'enum', value: img?.status ?? 0 };
    case 7: {
      if (img === undefined || img.status < 3 || img.status === 4 || !img.verifies)
        return { type: 'array', value: [] };
      const whole = assembled(img);
      return {
        type: 'array',
        value: [
          {
            type: 'structure',
            value: [u32(img.size), octets(text(img.identifier)), octets(whole.slice(whole.length - 32))],
          },
        ],
      };
    }
    default:
      return Result.undefined;
  }
}
