import {
  ClassId,
  decodeImageToActivateInfo,
  decodeTransferredBlocks,
  encodeImageBlockTransfer,
  encodeImageTransferInitiate,
} from '@openhes/cosem';
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
  protocol,
  readAll,
  write,
} from './ops.ts';

const IMAGE = ClassId.ImageTransfer;
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

function integer(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  throw protocol(`${what} is not an integer`);
}

/** Image transfer (class 18), step by step; temporary-failure of a method is DRIVER_TEMPORARY_FAILURE. */
export class DlmsFirmwareTransfer implements FirmwareTransfer {
  readonly #op: DlmsOperation;
  readonly #obis: string;
  readonly #maxBlock: () => number;

  /** `maxBlock` gives this session's largest block (DRIVER_STATE when no session is open). */
  constructor(op: DlmsOperation, obis: string, maxBlock: () => number) {
    this.#op = op;
    this.#obis = obis;
    this.#maxBlock = maxBlock;
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
