export * from './address.ts';
export * from './connection.ts';
export * from './control.ts';
export * from './crc.ts';
export * from './deframer.ts';
export * from './frame.ts';
export * from './llc.ts';
export * from './parameters.ts';
