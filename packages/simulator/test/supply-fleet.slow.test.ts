import { DlmsClient, listenTcp } from '@openhes/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from '../src/fleet/fleet.ts';
import { PushScheduler } from '../src/fleet/push.ts';
import type { DeviceProfile } from '../src/profiles.ts';
import { Truth } from '../src/truth/fleet-truth.ts';
import { clientOptions } from './client-helpers.ts';
import { num, PROFILES } from './helpers.ts';

/**
 * Reachability over the demo's day through real sockets: seed 7 switches transformer 0 (all ten
 * consumers of `hes simulate --meters 10`) off 06:25–08:19 UTC on 2026-12-03. An unpowered
 * meter does not answer; one whose modem is battery-backed does, reading 0 V.
 */
const DAY0 = Date.UTC(2026, 11, 3);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const OFF_FROM = DAY0 + 6 * HOUR + 25 * MINUTE;
const OFF_TO = DAY0 + 8 * HOUR + 19 * MINUTE;
const VOLTAGE = '1.0.12.7.0.255';
const FREQUENCY = '1.0.14.7.0.255';

let now = DAY0;
const fleets: Fleet[] = [];

async function fleetOf(profiles: ReadonlyMap<string, DeviceProfile>): Promise<Fleet> {
  const f = await startFleet({
    meters: 10,
    transformers: 1,
    mix: { residential: 1 },
    seed: 7,
    startAt: DAY0,
    clock: () => now,
    port: 0,
    tickMs: 0,
    profiles,
  });
  fleets.push(f);
  return f;
}

/** A reader (LLS) client that gives up on an unanswered request after `timeoutMs`. */
function reader(f: Fleet, meter: number, timeoutMs = 400): Promise<DlmsClient> {
  return DlmsClient.connect({ ...clientOptions(f, meter, 'reader'), responseTimeoutMs: timeoutMs });
}

/** What the request met: its value, or the error's code. */
async function outcome(p: Promise<unknown>): Promise<unknown> {
  try {
    return await p;
  } catch (e) {
    return { failed: (e as { code?: string }).code ?? String(e) };
  }
}

let fleet: Fleet;
let backed: Fleet;

beforeAll(async () => {
  fleet = await fleetOf(PROFILES);
  backed = await fleetOf(
    new Map([...PROFILES].map(([id, p]) => [id, { ...p, meter: { ...p.meter, batteryBackedModem: true } }])),
  );
});

afterAll(async () => {
  for (const f of fleets) await f.close();
});

describe('reachability follows the supply (the demo day of seed 7)', () => {
  it('answers before, is silent during, drops a connection that outlived the failure, answers after', async () => {
    now = DAY0 + 6 * HOUR;
    const before = await reader(fleet, 0);
    const kept = await reader(fleet, 1);
    try {
      expect(num(await before.get(VOLTAGE, 3, 2))).toBeGreaterThan(20_000);
      expect(num(await kept.get(VOLTAGE, 3, 2))).toBeGreaterThan(20_000);

      now = DAY0 + 7 * HOUR;
      const silentBefore = fleet.stats().silent;
      expect(await outcome(reader(fleet, 2))).toEqual({ failed: 'DLMS_TIMEOUT' });
      expect(fleet.stats().silent).toBe(silentBefore + 1);
      // An open session gets no answer either while the supply is off.
      expect(await outcome(before.get(VOLTAGE, 3, 2))).toEqual({ failed: 'DLMS_TIMEOUT' });

      now = DAY0 + 8 * HOUR + 30 * MINUTE;
      // The modem restarted with the supply: the connection opened at 06:00 is gone.
      expect(await outcome(kept.get(VOLTAGE, 3, 2))).toEqual({ failed: 'DLMS_TRANSPORT' });
      const after = await reader(fleet, 1);
      try {
        expect(num(await after.get(VOLTAGE, 3, 2))).toBeGreaterThan(20_000);
        expect(num(await after.get(FREQUENCY, 3, 2))).toBeGreaterThan(4_900);
      } finally {
        await after.end();
      }
    } finally {
      await before.close();
      await kept.close();
    }
  });

  it('a battery-backed modem answers during the interruption and reads 0 V and 0 Hz; its session survives', async () => {
    now = DAY0 + 6 * HOUR;
    const c = await reader(backed, 3);
    try {
      expect(num(await c.get(VOLTAGE, 3, 2))).toBeGreaterThan(20_000);
      now = DAY0 + 7 * HOUR;
      expect(num(await c.get(VOLTAGE, 3, 2))).toBe(0);
      expect(num(await c.get(FREQUENCY, 3, 2))).toBe(0);
      const fresh = await reader(backed, 4);
      try {
        expect(num(await fresh.get(VOLTAGE, 3, 2))).toBe(0);
      } finally {
        await fresh.end();
      }
      now = DAY0 + 9 * HOUR;
      expect(num(await c.get(VOLTAGE, 3, 2))).toBeGreaterThan(20_000);
    } finally {
      await c.end();
    }
  });

  it('pushes nothing while off but the last gasp; block pushes resume with the supply', async () => {
    const sink = await listenTcp({ host: '127.0.0.1', port: 0 }, (t) => t.onData(() => {}));
    try {
      const truth = new Truth({
        seed: 7,
        startAt: DAY0,
        consumers: 10,
        transformers: 1,
        mix: { residential: 1 },
        background: true,
        profiles: PROFILES,
      });
      let t = DAY0 + 6 * HOUR;
      const pushes = new PushScheduler(truth, { host: '127.0.0.1', port: sink.port }, () => t, true);
      t = DAY0 + 9 * HOUR;
      await pushes.tick();
      const profile = truth.meter(0).profile;
      const alarm = profile.objects.find((o) => o.push?.kind === 'alarm')!.obis;
      const block = profile.objects.find((o) => o.push?.kind === 'block')!.obis;
      for (let i = 0; i < truth.size; i++) {
        const mine = pushes.log.filter((p) => p.meter === i);
        expect(mine.filter((p) => p.setup === alarm).map((p) => p.at)).toEqual([OFF_FROM, OFF_TO]);
        const blocks = mine.filter((p) => p.setup === block).map((p) => p.at);
        expect(blocks.filter((at) => at >= OFF_FROM && at < OFF_TO)).toEqual([]);
        expect(blocks.filter((at) => at < OFF_FROM).length).toBeGreaterThan(0);
        expect(blocks.filter((at) => at >= OFF_TO).length).toBeGreaterThan(0);
      }
      expect(pushes.failed).toBe(0);
    } finally {
      await sink.close();
    }
  });
});
