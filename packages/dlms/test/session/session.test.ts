import { describe, expect, it } from 'vitest';
import { type DlmsData, dataToBytes } from '../../src/axdr/index.ts';
import { DlmsError, DlmsErrorCode } from '../../src/errors.ts';
import type { SessionEvent } from '../../src/session/index.ts';
import {
  AK,
  CLOCK,
  DISCONNECT_STATE,
  ECHO_DATA,
  ECHO_METHOD,
  EK,
  entryDescriptor,
  makePair,
  type PairOptions,
  PROFILE_BUFFER,
  PROFILE_ROWS,
  profileRows,
  REGISTER_SCALER,
  REGISTER_VALUE,
  REMOTE_DISCONNECT,
} from './fixtures.ts';

function associated(options: PairOptions = {}) {
  const pair = makePair(options);
  pair.ok(pair.client.associate());
  expect(pair.client.state).toBe('associated');
  return pair;
}

const bigValue = (n: number): DlmsData => ({
  type: 'octet-string',
  value: new Uint8Array(n).map((_, i) => i),
});

function warnings(events: SessionEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'warning' ? [e.code] : []));
}

describe('association', () => {
  it('no authentication: negotiates conformance (AND) and PDU size', () => {
    const pair = makePair({ serverConformance: ['get', 'set', 'action', 'block-transfer-with-get-or-read'] });
    const info = pair.ok(pair.client.associate());
    expect(info.serverMaxReceivePduSize).toBe(512);
    expect(info.conformance.get).toBe(true);
    expect(info.conformance['multiple-references']).toBe(false);
    expect(info.conformance['general-block-transfer']).toBe(false);
  });

  it('LLS with the right password associates, a wrong one is rejected with authentication-failure', () => {
    const password = new TextEncoder().encode('12345678');
    const good = makePair({ server: { authentication: 'low', password } });
    good.ok(good.client.associate());
    const bad = makePair({
      server: { authentication: 'low', password },
      client: { password: new TextEncoder().encode('00000000') },
    });
    const r = bad.run(bad.client.associate());
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(DlmsErrorCode.AssociationRejected);
    expect(r.error.detail?.diagnostic).toBe('authentication-failure');
    expect(bad.client.state).toBe('idle');
  });

  it('wrong application context (ciphering expected) is rejected with its diagnostic', () => {
    const pair = makePair({ server: { policy: 'auth+enc' }, security: { policy: 'none' } });
    const r = pair.run(pair.client.associate());
    expect(r.ok ? undefined : r.error.detail?.diagnostic).toBe('application-context-name-not-supported');
  });

  it('DLMS version below 6 is rejected with a ConfirmedServiceError initiate error', () => {
    const pair = makePair({ client: { dlmsVersion: 5 } });
    const r = pair.run(pair.client.associate());
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(DlmsErrorCode.AssociationRejected);
    expect(r.error.detail?.confirmedServiceError).toEqual({
      service: 'initiateError',
      serviceError: 'initiate',
      value: 1,
    });
  });

  it('a client PDU size below 12 is rejected (pdu-size-too-short)', () => {
    const pair = makePair({ client: { maxReceivePduSize: 11 } });
    const r = pair.run(pair.client.associate());
    expect(r.ok ? undefined : r.error.detail?.confirmedServiceError).toMatchObject({ value: 3 });
  });

  it('HLS-GMAC: pass 3/4 succeed with the right keys', () => {
    const pair = associated({ server: { authentication: 'hls-gmac', key: 'manager' } });
    expect(pair.server.state).toBe('associated');
    expect(pair.ok(pair.client.get(CLOCK)).type).toBe('octet-string');
  });

  it('HLS-GMAC: a wrong authentication key fails pass 3 and leaves the server unassociated', () => {
    const pair = makePair({
      server: { authentication: 'hls-gmac', key: 'manager' },
      security: { keys: { ek: EK, ak: AK.map((b) => b ^ 1) } },
    });
    const r = pair.run(pair.client.associate());
    expect(r.ok ? undefined : r.error.code).toBe(DlmsErrorCode.AuthenticationFailed);
    expect(pair.server.state).toBe('idle');
    expect(pair.client.state).toBe('idle');
  });

  it('HLS-GMAC: until pass 3 the server denies every other access', () => {
    const pair = makePair({ server: { authentication: 'hls-gmac', key: 'manager' } });
    const ex = pair.client.associate();
    const aare = pair.server.receive(ex.send).send[0]!;
    expect(pair.server.state).toBe('hls-pending');
    const step = ex.receive(aare);
    expect(step.status).toBe('send');
    // A GET sneaked in before pass 3 (same invoke-id slot is irrelevant here).
    const sneak = Uint8Array.of(0xc0, 0x01, 0xc5, 0x00, 0x08, 0, 0, 1, 0, 0, 255, 0x02, 0x00);
    const answer = pair.server.receive(sneak).send[0]!;
    expect(Array.from(answer)).toEqual([0xc4, 0x01, 0xc5, 0x01, 0x03]);
  });

  for (const style of ['glo', 'ded', 'general-glo'] as const) {
    it(`HLS-GMAC with auth+enc ciphering (${style}): every service APDU is ciphered`, () => {
      const pair = associated({
        server: { authentication: 'hls-gmac', key: 'manager', policy: 'auth+enc' },
        security: { style },
      });
      expect(pair.ok(pair.client.get(REGISTER_VALUE))).toEqual({ type: 'double-long-unsigned', value: 5009 });
      pair.ok(pair.client.set(DISCONNECT_STATE, { type: 'enum', value: 2 }));
      pair.ok(pair.client.action(REMOTE_DISCONNECT, { type: 'integer', value: 0 }));
      const rows = pair.ok(pair.client.get(PROFILE_BUFFER));
      expect(rows).toEqual(profileRows());
      const services = pair.wire.toServer.slice(1).map((b) => b[0]);
      for (const tag of services) expect([0xc0, 0xc1, 0xc3, 0xe0]).not.toContain(tag);
      expect(
        pair.events.some((e) => e.type === 'trace' && e.layer === 'ciphered' && e.direction === 'rx'),
      ).toBe(true);
    });
  }

  it('auth-only and enc-only policies work end to end', () => {
    for (const policy of ['auth', 'enc'] as const) {
      const pair = associated({ server: { policy } });
      expect(pair.ok(pair.client.get(CLOCK)).type).toBe('octet-string');
    }
  });

  it('a replayed ciphered request is refused with an invocation-counter ExceptionResponse', () => {
    const pair = associated({ server: { policy: 'auth+enc' } });
    pair.ok(pair.client.get(CLOCK));
    const replay = pair.wire.toServer.at(-1)!;
    const step = pair.server.receive(replay);
    expect(step.send[0]![0]).toBe(0xd8);
    expect(step.send[0]![2]).toBe(6);
    const err = step.events.find((e) => e.type === 'error');
    expect(err?.type === 'error' ? err.error.code : undefined).toBe(DlmsErrorCode.Replay);
  });

  it('a replayed ciphered response is refused by the client (DLMS_REPLAY)', () => {
    const pair = associated({ server: { policy: 'auth+enc' } });
    pair.ok(pair.client.get(CLOCK));
    const old = pair.wire.toClient.at(-1)!;
    const ex = pair.client.get(CLOCK);
    const step = ex.receive(old);
    expect(step.status === 'failed' ? step.error.code : step.status).toBe(DlmsErrorCode.Replay);
  });

  it('release answers RLRE and ends the association on both sides', () => {
    const pair = associated();
    pair.ok(pair.client.release());
    expect(pair.client.state).toBe('released');
    expect(pair.server.state).toBe('idle');
    expect(warnings(pair.events)).toEqual([]);
  });
});

describe('services', () => {
  it('GET normal, SET normal, ACTION normal on clock, register and disconnect control', () => {
    const pair = associated();
    expect(pair.ok(pair.client.get(REGISTER_SCALER))).toEqual({
      type: 'structure',
      value: [
        { type: 'integer', value: 0 },
        { type: 'enum', value: 30 },
      ],
    });
    const t: DlmsData = {
      type: 'octet-string',
      value: Uint8Array.of(7, 232, 6, 1, 255, 12, 0, 0, 0, 0x80, 0, 0),
    };
    pair.ok(pair.client.set(CLOCK, t));
    expect(pair.ok(pair.client.get(CLOCK))).toEqual(t);
    expect(pair.ok(pair.client.action(REMOTE_DISCONNECT, { type: 'integer', value: 0 }))).toBeUndefined();
    expect(pair.ok(pair.client.get(DISCONNECT_STATE))).toEqual({ type: 'enum', value: 0 });
  });

  it('access denied: GET gives AccessResult read-write-denied; ACTION in public is denied', () => {
    const pair = associated({ server: { key: 'public' } });
    const r = pair.run(pair.client.get(REGISTER_SCALER));
    expect(r.ok ? undefined : r.error.code).toBe(DlmsErrorCode.AccessResult);
    expect(r.ok ? undefined : r.error.detail?.resultName).toBe('read-write-denied');
    const a = pair.run(pair.client.action(REMOTE_DISCONNECT, { type: 'integer', value: 0 }));
    expect(a.ok ? undefined : a.error.detail?.resultName).toBe('read-write-denied');
  });

  it('GET with-list gives per-attribute results, including denied and undefined ones', () => {
    const pair = associated({ server: { key: 'public' } });
    const results = pair.ok(
      pair.client.getList([
        REGISTER_VALUE,
        REGISTER_SCALER,
        { classId: 1, obis: '0.0.1.2.3.255', attributeId: 2 },
      ]),
    );
    expect(results[0]).toEqual({ ok: true, value: { type: 'double-long-unsigned', value: 5009 } });
    expect(results[1]).toMatchObject({ ok: false, resultName: 'read-write-denied' });
    expect(results[2]).toMatchObject({ ok: false, resultName: 'object-undefined' });
  });

  it('GET with-list is split to fit the negotiated PDU', () => {
    const pair = associated({ server: { maxReceivePduSize: 64 } });
    const refs = Array.from({ length: 20 }, () => REGISTER_VALUE);
    const before = pair.wire.toServer.length;
    const results = pair.ok(pair.client.getList(refs));
    expect(results).toHaveLength(20);
    expect(results.every((r) => r.ok)).toBe(true);
    const requests = pair.wire.toServer.slice(before);
    expect(requests.length).toBeGreaterThan(3);
    for (const req of requests) expect(req.length).toBeLessThanOrEqual(64);
  });

  it('one attribute goes as GET-Request-Normal even with multiple-references negotiated', () => {
    const pair = associated();
    expect(pair.client.info?.conformance['multiple-references']).toBe(true);
    const before = pair.wire.toServer.length;
    expect(pair.ok(pair.client.getList([REGISTER_VALUE]))).toEqual([
      { ok: true, value: { type: 'double-long-unsigned', value: 5009 } },
    ]);
    const denied = associated({ server: { key: 'public' } });
    expect(denied.ok(denied.client.getList([REGISTER_SCALER]))).toMatchObject([
      { ok: false, resultName: 'read-write-denied' },
    ]);
    expect(pair.ok(pair.client.getList([REGISTER_VALUE, CLOCK])).map((r) => r.ok)).toEqual([true, true]);
    const requests = pair.wire.toServer.slice(before).map((b) => [b[0], b[1]]);
    expect(requests).toEqual([
      [0xc0, 1],
      [0xc0, 3],
    ]);
  });

  it('a run of one left by the split goes as GET-Request-Normal too', () => {
    const pair = associated({ server: { maxReceivePduSize: 64 } });
    const before = pair.wire.toServer.length;
    const refs = Array.from({ length: 6 }, () => REGISTER_VALUE);
    expect(pair.ok(pair.client.getList(refs)).every((r) => r.ok)).toBe(true);
    const requests = pair.wire.toServer.slice(before);
    const counts = requests.map((b) => (b[1] === 3 ? b[3]! : 1));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(6);
    for (const b of requests) expect(b[1] === 1 || (b[1] === 3 && b[3]! > 1)).toBe(true);
    expect(requests.some((b) => b[1] === 1)).toBe(true);
  });

  it('one SET or ACTION in a list goes as the normal request', () => {
    const pair = associated();
    const before = pair.wire.toServer.length;
    pair.ok(pair.client.setList([{ ref: DISCONNECT_STATE, value: { type: 'enum', value: 2 } }]));
    const state = { classId: 70, obis: Uint8Array.of(0, 0, 96, 3, 10, 255), attributeId: 3 };
    expect(pair.model.get({}, state)).toEqual({ type: 'enum', value: 2 });
    const acted = pair.ok(
      pair.client.actionList([{ ref: ECHO_METHOD, params: { type: 'unsigned', value: 4 } }]),
    );
    expect(acted).toEqual([{ ok: true, value: { type: 'unsigned', value: 4 } }]);
    expect(pair.wire.toServer.slice(before).map((b) => [b[0], b[1]])).toEqual([
      [0xc1, 1],
      [0xc3, 1],
    ]);
  });

  it('without multiple-references a list becomes one GET per attribute', () => {
    const pair = associated({ serverConformance: ['get', 'set', 'action'] });
    const before = pair.wire.toServer.length;
    const results = pair.ok(pair.client.getList([REGISTER_VALUE, CLOCK]));
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(pair.wire.toServer.slice(before).map((b) => b[1])).toEqual([1, 1]);
  });

  it('SET with-list and ACTION with-list give per-item results', () => {
    const pair = associated();
    const sets = pair.ok(
      pair.client.setList([
        { ref: DISCONNECT_STATE, value: { type: 'enum', value: 2 } },
        { ref: { classId: 1, obis: '0.0.1.2.3.255', attributeId: 2 }, value: { type: 'null-data' } },
      ]),
    );
    expect(sets).toEqual([
      { ok: true, value: undefined },
      { ok: false, result: 4, resultName: 'object-undefined' },
    ]);
    const actions = pair.ok(
      pair.client.actionList([
        { ref: REMOTE_DISCONNECT, params: { type: 'integer', value: 0 } },
        { ref: ECHO_METHOD, params: { type: 'unsigned', value: 9 } },
      ]),
    );
    expect(actions).toEqual([
      { ok: true, value: undefined },
      { ok: true, value: { type: 'unsigned', value: 9 } },
    ]);
  });

  it('selective access reaches the object model unchanged', () => {
    const pair = associated();
    const access = entryDescriptor({ fromEntry: 10, toEntry: 12, fromSelectedValue: 1, toSelectedValue: 0 });
    const rows = pair.ok(pair.client.get({ ...PROFILE_BUFFER, access }));
    expect(rows).toEqual(profileRows(10, 12));
    expect(pair.model.lastAccess).toEqual([access]);
  });

  it('mismatched invoke-id with several requests outstanding is a protocol error', () => {
    const pair = associated();
    pair.client.get(REGISTER_VALUE);
    pair.client.abandon();
    const ex = pair.client.get(CLOCK);
    const answer = pair.server.receive(ex.send).send[0]!.slice();
    answer[2] = (answer[2]! & 0xf0) | ((answer[2]! + 1) & 0x0f);
    const step = ex.receive(answer);
    expect(step.status === 'failed' ? step.error.code : step.status).toBe(DlmsErrorCode.Protocol);
    expect(step.status === 'failed' ? step.error.detail?.outstanding : undefined).toBe(2);
  });

  it('unknown APDU tags and malformed requests are answered with ExceptionResponse', () => {
    const pair = associated();
    expect(Array.from(pair.server.receive(Uint8Array.of(0xc6, 0x01)).send[0]!)).toEqual([0xd8, 0x02, 0x02]);
    expect(Array.from(pair.server.receive(Uint8Array.of(0xc0, 0x01)).send[0]!)).toEqual([0xd8, 0x01, 0x03]);
    const fresh = makePair();
    expect(Array.from(fresh.server.receive(Uint8Array.of(0xc0, 0x01, 0xc1)).send[0]!)).toEqual([
      0xd8, 0x01, 0x01,
    ]);
  });

  it('ExceptionResponse to a request is a ServiceError', () => {
    const pair = associated();
    const ex = pair.client.get(CLOCK);
    const step = ex.receive(Uint8Array.of(0xd8, 0x01, 0x02));
    expect(step.status === 'failed' ? step.error.code : step.status).toBe(DlmsErrorCode.ServiceError);
  });
});

describe('block transfer', () => {
  it('GET of 2,880 profile rows with GetResponseWithDatablock / GetRequestNext', () => {
    const pair = associated();
    const before = pair.wire.toServer.length;
    expect(pair.ok(pair.client.get(PROFILE_BUFFER))).toEqual(profileRows());
    const requests = pair.wire.toServer.slice(before);
    expect(requests.length).toBeGreaterThan(50);
    expect(requests.slice(1).every((r) => r[0] === 0xc0 && r[1] === 2)).toBe(true);
    for (const r of pair.wire.toClient) expect(r.length).toBeLessThanOrEqual(512);
    expect(PROFILE_ROWS).toBe(2880);
  });

  it('GET of the profile with general-block-transfer when negotiated', () => {
    const pair = associated({ serverConformance: ['general-block-transfer', 'get', 'set', 'action'] });
    expect(pair.ok(pair.client.get(PROFILE_BUFFER))).toEqual(profileRows());
    expect(pair.wire.toClient.slice(1).every((r) => r[0] === 0xe0 && r.length <= 512)).toBe(true);
  });

  it('GET of the profile with GBT inside a ciphered association', () => {
    const pair = associated({
      server: { policy: 'auth+enc' },
      serverConformance: ['general-block-transfer', 'get', 'set', 'action'],
    });
    expect(pair.ok(pair.client.get(PROFILE_BUFFER))).toEqual(profileRows());
  });

  it('SET with datablocks when the value exceeds the server PDU', () => {
    const pair = associated({ server: { maxReceivePduSize: 128 } });
    const value = bigValue(1000);
    const before = pair.wire.toServer.length;
    pair.ok(pair.client.set(ECHO_DATA, value));
    const requests = pair.wire.toServer.slice(before);
    expect(requests[0]![1]).toBe(2);
    expect(requests.slice(1).every((r) => r[1] === 3)).toBe(true);
    for (const r of requests) expect(r.length).toBeLessThanOrEqual(128);
    expect(pair.ok(pair.client.get(ECHO_DATA))).toEqual(value);
  });

  it('SET and ACTION go through general-block-transfer when negotiated', () => {
    const pair = associated({
      server: { maxReceivePduSize: 128 },
      serverConformance: ['general-block-transfer', 'get', 'set', 'action'],
    });
    const value = bigValue(1000);
    pair.ok(pair.client.set(ECHO_DATA, value));
    expect(pair.ok(pair.client.get(ECHO_DATA))).toEqual(value);
    expect(pair.ok(pair.client.action(ECHO_METHOD, value))).toEqual(value);
  });

  it('ACTION with pblocks both ways (long parameters and long answer)', () => {
    const pair = associated({ server: { maxReceivePduSize: 128 }, client: { maxReceivePduSize: 200 } });
    const value = bigValue(1500);
    const before = pair.wire.toServer.length;
    expect(pair.ok(pair.client.action(ECHO_METHOD, value))).toEqual(value);
    const requests = pair.wire.toServer.slice(before);
    expect(requests[0]![1]).toBe(4);
    expect(requests.some((r) => r[1] === 6)).toBe(true);
    expect(requests.some((r) => r[1] === 2)).toBe(true);
    expect(pair.wire.toClient.some((r) => r[0] === 0xc7 && r[1] === 2)).toBe(true);
  });

  it('SET with-list splits lists and uses datablocks for an item too big alone', () => {
    const pair = associated({ server: { maxReceivePduSize: 128 } });
    const r = pair.ok(
      pair.client.setList([
        { ref: DISCONNECT_STATE, value: { type: 'enum', value: 1 } },
        { ref: ECHO_DATA, value: bigValue(400) },
      ]),
    );
    expect(r.every((x) => x.ok)).toBe(true);
    expect(pair.ok(pair.client.get(ECHO_DATA))).toEqual(bigValue(400));
    expect(dataToBytes(bigValue(400)).length).toBeGreaterThan(128);
  });
});

describe('client guards', () => {
  it('refuses a second exchange while one is open and services before association', () => {
    const pair = makePair();
    expect(() => pair.client.get(CLOCK)).toThrow(DlmsError);
    pair.client.associate();
    expect(() => pair.client.associate()).toThrow(DlmsError);
  });
});
