import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/bytes.ts';
import { makePair, SERVER_TITLE } from './fixtures.ts';

// Provenance: simulator (ServerSession) on an in-memory loop; checks of behaviour the Green
// Book requires of a client that real meters rely on.

describe('security policy applied to the AARE', () => {
  it('under an encryption-only policy the ciphered AARE advances the replay guard', () => {
    const pair = makePair({ server: { policy: 'enc' } });
    pair.ok(pair.client.associate());
    expect(pair.clientCounters.lastReceived(toHex(SERVER_TITLE))).toBeDefined();
  });
});
