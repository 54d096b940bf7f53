/**
 * The parts of @openhes/dlms that its index does not export yet (hdlc/, wrapper/, session/).
 * Interim: point these at '@openhes/dlms' once packages/dlms/src/index.ts exports them.
 */
export * from '../../dlms/src/hdlc/index.ts';
export * from '../../dlms/src/session/index.ts';
export * from '../../dlms/src/wrapper/index.ts';
