import { describe, expect, it } from 'vitest';
import { decodeAare, encodeAare } from '../../src/acse/index.ts';
import { concatBytes, fromHex, toHex } from '../../src/bytes.ts';
import { SessionWarning } from '../../src/session/index.ts';
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

describe('AARE extras from real meters', () => {
  it('unknown fields, trailing bytes after the AARE and after the InitiateResponse: associated with warnings', () => {
    const pair = makePair();
    const ex = pair.client.associate();
    const aare = decodeAare(pair.server.receive(ex.send).send[0]!);
    const quirky = encodeAare({
      ...aare,
      userInformation: concatBytes(aare.userInformation!, fromHex('0000')),
      unknownFields: [fromHex('8C0101')],
      trailing: fromHex('00'),
    });
    const step = ex.receive(quirky);
    expect(step.status).toBe('done');
    const warnings = step.events.filter(
      (e) => e.type === 'warning' && e.code === SessionWarning.TrailingBytes,
    );
    expect(warnings).toHaveLength(2);
    expect(pair.client.state).toBe('associated');
  });
});
