export * from './address.ts';
export * from './connection.ts';
export * from './control.ts';
export * from './crc.ts';
export * from './deframer.ts';
export * from './frame.ts';
export {
  type HdlcConnectionOptions,
  type HdlcDisconnectReason,
  type HdlcEvent,
  HdlcLinkState,
  HdlcRole,
  type HdlcStep,
} from './link-types.ts';
export * from './llc.ts';
export * from './parameters.ts';
