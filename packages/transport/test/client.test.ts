import { DlmsError, DlmsErrorCode } from '@openhes/dlms';
import {
  type Cleanups,
  connectTestClient,
  LOOPBACK_COMBOS,
  type LoopbackKind,
  type LoopbackLink,
  startTestMeter,
  testClientOptions,
} from '@openhes/testkit/loopback';
import {
  AK,
  CLIENT_TITLE,
  CLOCK,
  COUNTER,
  DISCONNECT,
  EK,
  ENERGY,
  EXPORT_ENERGY,
  VOLTAGE,
} from '@openhes/testkit/meters';
import { afterEach, describe, expect, it } from 'vitest';
import { DlmsClient, type DlmsClientOptions, type FrameTrace, listenTcp, listenUdp } from '../src/index.ts';

const cleanups: Cleanups = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const startMeter = (transport: LoopbackKind, link: LoopbackLink) => startTestMeter(transport, link, cleanups);
const clientOptions = testClientOptions;
const connect = (options: DlmsClientOptions) => connectTestClient(options, cleanups);
const combos = LOOPBACK_COMBOS;

describe.each(combos)('DlmsClient over %s/%s, authentication %s', (transport, link, auth) => {
  it('reads, writes, acts, releases', async () => {
    const { server, meter } = await startMeter(transport, link);
    const warnings: string[] = [];
    const client = await connect({
      ...clientOptions(transport, server.port, link, auth),
      onWarning: (w) => warnings.push(w.code),
    });
    expect(client.associated).toBe(true);

    const clock = await client.get(CLOCK, 8, 2);
    expect(clock.type).toBe('octet-string');
    expect(await client.get(ENERGY, 3, 2)).toEqual({ type: 'double-long-unsigned', value: 12_345_678 });

    const many = await client.getMany([
      { obis: ENERGY, classId: 3, attr: 3 },
      { obis: VOLTAGE, classId: 3, attr: 2 },
      { obis: '1.0.99.99.99.255', classId: 3, attr: 2 },
    ]);
    expect(many[0]).toMatchObject({ ok: true });
    expect(many[1]).toEqual({ ok: true, value: { type: 'long-unsigned', value: 2301 } });
    expect(many[2]).toMatchObject({ ok: false, resultName: 'object-undefined' });

    if (auth === 'none') {
      const e = await client.get(EXPORT_ENERGY, 3, 2).catch((x: unknown) => x);
      expect((e as DlmsError).code).toBe(DlmsErrorCode.AccessResult);
      expect((e as DlmsError).detail?.resultName).toBe('read-write-denied');
      const a = await client.action(DISCONNECT, 70, 1).catch((x: unknown) => x);
      expect((a as DlmsError).code).toBe(DlmsErrorCode.AccessResult);
    } else {
      expect(await client.get(EXPORT_ENERGY, 3, 2)).toEqual({ type: 'double-long-unsigned', value: 4321 });
      await client.set(CLOCK, 8, 3, { type: 'long', value: -60 });
      expect(await client.get(CLOCK, 8, 3)).toEqual({ type: 'long', value: -60 });
    }
    if (auth === 'hls-gmac') {
      await client.action(DISCONNECT, 70, 1);
      expect(meter.outputState).toBe(false);
      expect(await client.get(DISCONNECT, 70, 3)).toEqual({ type: 'enum', value: 0 });
    }
    await client.release();
    expect(client.associated).toBe(false);
    await client.close();
    expect(client.link.closed).toBe(true);
    expect(warnings).toEqual([]);
  });
});

describe('DlmsClient security and errors', () => {
  it('starts at the given invocation counter and reports each next value', async () => {
    const { server, meter } = await startMeter('tcp', 'wrapper');
    const seen: number[] = [];
    const options = clientOptions('tcp', server.port, 'wrapper', 'hls-gmac');
    const client = await connect({
      ...options,
      security: {
        systemTitle: CLIENT_TITLE,
        ek: EK,
        ak: AK,
        invocationCounter: 1000,
        onCounter: (n) => seen.push(n),
      },
    });
    await client.get(CLOCK, 8, 2);
    await client.end();
    expect(seen[0]).toBe(1001);
    expect(seen.at(-1)).toBe(1000 + seen.length);
    const pub = await connect(clientOptions('tcp', server.port, 'wrapper', 'none'));
    const last = await pub.get(COUNTER, 1, 2);
    expect(last).toEqual({ type: 'double-long-unsigned', value: seen.at(-1)! - 1 });
    expect(meter.counters.lastReceived('4D4D4D0000000001')).toBe(seen.at(-1)! - 1);
  });

  it('reports each counter received and refuses one at or below lastReceived as Replay', async () => {
    const { server, meter } = await startMeter('tcp', 'wrapper');
    const security = { systemTitle: CLIENT_TITLE, ek: EK, ak: AK };
    const options = clientOptions('tcp', server.port, 'wrapper', 'hls-gmac');
    const received: number[] = [];
    const first = await connect({
      ...options,
      security: { ...security, onReceived: (n) => received.push(n) },
    });
    await first.get(CLOCK, 8, 2);
    await first.end();
    expect(received.length).toBeGreaterThan(1);
    expect(received).toEqual([...received].sort((a, b) => a - b));
    const last = received.at(-1)!;
    expect(last).toBe(meter.counters.peekNextToSend - 1);
    const again: number[] = [];
    const second = await connect({
      ...options,
      security: {
        ...security,
        invocationCounter: 1000,
        lastReceived: last,
        onReceived: (n) => again.push(n),
      },
    });
    await second.get(CLOCK, 8, 2);
    await second.end();
    expect(again[0]).toBeGreaterThan(last);
    const ahead = meter.counters.peekNextToSend + 100;
    const e = await DlmsClient.connect({
      ...options,
      security: { ...security, invocationCounter: 2000, lastReceived: ahead },
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DlmsError);
    expect(e).toMatchObject({
      code: DlmsErrorCode.Replay,
      retryable: false,
      detail: { lastReceived: ahead },
    });
  });

  it('rejects a wrong LLS password with AssociationRejected and a diagnostic', async () => {
    const { server } = await startMeter('tcp', 'wrapper');
    const options = clientOptions('tcp', server.port, 'wrapper', 'low');
    const e = await DlmsClient.connect({
      ...options,
      association: { authentication: 'low', password: 'wrong' },
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DlmsError);
    expect((e as DlmsError).code).toBe(DlmsErrorCode.AssociationRejected);
    expect((e as DlmsError).detail?.diagnostic).toBeDefined();
  });

  it('fails HLS-GMAC with the wrong key', async () => {
    const { server } = await startMeter('tcp', 'hdlc');
    const options = clientOptions('tcp', server.port, 'hdlc', 'hls-gmac');
    const e = await DlmsClient.connect({
      ...options,
      security: { systemTitle: CLIENT_TITLE, ek: EK, ak: EK },
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DlmsError);
    expect([
      DlmsErrorCode.AuthenticationFailed,
      DlmsErrorCode.AssociationRejected,
      DlmsErrorCode.ServiceError,
    ]).toContain((e as DlmsError).code);
  });

  it('a refused connection is a Transport error with reason refused', async () => {
    const probe = await listenTcp({ port: 0 }, () => {});
    const port = probe.port;
    await probe.close();
    const e = await DlmsClient.connect(clientOptions('tcp', port, 'wrapper', 'none')).catch(
      (x: unknown) => x,
    );
    expect((e as DlmsError).code).toBe(DlmsErrorCode.Transport);
    expect((e as DlmsError).detail?.reason).toBe('refused');
  });

  it.each([
    ['tcp', 'wrapper'],
    ['udp', 'wrapper'],
    ['tcp', 'hdlc'],
  ] as const)('a %s/%s server that never answers is a Timeout', async (transport, link) => {
    const silent =
      transport === 'tcp' ? await listenTcp({ port: 0 }, () => {}) : await listenUdp({ port: 0 }, () => {});
    cleanups.push(() => silent.close());
    const options = clientOptions(transport, silent.port, link, 'none');
    const e = await DlmsClient.connect({
      ...options,
      responseTimeoutMs: 30,
      ...(link === 'hdlc'
        ? { link: { kind: 'hdlc', clientAddress: 16, serverAddress: { logical: 1 }, maxRetries: 1 } }
        : {}),
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DlmsError);
    expect((e as DlmsError).code).toBe(DlmsErrorCode.Timeout);
  });

  it('traces every frame both ways', async () => {
    const { server } = await startMeter('tcp', 'hdlc');
    const frames: FrameTrace[] = [];
    const client = await connect({
      ...clientOptions('tcp', server.port, 'hdlc', 'none'),
      trace: (f) => frames.push(f),
    });
    await client.get(CLOCK, 8, 2);
    await client.end();
    // SNRM, AARQ, GET, RLRQ, DISC out; UA, AARE, GET response, RLRE, UA in.
    expect(frames.filter((f) => f.direction === 'out').length).toBe(5);
    expect(frames.filter((f) => f.direction === 'in').length).toBe(5);
    expect(frames.every((f) => f.bytes[0] === 0x7e && f.link === 'hdlc')).toBe(true);
  });

  it('serves many concurrent clients on one listening socket', async () => {
    const { server } = await startMeter('tcp', 'wrapper');
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        // One system title per client: the meter keeps a replay guard per title.
        const systemTitle = Uint8Array.of(0x4d, 0x4d, 0x4d, 0, 0, 0, 1, i);
        const c = await DlmsClient.connect({
          ...clientOptions('tcp', server.port, 'wrapper', 'hls-gmac'),
          security: { systemTitle, ek: EK, ak: AK },
        });
        const v = await c.get(ENERGY, 3, 2);
        await c.end();
        return v;
      }),
    );
    expect(results.every((v) => v.type === 'double-long-unsigned')).toBe(true);
  });
});
