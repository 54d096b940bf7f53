import type { XdlmsApdu } from '../../src/apdu/index.ts';
import { ACTION_NOTIFY_FIXTURES } from './fixtures-action-notify.ts';
import { GET_SET_FIXTURES } from './fixtures-get-set.ts';

export interface ApduFixture {
  name: string;
  bytes: Uint8Array;
  apdu: XdlmsApdu;
}

/** Annotated golden APDUs, hand-assembled from the Green Book ASN.1 (provenance in each file). */
export const APDU_FIXTURES: ApduFixture[] = [...GET_SET_FIXTURES, ...ACTION_NOTIFY_FIXTURES];
