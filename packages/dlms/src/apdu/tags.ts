/** First byte of a plain xDLMS APDU handled by this codec (Green Book `XDLMS-APDU` CHOICE). */
export const XdlmsTag = {
  'data-notification': 0x0f,
  'get-request': 0xc0,
  'set-request': 0xc1,
  'event-notification-request': 0xc2,
  'action-request': 0xc3,
  'get-response': 0xc4,
  'set-response': 0xc5,
  'action-response': 0xc7,
  'exception-response': 0xd8,
  'general-block-transfer': 0xe0,
} as const;
export type XdlmsTagName = keyof typeof XdlmsTag;
export type XdlmsTag = (typeof XdlmsTag)[XdlmsTagName];

/** Second byte of a GET/SET/ACTION APDU: the CHOICE inside the service. */
export const GetRequestChoice = { normal: 1, next: 2, 'with-list': 3 } as const;
export type GetRequestChoice = keyof typeof GetRequestChoice;

export const GetResponseChoice = { normal: 1, 'with-datablock': 2, 'with-list': 3 } as const;
export type GetResponseChoice = keyof typeof GetResponseChoice;

export const SetRequestChoice = {
  normal: 1,
  'with-first-datablock': 2,
  'with-datablock': 3,
  'with-list': 4,
  'with-list-and-first-datablock': 5,
} as const;
export type SetRequestChoice = keyof typeof SetRequestChoice;

export const SetResponseChoice = {
  normal: 1,
  datablock: 2,
  'last-datablock': 3,
  'last-datablock-with-list': 4,
  'with-list': 5,
} as const;
export type SetResponseChoice = keyof typeof SetResponseChoice;

export const ActionRequestChoice = {
  normal: 1,
  'next-pblock': 2,
  'with-list': 3,
  'with-first-pblock': 4,
  'with-list-and-first-pblock': 5,
  'with-pblock': 6,
} as const;
export type ActionRequestChoice = keyof typeof ActionRequestChoice;

export const ActionResponseChoice = {
  normal: 1,
  'with-pblock': 2,
  'with-list': 3,
  'next-pblock': 4,
} as const;
export type ActionResponseChoice = keyof typeof ActionResponseChoice;

/** Fields every decoded APDU may carry. */
export interface ApduBase {
  /** Bytes after a complete APDU; set only by the decoder and never encoded. */
  trailing?: Uint8Array;
}
