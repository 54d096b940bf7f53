import type { CommandKind, Meter } from '@openhes/core';
import {
  DlmsDriver,
  DriverError,
  DriverErrorCode,
  type DriverProfile,
  loadDriverProfiles,
  type MeterDriver,
  ModelCache,
} from '@openhes/drivers';
import {
  activeFirmware,
  buildImage,
  type Fleet,
  imageBlockCounts,
  meterRecord,
  methodCount,
  relayState,
  setControlMode,
  startFleet,
} from '@openhes/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlError } from '../src/errors.ts';
import type { OperationContext } from '../src/operation.ts';
import { createOperations } from '../src/operations/index.ts';
import type { SessionKeys } from '../src/ports.ts';
import { Harness, METER, MemoryVault } from './operations-fake.ts';

/**
 * The operations over the real DLMS driver against the in-repo simulator: each asserts on the
 * simulated meter's own state (relay, method counts, blocks received, active firmware, keys).
 */
const START = Date.UTC(2026, 5, 10, 0, 0);
const NOW = START + 3 * 86_400_000 + 3_600_000 * 5.5 + 7 * 60_000;
const PROFILES = loadDriverProfiles();
const DISCONNECT = '0.0.96.3.10.255';
const IMAGE_TRANSFER = '0.0.44.0.0.255';
const OPS = createOperations({ firmware: { pollIntervalMs: 10, restartWaitMs: 10 } });

let fleet: Fleet;
/** The simulated meters' clock: stands still at NOW unless a test lets it follow its harness. */
let simNow: () => number = () => NOW;
/** Our invocation counter per simulated meter: it only rises, across the tests' sessions. */
const txCounters = new Map<number, number>();

beforeAll(async () => {
  fleet = await startFleet({
    meters: 6,
    transformers: 1,
    mix: { residential: 0.5, commercial: 0.3, industrial: 0.2 },
    seed: 11,
    startAt: NOW,
    port: 0,
    tickMs: 0,
    clock: () => simNow(),
  });
});

afterAll(async () => {
  await fleet?.close();
});

function hex(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g) ?? [], (b) => Number.parseInt(b, 16));
}

function metersWith(classId: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < fleet.size; i++) {
    const p = PROFILES.get(meterRecord(fleet, i).profile) as DriverProfile;
    if (p.objects.some((o) => o.class === classId)) out.push(i);
  }
  return out;
}

/** A harness whose sessions are DLMS sessions on simulated meter `index`, keys from the harness's vault. */
function simulated(index: number, kind: CommandKind, parameters: Record<string, unknown> = {}): Harness {
  const h = new Harness(kind, parameters);
  const r = meterRecord(fleet, index);
  const meter: Meter = { ...METER, id: index + 1, deviceProfile: r.profile };
  h.time.t = NOW;
  h.vault.current.set(MemoryVault.key(meter.id, 'guek'), hex(r.ek));
  h.vault.current.set(MemoryVault.key(meter.id, 'gak'), hex(r.ak));
  h.vault.current.set(MemoryVault.key(meter.id, 'kek'), hex(r.kek));
  const profile = PROFILES.get(r.profile) as DriverProfile;
  const context = h.context.bind(h);
  h.context = (): OperationContext => {
    const ctx = context();
    const keyOf = async (purpose: 'guek' | 'gak', keys?: SessionKeys) =>
      (keys?.[purpose] === 'pending'
        ? await h.vault.getPending(meter.id, purpose)
        : await h.vault.get(meter.id, purpose)) ?? new Uint8Array(16);
    return {
      ...ctx,
      meter,
      session: async <T>(work: (d: MeterDriver) => Promise<T>, keys?: SessionKeys): Promise<T> => {
        h.sessionKeys.push(keys);
        const d = new DlmsDriver({
          meterId: meter.id,
          profile,
          endpoint: { transport: 'tcp', host: r.host, port: r.port },
          secrets: { password: r.password, ek: await keyOf('guek', keys), ak: await keyOf('gak', keys) },
          cache: new ModelCache(),
          counters: {
            reserve: async (n: number) => {
              const first = txCounters.get(index) ?? 1;
              txCounters.set(index, first + n);
              return first;
            },
          },
          responseTimeoutMs: 5000,
          now: () => h.time.now(),
        });
        await d.open();
        try {
          return await work(d);
        } finally {
          await d.close();
        }
      },
    };
  };
  return h;
}

describe('operations against the simulator', () => {
  it('disconnect (final read, one remote_disconnect) then connect in mode 1: armed', async () => {
    const i = metersWith(70)[0] as number;
    setControlMode(fleet.truth, i, 1);
    const off = simulated(i, 'disconnect');
    const out = await off.run(OPS.disconnect);
    expect(out.result).toMatchObject({ controlState: 0, outputState: false });
    expect(off.stored.length).toBeGreaterThan(0);
    expect(relayState(fleet.truth, i, NOW)).toMatchObject({ output: false, control: 0 });
    expect(methodCount(fleet.truth, i, 70, DISCONNECT, 1)).toBe(1);

    const on = simulated(i, 'connect');
    const armed = await on.run(OPS.connect);
    expect(armed.result).toMatchObject({ armed: true, controlState: 2, outputState: false });
    expect(relayState(fleet.truth, i, NOW)).toMatchObject({ output: false, control: 2 });
    expect(methodCount(fleet.truth, i, 70, DISCONNECT, 2)).toBe(1);
  });

  it('mode 0 refuses before anything is sent', async () => {
    const i = metersWith(70)[1] ?? (metersWith(70)[0] as number);
    setControlMode(fleet.truth, i, 0);
    try {
      const before = methodCount(fleet.truth, i, 70, DISCONNECT, 1);
      const h = simulated(i, 'disconnect', { finalRead: false });
      await expect(h.run(OPS.disconnect)).rejects.toMatchObject({
        code: 'CONTROL_MODE_FORBIDS',
        retryable: false,
      });
      expect(methodCount(fleet.truth, i, 70, DISCONNECT, 1)).toBe(before);
    } finally {
      setControlMode(fleet.truth, i, 4);
    }
  });

  it('calendar activated now, load limit and emergency profile, push setup: read back from the meter', async () => {
    const cal = simulated(0, 'set-calendar', {
      calendar: {
        name: 'TOU-OPS',
        seasons: [{ name: '1', start: '01-01', week: '1' }],
        weeks: [{ name: '1', days: [1, 1, 1, 1, 1, 2, 2] }],
        days: [
          {
            id: 1,
            schedule: [
              { start: '00:00', tariff: 1 },
              { start: '18:00', tariff: 2 },
            ],
          },
          { id: 2, schedule: [{ start: '00:00', tariff: 1 }] },
        ],
      },
    });
    expect((await cal.run(OPS['set-calendar'])).result).toMatchObject({ activated: 'now', days: 2 });

    const i = metersWith(71)[0] as number;
    const limit = simulated(i, 'load-limit', { thresholdNormal: 4600, minOverThresholdSeconds: 90 });
    expect((await limit.run(OPS['load-limit'])).result).toMatchObject({ minOverThresholdSeconds: 90 });
    const emergency = simulated(i, 'emergency-activate', {
      profileId: 4,
      durationSeconds: 3600,
      thresholdEmergency: 1000,
    });
    expect((await emergency.run(OPS['emergency-activate'])).result).toMatchObject({
      emergencyProfileActive: true,
    });
    await simulated(i, 'emergency-clear').run(OPS['emergency-clear']);

    const push = simulated(0, 'push-setup', {
      destination: '10.0.0.9:4059',
      retries: 2,
      randomisationSeconds: 15,
    });
    expect((await push.run(OPS['push-setup'])).result).toMatchObject({
      destination: '10.0.0.9:4059',
      retries: 2,
    });
  });

  it('time-sync shifts a drifting clock by what it reads', async () => {
    const h = simulated(2, 'time-sync');
    // Head-end time 2 min ahead of the meter (whose simulated clock stands still).
    h.time.t = NOW + 120_000;
    const out = await h.run(OPS['time-sync']);
    expect(out.result).toMatchObject({ action: 'shift' });
    expect(Math.abs((out.result.shiftSeconds as number) - 120)).toBeLessThanOrEqual(2);
    expect(methodCount(fleet.truth, 2, 8, '0.0.1.0.0.255', 6)).toBe(1);
  });

  it('firmware: resumed after a dropped session without a second initiate; the new image active', async () => {
    const i = metersWith(18)[0] ?? 4;
    const bytes = buildImage('SIM-OPS-2', 3000);
    const h = simulated(i, 'firmware-update', { imageId: 1 });
    h.images.add('SIM-OPS-2', 'SIM-OPS-2', bytes);
    // The first attempt's session drops after the 3rd block.
    const context = h.context;
    let first = true;
    h.context = () => {
      const ctx = context();
      if (!first) return ctx;
      first = false;
      return {
        ...ctx,
        session: (work, keys) =>
          ctx.session((d) => {
            const fw = d.firmware;
            if (fw === undefined) return work(d);
            let blocks = 0;
            const dropping = new Proxy(fw, {
              get(target, prop) {
                if (prop === 'transferBlock')
                  return async (b: Parameters<typeof fw.transferBlock>[0]) => {
                    if (++blocks > 3) throw new DriverError(DriverErrorCode.Transport, 'link cut');
                    return target.transferBlock(b);
                  };
                const v = Reflect.get(target, prop, target);
                return typeof v === 'function' ? v.bind(target) : v;
              },
            });
            const driver = new Proxy(d, {
              get(target, prop) {
                if (prop === 'firmware') return dropping;
                const v = Reflect.get(target, prop, target);
                return typeof v === 'function' ? v.bind(target) : v;
              },
            });
            return work(driver);
          }, keys),
      };
    };
    const out = await h.run(OPS['firmware-update']);
    expect(h.command.attempts).toBe(2);
    expect(methodCount(fleet.truth, i, 18, IMAGE_TRANSFER, 1)).toBe(1);
    const counts = imageBlockCounts(fleet.truth, i);
    expect(counts.duplicates).toBe(0);
    expect(out.result.blocksSent).toBe(counts.received);
    expect(activeFirmware(fleet.truth, i, NOW)).toBe('SIM-OPS-2');
    expect(out.meterPatch).toEqual({ firmwareVersion: 'SIM-OPS-2' });
  });

  it('firmware: a corrupted image the meter refuses to verify ends CONTROL_VERIFY_FAILED (image_transfer_status 4), old image kept', async () => {
    const i = metersWith(18)[1] ?? metersWith(18)[0] ?? 4;
    const before = activeFirmware(fleet.truth, i, NOW);
    const bytes = buildImage('SIM-OPS-BAD', 3000);
    bytes[40] = (bytes[40] ?? 0) ^ 0xff;
    const h = simulated(i, 'firmware-update', { imageId: 1 });
    h.images.add('SIM-OPS-BAD', 'SIM-OPS-BAD', bytes);
    const e = await h.run(OPS['firmware-update']).then(
      () => null,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(ControlError);
    expect((e as ControlError).code).toBe('CONTROL_VERIFY_FAILED');
    expect((e as ControlError).retryable).toBe(false);
    expect(methodCount(fleet.truth, i, 18, IMAGE_TRANSFER, 3)).toBeGreaterThan(0);
    expect(methodCount(fleet.truth, i, 18, IMAGE_TRANSFER, 4)).toBe(0);
    expect(activeFirmware(fleet.truth, i, NOW)).toBe(before);
  });

  it("firmware activated later through the meter's schedule: the command waits in the queue, the meter activates by itself, confirmed by identifier", async () => {
    const with18 = metersWith(18);
    const i = with18.filter((x) => x !== with18[0] && x !== 5).at(-1) as number;
    const bytes = buildImage('SIM-OPS-3', 1200);
    const h = simulated(i, 'firmware-update', { imageId: 1 });
    h.images.add('SIM-OPS-3', 'SIM-OPS-3', bytes);
    const before = activeFirmware(fleet.truth, i, NOW);
    const at = NOW + 2 * 3_600_000;
    h.command.parameters.activateAt = at;
    simNow = () => h.time.now();
    try {
      const first = await h.attempt(OPS['firmware-update']).catch((e: unknown) => e as ControlError);
      expect(first).toMatchObject({ code: 'CONTROL_WAITING', retryAt: at + 60_000 });
      // Verified and scheduled on the meter, nothing activated yet, no time spent waiting.
      expect(h.time.now()).toBeLessThan(at);
      expect(activeFirmware(fleet.truth, i, h.time.now())).toBe(before);
      h.time.t = at + 60_000;
      h.command = { ...h.command, attempts: 0 };
      const out = await h.attempt(OPS['firmware-update']);
      expect(out.result).toMatchObject({
        confirmedBy: 'identifier',
        activatedBy: 'meter-schedule',
        scheduledAt: at,
      });
      expect(out.meterPatch).toEqual({ firmwareVersion: 'SIM-OPS-3' });
      expect(activeFirmware(fleet.truth, i, h.time.now())).toBe('SIM-OPS-3');
      expect(methodCount(fleet.truth, i, 18, IMAGE_TRANSFER, 4)).toBe(0);
      expect(methodCount(fleet.truth, i, 18, IMAGE_TRANSFER, 1)).toBe(1);
    } finally {
      simNow = () => NOW;
    }
  });

  it('key rotation of both keys: the new keys open the next association, the old are refused', async () => {
    const i = 5;
    const h = simulated(i, 'key-rotation');
    const oldAk = hex(meterRecord(fleet, i).ak);
    await h.run(OPS['key-rotation']);
    const newAk = h.vault.current.get(MemoryVault.key(i + 1, 'gak'));
    expect(newAk).toBeDefined();
    expect(Array.from(newAk ?? [])).not.toEqual(Array.from(oldAk));
    expect(h.vault.pending.size).toBe(0);
    const newEk = h.vault.current.get(MemoryVault.key(i + 1, 'guek'));
    expect(Array.from(newEk ?? [])).not.toEqual(Array.from(hex(meterRecord(fleet, i).ek)));
    expect(h.sessionKeys).toContainEqual({ guek: 'pending' });
    // A normal read with the new keys.
    const reread = simulated(i, 'time-sync');
    reread.vault.current.set(MemoryVault.key(i + 1, 'gak'), newAk as Uint8Array);
    reread.vault.current.set(
      MemoryVault.key(i + 1, 'guek'),
      h.vault.current.get(MemoryVault.key(i + 1, 'guek')) as Uint8Array,
    );
    await expect(reread.run(OPS['time-sync'])).resolves.toBeDefined();
    // The old key is refused.
    const old = simulated(i, 'time-sync');
    const e = await old.run(OPS['time-sync']).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ControlError);
    expect((e as ControlError).code).toBe('CONTROL_METER_REFUSED');
  });
});
