export { responseTimeout } from './base.ts';
export * from './hdlc-link.ts';
export * from './types.ts';
export * from './wrapper-link.ts';
