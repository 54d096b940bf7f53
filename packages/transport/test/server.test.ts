import {
  decodeWrapperPdu,
  decodeXdlmsApdu,
  InvocationCounterState,
  ServerSession,
  WrapperDeframer,
} from '@openhes/dlms';
import { CLOCK, ENERGY, servedBy, TestMeter } from '@openhes/testkit/meters';
import { afterEach, describe, expect, it } from 'vitest';
import { type ConnectionInfo, DlmsClient, listenTcp, listenUdp, sendPush, serveDlms } from '../src/index.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('serveDlms', () => {
  it('tells sessionFor which loopback address was dialled, so one socket serves many meters', async () => {
    const meters = new Map([
      ['127.0.0.5', new TestMeter()],
      ['127.0.0.6', new TestMeter()],
    ]);
    meters.get('127.0.0.6')!.values.set(`3/${ENERGY}/2`, { type: 'double-long-unsigned', value: 6 });
    const calls: ConnectionInfo[] = [];
    const server = await serveDlms({
      transport: 'tcp',
      host: '0.0.0.0',
      port: 0,
      link: { kind: 'wrapper' },
      sessionFor: (info) => {
        calls.push(info);
        const meter = meters.get(info.localAddress);
        return meter ? servedBy(meter) : undefined;
      },
    });
    cleanups.push(() => server.close());
    const read = async (host: string) => {
      const c = await DlmsClient.connect({
        transport: { kind: 'tcp', host, port: server.port },
        link: { kind: 'wrapper' },
      });
      const v = await c.get(ENERGY, 3, 2);
      await c.end();
      return v;
    };
    expect(await read('127.0.0.5')).toEqual({ type: 'double-long-unsigned', value: 12_345_678 });
    expect(await read('127.0.0.6')).toEqual({ type: 'double-long-unsigned', value: 6 });
    expect(calls.map((c) => [c.localAddress, c.clientSap, c.serverAddress.logical])).toEqual([
      ['127.0.0.5', 16, 1],
      ['127.0.0.6', 16, 1],
    ]);
    expect(calls[0]!.localPort).toBe(server.port);
  });

  it('does not answer for an address without a meter', async () => {
    const server = await serveDlms({
      transport: 'tcp',
      port: 0,
      link: { kind: 'wrapper' },
      sessionFor: () => undefined,
    });
    cleanups.push(() => server.close());
    const e = await DlmsClient.connect({
      transport: { kind: 'tcp', host: '127.0.0.1', port: server.port },
      link: { kind: 'wrapper' },
      responseTimeoutMs: 50,
    }).catch((x: unknown) => x);
    expect((e as { code: string }).code).toBe('DLMS_TIMEOUT');
  });

  it('serves HDLC at a fixed server address and ignores frames for others', async () => {
    const meter = new TestMeter();
    const server = await serveDlms({
      transport: 'tcp',
      port: 0,
      link: { kind: 'hdlc', serverAddress: { logical: 1, physical: 17 } },
      sessionFor: () => servedBy(meter),
    });
    cleanups.push(() => server.close());
    const options = {
      transport: { kind: 'tcp' as const, host: '127.0.0.1', port: server.port },
      responseTimeoutMs: 40,
    };
    const ok = await DlmsClient.connect({
      ...options,
      link: { kind: 'hdlc', clientAddress: 16, serverAddress: { logical: 1, physical: 17 } },
    });
    expect((await ok.get(CLOCK, 8, 2)).type).toBe('octet-string');
    await ok.end();
    const e = await DlmsClient.connect({
      ...options,
      link: { kind: 'hdlc', clientAddress: 16, serverAddress: { logical: 1, physical: 18 }, maxRetries: 1 },
    }).catch((x: unknown) => x);
    expect((e as { code: string }).code).toBe('DLMS_TIMEOUT');
  });
});

describe('sendPush', () => {
  function notification(): Uint8Array {
    const meter = new TestMeter();
    const session = new ServerSession({
      ...servedBy(meter),
      clientSap: 102,
      invocationCounters: new InvocationCounterState(),
    });
    return session.notify({ body: { type: 'double-long-unsigned', value: 42 }, longInvokeId: 7 }).send[0]!;
  }

  it('delivers a DataNotification in a wrapper PDU over TCP', async () => {
    const received: Uint8Array[] = [];
    const deframer = new WrapperDeframer();
    const listener = await listenTcp({ port: 0 }, (t) =>
      t.onData((chunk) => {
        for (const e of deframer.push(chunk)) if (e.type === 'pdu') received.push(e.pdu.apdu);
      }),
    );
    cleanups.push(() => listener.close());
    await sendPush({ transport: 'tcp', host: '127.0.0.1', port: listener.port }, [notification()]);
    while (received.length === 0) await new Promise((r) => setTimeout(r, 5));
    const apdu = decodeXdlmsApdu(received[0]!);
    expect(apdu.type).toBe('data-notification');
  });

  it('delivers over UDP with the given wPorts', async () => {
    const datagrams: Uint8Array[] = [];
    const listener = await listenUdp({ port: 0 }, (t) => t.onData((d) => datagrams.push(d)));
    cleanups.push(() => listener.close());
    await sendPush(
      { transport: 'udp', host: '127.0.0.1', port: listener.port, sourceWPort: 1, destinationWPort: 103 },
      [notification()],
    );
    while (datagrams.length === 0) await new Promise((r) => setTimeout(r, 5));
    const pdu = decodeWrapperPdu(datagrams[0]!);
    expect([pdu.source, pdu.destination]).toEqual([1, 103]);
    expect(decodeXdlmsApdu(pdu.apdu).type).toBe('data-notification');
  });
});
