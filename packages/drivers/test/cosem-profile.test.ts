import { formatObis } from '@openhes/cosem';
import {
  type Cleanups,
  connectTestClient,
  LOOPBACK_COMBOS,
  type LoopbackKind,
  type LoopbackLink,
  startTestMeter,
  testClientOptions,
} from '@openhes/testkit/loopback';
// The loopback test meter of the shared test kit.
import {
  CLOCK,
  DISCONNECT,
  ENERGY,
  PROFILE,
  PROFILE_ROWS,
  PROFILE_START,
  VOLTAGE,
} from '@openhes/testkit/meters';
import { connectTcp, type DlmsClientOptions, listenTcp, type Transport } from '@openhes/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { readObjectList, readProfileTable } from '../src/index.ts';

const cleanups: Cleanups = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const startMeter = (transport: LoopbackKind, link: LoopbackLink) => startTestMeter(transport, link, cleanups);
const clientOptions = testClientOptions;
const connect = (options: DlmsClientOptions) => connectTestClient(options, cleanups);
const combos = LOOPBACK_COMBOS;

describe.each(combos)(
  'readProfileTable and readObjectList over %s/%s, authentication %s',
  (transport, link, auth) => {
    it('reads a 2,880-row profile and the object list', async () => {
      const { server } = await startMeter(transport, link);
      const client = await connect(clientOptions(transport, server.port, link, auth));

      const table = await readProfileTable(client, PROFILE, { fromEntry: 1, toEntry: 0 });
      expect(table.rows.length).toBe(PROFILE_ROWS);
      expect(table.columns.map((c) => formatObis(c.captureObject.logicalName))).toEqual([
        CLOCK,
        ENERGY,
        VOLTAGE,
      ]);
      expect(table.columns[1]!.scalerUnit).toEqual({ scaler: -3, unit: 30 });
      const last = table.rows[PROFILE_ROWS - 1]!;
      expect(last[0]).toMatchObject({ kind: 'date-time' });
      expect(last[1]).toMatchObject({ kind: 'number', value: (100_000 + PROFILE_ROWS * 250) / 1000 });
      expect(last[2]).toMatchObject({ kind: 'number', value: 230 });

      const day = await readProfileTable(client, PROFILE, {
        from: new Date(PROFILE_START + 86_400_000),
        to: new Date(PROFILE_START + 2 * 86_400_000 - 1),
      });
      expect(day.rows.length).toBe(96);
      const first = day.rows[0]![0]!;
      expect(first.kind === 'date-time' && first.instant?.toISOString()).toBe('2024-01-02T00:00:00.000Z');

      const objects = await readObjectList(client);
      expect(objects.map((o) => formatObis(o.logicalName))).toContain(DISCONNECT);
      await client.end();
    });
  },
);

/**
 * A TCP relay in front of a meter: what the meter sends arrives `delayMs` later, and the
 * chunk numbered `dropAt` (counted from when it is set) is lost.
 */
async function slowRelay(meterPort: number, delayMs: number) {
  const relay = { dropAt: -1, meterChunks: 0 };
  const server = await listenTcp({ port: 0 }, (client: Transport) => {
    const meter = connectTcp({ host: '127.0.0.1', port: meterPort });
    client.onData((chunk) => void meter.then((m) => m.send(chunk)).catch(() => {}));
    client.onClose(() => void meter.then((m) => m.close()).catch(() => {}));
    void meter.then((m) => {
      m.onClose(() => void client.close());
      m.onData((chunk) => {
        if (relay.meterChunks++ === relay.dropAt) return;
        setTimeout(() => void client.send(chunk).catch(() => {}), delayMs);
      });
    });
  });
  cleanups.push(() => server.close());
  return { port: server.port, relay };
}

describe('DlmsClient response timeout over a slow HDLC link', () => {
  it('a profile whose segments take longer than the response timeout in all, one of them lost, is read whole', async () => {
    const { server } = await startMeter('tcp', 'hdlc');
    const { port, relay } = await slowRelay(server.port, 25);
    const client = await connect({
      ...clientOptions('tcp', port, 'hdlc', 'none'),
      link: { kind: 'hdlc', clientAddress: 16, serverAddress: { logical: 1, physical: 17 }, maxInfo: 128 },
      // The HDLC poll timer defaults to a quarter of it (three retries), so a lost segment is
      // polled for again before the response timeout gives up.
      responseTimeoutMs: 300,
    });
    relay.meterChunks = 0;
    relay.dropAt = 8;
    const started = Date.now();
    const day = await readProfileTable(client, PROFILE, {
      from: new Date(PROFILE_START + 86_400_000),
      to: new Date(PROFILE_START + 2 * 86_400_000 - 1),
    });
    expect(day.rows.length).toBe(96);
    expect(relay.meterChunks).toBeGreaterThan(12);
    // Not a speed check: the response did outlast the timeout, so the timeout cannot have been per APDU.
    expect(Date.now() - started).toBeGreaterThan(300);
  });
});
