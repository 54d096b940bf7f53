import type { ByteReader, ByteWriter } from '../bytes.ts';
import type { ApduBase } from './tags.ts';
import { checkInt, readOctetString, writeOctetString, writeU16 } from './wire.ts';

/** block-control bits: b7 last-block, b6 streaming, b0–b5 window. */
export const BlockControl = { lastBlock: 0x80, streaming: 0x40, windowMask: 0x3f } as const;

/**
 * General-Block-Transfer ::= SEQUENCE { block-control Unsigned8, block-number Unsigned16,
 * block-number-ack Unsigned16, block-data OCTET STRING }.
 */
export interface GeneralBlockTransfer extends ApduBase {
  type: 'general-block-transfer';
  lastBlock: boolean;
  streaming: boolean;
  /** 0..63: blocks the sender can receive in one window. */
  window: number;
  blockNumber: number;
  blockNumberAck: number;
  blockData: Uint8Array;
}

/** Reads the body after the 0xE0 tag. */
export function decodeGeneralBlockTransfer(r: ByteReader): GeneralBlockTransfer {
  const bc = r.u8();
  const blockNumber = r.u16();
  const blockNumberAck = r.u16();
  return {
    type: 'general-block-transfer',
    lastBlock: (bc & BlockControl.lastBlock) !== 0,
    streaming: (bc & BlockControl.streaming) !== 0,
    window: bc & BlockControl.windowMask,
    blockNumber,
    blockNumberAck,
    blockData: readOctetString(r, 'block-data'),
  };
}

export function encodeGeneralBlockTransfer(w: ByteWriter, v: GeneralBlockTransfer): void {
  const window = checkInt(v.window, 0, BlockControl.windowMask, 'window');
  w.u8((v.lastBlock ? BlockControl.lastBlock : 0) | (v.streaming ? BlockControl.streaming : 0) | window);
  writeU16(w, v.blockNumber, 'block-number');
  writeU16(w, v.blockNumberAck, 'block-number-ack');
  writeOctetString(w, v.blockData);
}
