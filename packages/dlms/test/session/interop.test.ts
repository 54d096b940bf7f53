import { describe, expect, it } from 'vitest';
import { decodeAare, encodeAare } from '../../src/acse/index.ts';
import { encodeXdlmsApdu } from '../../src/apdu/index.ts';
import { concatBytes, fromHex, toHex } from '../../src/bytes.ts';
import { DlmsErrorCode } from '../../src/errors.ts';
import { CipheredApduTag, cipherApdu } from '../../src/security/index.ts';
import { SessionWarning } from '../../src/session/index.ts';
import { AK, CLOCK, makePair, SERVER_TITLE } from './fixtures.ts';

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

describe('broadcast key set (SC bit 0x40)', () => {
  const BROADCAST_KEY = fromHex('0F0E0D0C0B0A09080706050403020100');
  // A push under the broadcast key: general-glo-ciphering, SC 0x70 (auth+enc, broadcast).
  const push = cipherApdu({
    tag: CipheredApduTag.generalGloCiphering,
    securityControl: 0x70,
    systemTitle: SERVER_TITLE,
    invocationCounter: 0x1000,
    plaintext: fromHex('0F00000005000F07'),
    keys: { ek: BROADCAST_KEY, ak: AK },
  });

  it('is deciphered with the broadcast key when one is configured', () => {
    const pair = makePair({ server: { policy: 'auth+enc' }, security: { broadcastKey: BROADCAST_KEY } });
    pair.ok(pair.client.associate());
    const step = pair.client.get(CLOCK).receive(push);
    expect(step.status).toBe('wait');
    expect(step.events.some((e) => e.type === 'notification' && e.ciphered)).toBe(true);
  });

  it('without a broadcast key it is refused as Security, not tried with the unicast key', () => {
    const pair = makePair({ server: { policy: 'auth+enc' } });
    pair.ok(pair.client.associate());
    const step = pair.client.get(CLOCK).receive(push);
    expect(step.status === 'failed' && step.error.code).toBe(DlmsErrorCode.Security);
  });
});

describe('server: a request longer than its server-max-receive-pdu-size', () => {
  it('is answered with ExceptionResponse service-not-allowed / pdu-too-long', () => {
    const pair = makePair();
    pair.ok(pair.client.associate());
    const big = encodeXdlmsApdu({
      type: 'set-request',
      choice: 'normal',
      invokeIdAndPriority: 0xc1,
      cosemAttributeDescriptor: {
        classId: 1,
        instanceId: Uint8Array.of(0, 0, 128, 0, 0, 255),
        attributeId: 2,
      },
      value: { type: 'octet-string', value: new Uint8Array(600) },
    });
    const out = pair.server.receive(big).send;
    expect(out.map((b) => toHex(b))).toEqual(['D80104']);
  });
});
