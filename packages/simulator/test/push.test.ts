import {
  CipheredApduTag,
  type DlmsData,
  DlmsError,
  DlmsErrorCode,
  decipherApdu,
  decodeXdlmsApdu,
  fromHex,
  toHex,
  WrapperDeframer,
} from '@openhes/dlms';
import { listenTcp, listenUdp } from '@openhes/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MeterRecord, meterRecord } from '../src/fleet/export.ts';
import { type Fleet, startFleet } from '../src/fleet/fleet.ts';
import { metersUnder } from '../src/fleet/push.ts';
import { connect } from './client-helpers.ts';
import { DAY, HOUR, num, PROFILES, START } from './helpers.ts';

interface Received {
  from: string;
  body: DlmsData;
  systemTitle: string;
  invocationCounter: number;
}

const received: Received[] = [];
const pushed: Uint8Array[] = [];
/** What the head end imported: the export of the fleet that is pushing now, by system title. */
const exported = new Map<string, MeterRecord>();

function learn(f: Fleet): Fleet {
  exported.clear();
  for (let i = 0; i < f.size; i++) {
    const r = meterRecord(f, i);
    exported.set(r.systemTitle, r);
  }
  return f;
}

/** The head end's side: general-glo-ciphering deciphered with the exported keys only. */
function open(apdu: Uint8Array): Omit<Received, 'from'> | undefined {
  expect(apdu[0]).toBe(CipheredApduTag.generalGloCiphering);
  const plain = decipherApdu(apdu, {
    keyResolver: ({ systemTitle }) => {
      const r = exported.get(toHex(systemTitle));
      return r === undefined ? undefined : { ek: fromHex(r.ek), ak: fromHex(r.ak) };
    },
    require: { authentication: true, encryption: true },
  });
  const x = decodeXdlmsApdu(plain.plaintext);
  if (x.type !== 'data-notification') return undefined;
  return {
    body: x.notificationBody,
    systemTitle: toHex(plain.systemTitle),
    invocationCounter: plain.invocationCounter,
  };
}
let headEnd: Awaited<ReturnType<typeof listenTcp>>;
let fleet: Fleet;
let now = START;

beforeAll(async () => {
  headEnd = await listenTcp({ host: '127.0.0.1', port: 0 }, (t) => {
    const deframer = new WrapperDeframer();
    t.onData((chunk) => {
      for (const e of deframer.push(chunk)) {
        if (e.type !== 'pdu') continue;
        pushed.push(e.pdu.apdu);
        const n = open(e.pdu.apdu);
        if (n !== undefined) received.push({ from: t.remote.split(':')[0]!, ...n });
      }
    });
  });
  fleet = await startFleet({
    meters: 20,
    transformers: 2,
    seed: 9,
    startAt: START,
    port: 0,
    tickMs: 0,
    profiles: PROFILES,
    clock: () => now,
    pushTo: { host: '127.0.0.1', port: headEnd.port },
    scenarios: 'outage@transformer-1+10m/20m',
    background: false,
  });
  learn(fleet);
});

/** Waits until the head end has received `n` notifications (TCP delivery is asynchronous). */
async function receivedAtLeast(n: number): Promise<void> {
  for (let i = 0; i < 500 && received.length < n; i++) await new Promise((r) => setImmediate(r));
}

afterAll(async () => {
  await fleet?.close();
  await headEnd?.close();
});

describe('pushes', () => {
  it('sends last gasp and first breath from exactly the meters under the failed transformer', async () => {
    now = START + 15 * 60_000;
    await fleet.tick();
    const under = metersUnder(fleet.truth, { transformer: 1 }).map((i) => fleet.address(i));
    await receivedAtLeast(under.length);
    expect(received.map((r) => r.from).sort()).toEqual([...under].sort());
    const esw = (r: Received) => {
      const v = (r.body as { value: DlmsData[] }).value[3] as { value: { bytes: Uint8Array } };
      return v.value.bytes;
    };
    expect(received.every((r) => (esw(r)[85 >> 3]! & (0x80 >> (85 & 7))) !== 0)).toBe(true);
    for (const r of received) expect(exported.get(r.systemTitle)?.host).toBe(r.from);
    const gasp = new Map(received.map((r) => [r.systemTitle, r.invocationCounter]));
    received.length = 0;
    now = START + 45 * 60_000;
    await fleet.tick();
    await receivedAtLeast(under.length);
    expect(received).toHaveLength(under.length);
    expect(received.every((r) => (esw(r)[86 >> 3]! & (0x80 >> (86 & 7))) !== 0)).toBe(true);
    for (const r of received) expect(r.invocationCounter).toBeGreaterThan(gasp.get(r.systemTitle)!);
  });

  it('pushes are authenticated: a head end with other keys refuses them', () => {
    const apdu = pushed.at(-1)!;
    const st = toHex(apdu.subarray(2, 10));
    const r = exported.get(st)!;
    const ak = fromHex(r.ak);
    ak[0] = ak[0]! ^ 1;
    try {
      decipherApdu(apdu, { keys: { ek: fromHex(r.ek), ak } });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DlmsError);
      expect((e as DlmsError).code).toBe(DlmsErrorCode.AuthenticationFailed);
    }
  });

  it('sends every meter’s daily snapshot once within the hour after midnight', async () => {
    received.length = 0;
    const midnight = Math.ceil((START + 330 * 60_000) / DAY) * DAY - 330 * 60_000;
    now = midnight + 30 * 60_000;
    await fleet.tick();
    now = midnight + HOUR;
    await fleet.tick();
    await receivedAtLeast(fleet.size);
    expect(new Set(received.map((r) => r.from)).size).toBe(fleet.size);
    const first = received.find((r) => r.from === fleet.address(0))!;
    const row = fleet.truth.profileRows(0, '1.0.99.2.0.255', midnight, midnight, now);
    expect(row).toHaveLength(1);
    expect((first.body as { value: DlmsData[] }).value.slice(2)).toEqual(
      (row[0] as { value: DlmsData[] }).value,
    );
    expect(received).toHaveLength(fleet.size);
    expect(fleet.stats().pushesSent).toBeGreaterThanOrEqual(fleet.size);
  });

  it('sends a tamper alarm (ESW bit 81) from each tampered meter', async () => {
    received.length = 0;
    let t = START;
    const f = await startFleet({
      meters: 20,
      transformers: 2,
      seed: 4,
      startAt: START,
      port: 0,
      tickMs: 0,
      profiles: PROFILES,
      clock: () => t,
      pushTo: { host: '127.0.0.1', port: headEnd.port },
      scenarios: 'tamper=40%',
      background: false,
    });
    learn(f);
    try {
      const tampered = Array.from({ length: 20 }, (_, i) => i).filter(
        (i) => f.truth.meter(i).effects.tamper.length > 0,
      );
      expect(tampered.length).toBeGreaterThan(2);
      t = START + DAY - 1;
      await f.tick();
      await receivedAtLeast(tampered.length);
      const alarms = received.filter((r) => (r.body as { value: DlmsData[] }).value.length === 4);
      expect(alarms.map((r) => r.from).sort()).toEqual(tampered.map((i) => f.address(i)).sort());
    } finally {
      await f.close();
    }
  });

  it('pushes over UDP when the head end listens on UDP', async () => {
    const got: string[] = [];
    const udp = await listenUdp({ host: '127.0.0.1', port: 0 }, (t) => {
      const deframer = new WrapperDeframer();
      t.onData((chunk) => {
        for (const e of deframer.push(chunk)) {
          if (e.type === 'pdu' && open(e.pdu.apdu) !== undefined) got.push(t.remote.split(':')[0]!);
        }
      });
    });
    let t = START;
    const f = await startFleet({
      meters: 5,
      transformers: 1,
      seed: 4,
      startAt: START,
      port: 0,
      tickMs: 0,
      profiles: PROFILES,
      clock: () => t,
      pushTo: { host: '127.0.0.1', port: udp.port, transport: 'udp' },
      scenarios: 'outage@transformer-0+1m/1m',
      background: false,
    });
    learn(f);
    try {
      t = START + 90_000;
      await f.tick();
      for (let i = 0; i < 500 && got.length < f.size; i++) await new Promise((r) => setImmediate(r));
      expect(got.sort()).toEqual(Array.from({ length: f.size }, (_, i) => f.address(i)).sort());
    } finally {
      await f.close();
      await udp.close();
    }
  });

  it('pushes block-load rows equal to the profile rows when asked to', async () => {
    received.length = 0;
    let t = START;
    const f = await startFleet({
      meters: 6,
      transformers: 1,
      seed: 4,
      startAt: START,
      port: 0,
      tickMs: 0,
      profiles: PROFILES,
      clock: () => t,
      pushTo: { host: '127.0.0.1', port: headEnd.port },
      background: false,
      pushBlocks: true,
    });
    learn(f);
    try {
      t = START + 2 * 60_000;
      await f.tick();
      await receivedAtLeast(f.size);
      received.length = 0;
      t = START + 15 * 60_000 + 60_000;
      await f.tick();
      const pushing = Array.from({ length: f.size }, (_, i) => i).filter(
        (i) => f.truth.meter(i).profile.meter.ctRatio === undefined,
      );
      await receivedAtLeast(pushing.length);
      expect(received.map((r) => r.from).sort()).toEqual(pushing.map((i) => f.address(i)).sort());
      for (const i of pushing) {
        const body = (received.find((r) => r.from === f.address(i))!.body as { value: DlmsData[] }).value;
        const rows = f.truth.profileRows(i, '1.0.99.1.0.255', START + 15 * 60_000, START + 15 * 60_000, t);
        expect(body.slice(2)).toEqual((rows[0] as { value: DlmsData[] }).value);
      }
    } finally {
      await f.close();
    }
  });

  it('pushes to the destination a head end writes into the push setup, on push()', async () => {
    received.length = 0;
    const f = await startFleet({
      meters: 3,
      transformers: 1,
      seed: 4,
      startAt: START,
      port: 0,
      tickMs: 0,
      profiles: PROFILES,
      clock: () => START,
      background: false,
    });
    learn(f);
    let sessionCounter = -1;
    try {
      const meter = [0, 1, 2].find((i) => f.truth.meter(i).profile.id === 'is15959-1ph')!;
      const c = await connect(f, meter, 'management');
      try {
        const dest = Uint8Array.from(`127.0.0.1:${headEnd.port}`, (ch) => ch.charCodeAt(0));
        await c.set('0.0.25.9.0.255', 40, 3, {
          type: 'structure',
          value: [
            { type: 'enum', value: 0 },
            { type: 'octet-string', value: dest },
            { type: 'enum', value: 0 },
          ],
        });
        expect(await c.get('0.0.25.9.0.255', 40, 3)).toMatchObject({ value: [{}, { value: dest }, {}] });
        sessionCounter = num(await c.get('0.0.43.1.3.255', 1, 2));
        await c.action('0.0.25.9.0.255', 40, 1, { type: 'integer', value: 0 });
      } finally {
        await c.end();
      }
      await receivedAtLeast(1);
      expect(received.map((r) => r.from)).toEqual([f.address(meter)]);
      expect(sessionCounter).toBeGreaterThan(0);
      expect(received[0]!.invocationCounter).toBeGreaterThanOrEqual(sessionCounter);
      const body = (received[0]!.body as { value: DlmsData[] }).value;
      expect(body[0]).toEqual(f.truth.registerAt(meter, '0.0.96.1.2.255', START));
      expect(body).toHaveLength(
        PROFILES.get('is15959-1ph')!.objects.find((o) => o.obis === '0.0.25.9.0.255')!.push!.objects.length,
      );
    } finally {
      await f.close();
    }
  });
});
