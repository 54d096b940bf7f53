import { encodeXdlmsApdu, type GeneralBlockTransfer, maxBlockData, splitIntoBlocks } from '../apdu/index.ts';
import { concatBytes } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';

/**
 * General-block-transfer in lock-step: each side numbers its own blocks from 1; a receiver
 * acknowledges every non-last block with an empty block whose block-number-ack is the number
 * received; a sender sends the next block(s) of its stream when acknowledged, up to the
 * peer's window. The last block of a stream has last-block set.
 */
export function gbtBlock(
  blockNumber: number,
  blockNumberAck: number,
  blockData: Uint8Array,
  lastBlock: boolean,
  window = 1,
): Uint8Array {
  const apdu: GeneralBlockTransfer = {
    type: 'general-block-transfer',
    lastBlock,
    streaming: false,
    window,
    blockNumber,
    blockNumberAck,
    blockData,
  };
  return encodeXdlmsApdu(apdu);
}

/** Outgoing stream of one (possibly ciphered) APDU cut into GBT blocks. */
export class GbtSender {
  private readonly blocks: Uint8Array[];
  private sent = 0;

  constructor(apdu: Uint8Array, maxPduSize: number) {
    this.blocks = splitIntoBlocks(apdu, maxBlockData('general-block-transfer', maxPduSize));
  }

  get done(): boolean {
    return this.sent >= this.blocks.length;
  }

  get lastSent(): number {
    return this.sent;
  }

  /** The next `window` blocks (at least one), acknowledging `ack`. */
  next(ack: number, window: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    const n = Math.max(1, window);
    while (out.length < n && this.sent < this.blocks.length) {
      const data = this.blocks[this.sent]!;
      this.sent++;
      out.push(gbtBlock(this.sent, ack, data, this.sent === this.blocks.length));
    }
    return out;
  }
}

/** Incoming stream; `add` returns the whole APDU once the last block arrived. */
export class GbtReceiver {
  private readonly parts: Uint8Array[] = [];
  private expected = 1;

  get lastReceived(): number {
    return this.expected - 1;
  }

  add(block: GeneralBlockTransfer): Uint8Array | undefined {
    if (block.blockNumber !== this.expected) {
      throw new DlmsError(
        DlmsErrorCode.Protocol,
        `general-block-transfer block ${block.blockNumber} where ${this.expected} was due`,
        { detail: { blockNumber: block.blockNumber, expected: this.expected } },
      );
    }
    this.expected++;
    this.parts.push(block.blockData);
    return block.lastBlock ? concatBytes(...this.parts) : undefined;
  }
}
