import { conformanceFromNames } from '@openhes/dlms';

/** What the simulated meters grant in the AARE and report in xDLMS_context_info. */
export const SERVER_CONFORMANCE = conformanceFromNames([
  'general-protection',
  'general-block-transfer',
  'block-transfer-with-get-or-read',
  'block-transfer-with-set-or-write',
  'block-transfer-with-action',
  'multiple-references',
  'data-notification',
  'get',
  'set',
  'selective-access',
  'action',
]);

/** server-max-receive-pdu-size of the simulated meters: small enough to exercise block transfer. */
export const METER_MAX_PDU = 1024;
