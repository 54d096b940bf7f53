export * from './deframer.ts';
export * from './pdu.ts';
