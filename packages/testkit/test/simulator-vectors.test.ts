// The simulator's self-test on the reference vectors: a simulated meter takes the DLMS UA
// requests byte for byte (the same vectors `hes dlms decode` and the dlms tests read) and
// answers them in well-formed APDUs.
import { decodeAare, decodeRlre, decodeXdlmsApdu, fromHex, ServerSession } from '@openhes/dlms';
import { CounterStore, servedSession, Truth } from '@openhes/simulator';
import { describe, expect, it } from 'vitest';
import { apduVectors, vectorNamed } from '../src/vectors.ts';

const START = Date.UTC(2026, 5, 10);

function publicSession(): ServerSession {
  const truth = new Truth({ seed: 7, startAt: START, consumers: 1 });
  const served = servedSession(truth, 0, { now: () => START }, new CounterStore());
  return new ServerSession({ ...served, clientSap: 16 });
}

function request(name: string): Uint8Array {
  return fromHex(vectorNamed(apduVectors, name).hex);
}

describe('a simulated meter answers the DLMS UA vectors', () => {
  it('associates, answers a GET and releases', () => {
    const session = publicSession();

    const aare = session.receive(request('AARQ, LN referencing, no ciphering, no authentication'));
    expect(aare.send).toHaveLength(1);
    expect(decodeAare(aare.send[0]!).result).toBe(0);

    const get = session.receive(request('GetRequestNormal'));
    expect(get.send).toHaveLength(1);
    const response = decodeXdlmsApdu(get.send[0]!);
    expect(response.type).toBe('get-response');

    const rlre = session.receive(request('RLRQ, reason normal'));
    expect(rlre.send).toHaveLength(1);
    expect(() => decodeRlre(rlre.send[0]!)).not.toThrow();
  });
});
