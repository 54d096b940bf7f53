import { describe, expect, it } from 'vitest';
import { decodeAare, encodeAare } from '../../src/acse/index.ts';
import { concatBytes, fromHex, toHex } from '../../src/bytes.ts';
import { SessionWarning } from '../../src/session/index.ts';
import { CLOCK, makePair, SERVER_TITLE } from './fixtures.ts';

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

describe('a DataNotification in the middle of an exchange', () => {
  for (const policy of ['none', 'auth+enc'] as const) {
    it(`is delivered as a notification event and the exchange keeps waiting (policy ${policy})`, () => {
      const pair = makePair({ server: { policy } });
      pair.ok(pair.client.associate());
      const ex = pair.client.get(CLOCK);
      const push = pair.server.notify({ body: { type: 'unsigned', value: 7 }, longInvokeId: 5 }).send[0]!;
      const answer = pair.server.receive(ex.send).send[0]!;
      const first = ex.receive(push);
      expect(first.status).toBe('wait');
      const notes = first.events.filter((e) => e.type === 'notification');
      expect(notes).toHaveLength(1);
      expect(notes[0]).toMatchObject({ apdu: { type: 'data-notification', notificationBody: { value: 7 } } });
      const second = ex.receive(answer);
      expect(second.status).toBe('done');
    });
  }
});
