/**
 * The parts of @openhes/dlms that its index does not export yet (hdlc/, wrapper/).
 * Interim: point these at '@openhes/dlms' once packages/dlms/src/index.ts exports them.
 */

export * from '@openhes/dlms';
export * from '../../dlms/src/hdlc/index.ts';
export * from '../../dlms/src/wrapper/index.ts';
