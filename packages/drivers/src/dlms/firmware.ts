import type { Instant } from '@openhes/core';
import {
  ClassId,
  decodeExecutionTime,
  decodeImageToActivateInfo,
  decodeTransferredBlocks,
  type ExecutionTime,
  encodeExecutionTime,
  encodeImageBlockTransfer,
  encodeImageTransferInitiate,
} from '@openhes/cosem';
import type { CosemDateTime, DlmsData } from '@openhes/dlms';
import type {
  FirmwareTransfer,
  ImageBlock,
  ImageIdentity,
  ImageTransferState,
  ImageTransferStatus,
} from '../driver.ts';
import { DriverError, DriverErrorCode } from '../errors.ts';
import type { DlmsClientPort } from './client-port.ts';
import {
  attributeRange,
  type DlmsOperation,
  decoded,
  encoded,
  invoke,
  mismatch,
  protocol,
  readAll,
  write,
} from './ops.ts';

/** Image block arithmetic (cosem's), for layers that import drivers but not cosem. */
export { imageBlockCount, missingBlocks } from '@openhes/cosem';

const IMAGE = ClassId.ImageTransfer;
const SCHEDULE = ClassId.SingleActionSchedule;
/** single-action schedule execution_time. */
const EXECUTION_TIME = 4;
const ENABLED = 5;
const STATUS = 6;
const METHOD = { initiate: 1, block: 2, verify: 3, activate: 4 } as const;

/**
 * Bytes an image_block_transfer ACTION-Request takes besides the block value: tag, invoke id,
 * class, logical name, method, data flag (13), structure of block number and octet-string with
 * a length of up to 3 bytes (11).
 */
export const BLOCK_ACTION_OVERHEAD = 24;
/** Ciphering adds tag, length, security control, invocation counter, system title and GMAC tag. */
export const CIPHER_OVERHEAD = 32;

/**
 * The largest image block that fits one ACTION-Request under the server's max receive PDU
 * size (0 means the protocol's 65,535).
 */
export function maxImageBlockSize(serverMaxPdu: number, ciphered: boolean): number {
  const pdu = serverMaxPdu === 0 ? 0xffff : serverMaxPdu;
  return Math.max(0, pdu - BLOCK_ACTION_OVERHEAD - (ciphered ? CIPHER_OVERHEAD : 0));
}

/** The active firmware identifier as text: a visible/UTF-8 string, or octets read as Latin-1; trailing NULs and blanks dropped. */
export function firmwareIdentifierText(d: DlmsData): string {
  let text: string;
  if (d.type === 'visible-string' || d.type === 'utf8-string') text = d.value;
  else if (d.type === 'octet-string') text = String.fromCharCode(...d.value);
  else throw protocol(`the active firmware identifier is a ${d.type}, not a string`);
  return text.replace(/[\0 ]+$/, '');
}

/** Where the model keeps its active firmware identifier and its image activation schedule. */
export interface FirmwareObjects {
  /** The firmware version object (class 1 / 3, value attribute 2). */
  version?: { obis: string; classId: number };
  /** The single-action schedule (class 22) that runs image_activate at its execution_time. */
  activationSchedule?: string;
  /** An instant as the meter's local date-time (the device profile's zone). */
  meterTime: (at: Instant) => CosemDateTime;
  /** A local date-time of the meter (deviation null: the model's zone) as an instant. */
  instantOf: (dt: CosemDateTime) => Instant | undefined;
  now: () => Instant;
}

/** execution_time for one concrete instant: the meter's local date and time, whole seconds. */
export function activationExecutionTime(local: CosemDateTime): ExecutionTime {
  return {
    time: { hour: local.hour, minute: local.minute, second: local.second, hundredths: 0 },
    date: { year: local.year, month: local.month, dayOfMonth: local.dayOfMonth, dayOfWeek: local.dayOfWeek },
  };
}

function integer(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  throw protocol(`${what} is not an integer`);
}

/**
 * Image transfer (class 18), step by step; temporary-failure of a method is DRIVER_TEMPORARY_FAILURE.
 * With `objects`: the active firmware identifier (readActiveFirmware) where the model names its
 * firmware version object, and a timed activation (scheduleActivation) where it has the image
 * activation schedule; each is absent otherwise.
 */
export class DlmsFirmwareTransfer implements FirmwareTransfer {
  readonly #op: DlmsOperation;
  readonly #obis: string;
  readonly #maxBlock: () => number;
  readonly readActiveFirmware: (() => Promise<string>) | undefined;
  readonly scheduleActivation: ((at: Instant) => Promise<Instant>) | undefined;
  readonly readActivationSchedule: (() => Promise<Instant | undefined>) | undefined;
  readonly cancelActivationSchedule: (() => Promise<void>) | undefined;

  /** `maxBlock` gives this session's largest block (DRIVER_STATE when no session is open). */
  constructor(op: DlmsOperation, obis: string, maxBlock: () => number, objects?: FirmwareObjects) {
    this.#op = op;
    this.#obis = obis;
    this.#maxBlock = maxBlock;
    const version = objects?.version;
    this.readActiveFirmware =
      version === undefined
        ? undefined
        : () =>
            this.#op(async (client) => {
              const [d] = await readAll(client, version.obis, version.classId, [2]);
              return decoded(() => firmwareIdentifierText(d!));
            });
    const schedule = objects?.activationSchedule;
    if (objects === undefined || schedule === undefined) {
      this.scheduleActivation = undefined;
      this.readActivationSchedule = undefined;
      this.cancelActivationSchedule = undefined;
    } else {
      this.scheduleActivation = (at) => this.#schedule(schedule, objects, at);
      this.readActivationSchedule = () =>
        this.#op(async (client) => this.#readSchedule(client, schedule, objects));
      this.cancelActivationSchedule = () =>
        this.#op(async (client) => {
          await write(client, schedule, SCHEDULE, EXECUTION_TIME, { type: 'array', value: [] });
          const left = await this.#readSchedule(client, schedule, objects);
          if (left !== undefined) throw mismatch('execution_time', [], left);
        });
    }
  }

  /** Writes execution_time = [at, whole seconds rounded up, in the meter's local time], reads it back. */
  async #schedule(obis: string, o: FirmwareObjects, at: Instant): Promise<Instant> {
    if (!Number.isFinite(at))
      throw new DriverError(DriverErrorCode.Invalid, `activation time ${String(at)} is not an instant`);
    const when = Math.ceil(at / 1000) * 1000;
    const now = o.now();
    if (when <= now)
      throw new DriverError(
        DriverErrorCode.Invalid,
        `activation time ${new Date(when).toISOString()} is not in the future`,
        { detail: { activateAt: when, now } },
      );
    const wanted = activationExecutionTime(o.meterTime(when));
    const data = encoded(() => encodeExecutionTime([wanted]));
    return this.#op(async (client) => {
      await write(client, obis, SCHEDULE, EXECUTION_TIME, data);
      const got = await this.#readSchedule(client, obis, o);
      if (got !== when) throw mismatch('execution_time', new Date(when).toISOString(), got);
      return got;
    });
  }

  /** The instant execution_time names; undefined when empty; wildcards or several entries: DRIVER_PROTOCOL. */
  async #readSchedule(
    client: DlmsClientPort,
    obis: string,
    o: FirmwareObjects,
  ): Promise<Instant | undefined> {
    const [d] = await readAll(client, obis, SCHEDULE, [EXECUTION_TIME]);
    const times = decoded(() => decodeExecutionTime(d!));
    if (times.length === 0) return undefined;
    const t = times[0]!;
    const at =
      times.length === 1
        ? o.instantOf({ ...t.date, ...t.time, hundredths: 0, deviation: null, clockStatus: 0xff })
        : undefined;
    if (at === undefined) throw protocol('the image activation schedule names no single instant');
    return at;
  }

  readImageTransfer(): Promise<ImageTransferState> {
    return this.#op(async (client) => {
      const v = await readAll(client, this.#obis, IMAGE, attributeRange(2, 7));
      const status = this.#status(v[4]!);
      return decoded(() => ({
        blockSize: integer('value' in v[0]! ? v[0].value : undefined, 'image_block_size'),
        transferredBlocks: decodeTransferredBlocks(v[1]!),
        firstMissingBlock: integer(
          'value' in v[2]! ? v[2].value : undefined,
          'image_first_not_transferred_block_number',
        ),
        enabled: v[3]!.type === 'boolean' ? v[3].value : this.#notBoolean(),
        status,
        toActivate: decodeImageToActivateInfo(v[5]!),
      }));
    });
  }

  readImageStatus(): Promise<ImageTransferStatus> {
    return this.#op(async (client) => {
      const [d] = await readAll(client, this.#obis, IMAGE, [STATUS]);
      return this.#status(d!);
    });
  }

  maxBlockSize(): number {
    return this.#maxBlock();
  }

  enableImageTransfer(enabled: boolean): Promise<void> {
    return this.#op((client) =>
      write(client, this.#obis, IMAGE, ENABLED, { type: 'boolean', value: enabled }),
    );
  }

  async initiateImage(image: ImageIdentity): Promise<void> {
    const data = encoded(() => encodeImageTransferInitiate(image.identifier, image.size));
    return this.#op(async (client) => {
      await invoke(client, this.#obis, IMAGE, METHOD.initiate, data);
    });
  }

  async transferBlock(block: ImageBlock): Promise<void> {
    const data = encoded(() => encodeImageBlockTransfer(block.number, block.value));
    return this.#op(async (client) => {
      const max = this.#maxBlock();
      if (block.value.length > max)
        throw new DriverError(
          DriverErrorCode.Invalid,
          `image block of ${block.value.length} bytes does not fit the negotiated PDU (at most ${max})`,
          { detail: { blockSize: block.value.length, maxBlockSize: max } },
        );
      await invoke(client, this.#obis, IMAGE, METHOD.block, data);
    });
  }

  verifyImage(): Promise<void> {
    return this.#method(METHOD.verify);
  }

  activateImage(): Promise<void> {
    return this.#method(METHOD.activate);
  }

  #method(method: number): Promise<void> {
    return this.#op(async (client: DlmsClientPort) => {
      await invoke(client, this.#obis, IMAGE, method);
    });
  }

  #status(d: { type: string; value?: unknown }): ImageTransferStatus {
    const s = d.value;
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 0 || s > 7)
      throw protocol(`image_transfer_status ${String(s)} outside 0..7`);
    return s as ImageTransferStatus;
  }

  #notBoolean(): never {
    throw protocol('image_transfer_enabled is not a boolean');
  }
}
