import { concatBytes } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';

/**
 * LLC header in front of the APDU in I and UI frames (IEC 62056-46 over IEC 8802-2):
 * destination LSAP 0xE6, source LSAP 0xE6 (command, client → server) or 0xE7
 * (response, server → client), quality 0x00. Only the first segment of an APDU carries it.
 */
export const LlcDirection = { command: 'command', response: 'response' } as const;
export type LlcDirection = (typeof LlcDirection)[keyof typeof LlcDirection];

export const LLC_COMMAND: readonly number[] = [0xe6, 0xe6, 0x00];
export const LLC_RESPONSE: readonly number[] = [0xe6, 0xe7, 0x00];
export const LLC_LENGTH = 3;

export function addLlc(apdu: Uint8Array, direction: LlcDirection): Uint8Array {
  return concatBytes(Uint8Array.from(direction === 'command' ? LLC_COMMAND : LLC_RESPONSE), apdu);
}

/** Splits off the LLC header; either direction is accepted and reported. */
export function stripLlc(data: Uint8Array): { direction: LlcDirection; apdu: Uint8Array } {
  if (data.length >= LLC_LENGTH && data[0] === 0xe6 && data[2] === 0x00) {
    if (data[1] === 0xe6) return { direction: 'command', apdu: data.subarray(LLC_LENGTH) };
    if (data[1] === 0xe7) return { direction: 'response', apdu: data.subarray(LLC_LENGTH) };
  }
  throw new DlmsError(DlmsErrorCode.Malformed, `LLC header E6 E6/E7 00 missing before the APDU`, {
    offset: 0,
  });
}
