import { HEAD_END_CONTROL_LOG, HeadEndEventCode, memoryCounters } from '@openhes/control';
import type { CalendarSpec, Command } from '@openhes/core';
import {
  activeFirmware,
  buildImage,
  localDisconnect,
  manualDisconnect,
  manualReconnect,
  methodCount,
  relayState,
  setControlBehaviour,
  setControlMode,
} from '@openhes/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessSessions, TwinVault } from '../src/services/control.ts';
import { type ControlHarness, controlHarness } from './control-harness.ts';

const DISCONNECT = '0.0.96.3.10.255';
const LIMITER = '0.0.17.0.0.255';
const CALENDAR = '0.0.13.0.0.255';
const CLOCK = '0.0.1.0.0.255';
const IMAGE = '0.0.44.0.0.255';

// 40 consumer meters (single-phase and three-phase by the seed) and the transformer's CT meter.
// Firmware status is polled every 250 ms (a meter that verifies or activates for a while).
let h: ControlHarness;
beforeAll(async () => {
  h = await controlHarness(
    { meters: 40, mix: { residential: 0.6, commercial: 0.4 } },
    { control: { operationOptions: { firmware: { pollIntervalMs: 250 } } } },
  );
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const profileOf = (i: number): string => h.fleet.truth.identity(i).profile.id;
const ofProfile = (id: string): number[] =>
  Array.from({ length: h.fleet.size }, (_, i) => i).filter((i) => profileOf(i) === id);
const singlePhase = (): number[] => ofProfile('is15959-1ph');
const threePhase = (): number[] => ofProfile('is15959-3ph');

async function run(
  index: number,
  kind: Command['kind'],
  parameters: Record<string, unknown> = {},
): Promise<Command> {
  let c = await h.control.requestCommand(
    { kind, meterId: h.idOf(index), parameters, reason: 'test' },
    h.alice,
  );
  if (c.state === 'awaiting-approval') c = await h.control.approveCommand(c.id, h.bob);
  return h.settled(c.id);
}

const relay = (i: number) => relayState(h.fleet.truth, i, h.fleet.now());
const attr = (i: number, obis: string, a: number) =>
  (h.fleet.truth.attributeAt(i, obis, a, h.fleet.now()) as { value: unknown }).value;
const state = (i: number) => h.fleet.truth.state(i)!;

describe('meter control end to end against the simulator (the simulated meter’s state is checked)', () => {
  it('connect and disconnect in each control mode 0–7: allowed transitions done and read back, mode 1/3/5/6 reconnect only arms, mode 0 refused before anything is sent', async () => {
    const meters = singlePhase().slice(0, 8);
    expect(meters.length).toBe(8);
    await Promise.all(
      meters.map(async (i, mode) => {
        setControlMode(h.fleet.truth, i, mode);
        expect(relay(i)).toMatchObject({ output: true, control: 1, mode });
        const off = await run(i, 'disconnect');
        if (mode === 0) {
          expect(off.state).toBe('failed');
          expect(off.error?.code).toMatch(/MODE_FORBIDS/);
          expect(methodCount(h.fleet.truth, i, 70, DISCONNECT, 1)).toBe(0);
          expect(relay(i)).toMatchObject({ output: true, control: 1 });
          const on = await run(i, 'connect');
          // Already connected: nothing to send, or refused by the mode; never sent.
          expect(methodCount(h.fleet.truth, i, 70, DISCONNECT, 2)).toBe(0);
          expect(relay(i)).toMatchObject({ output: true, control: 1 });
          expect(['confirmed', 'failed']).toContain(on.state);
          return;
        }
        expect({ mode, state: off.state, error: off.error }).toEqual({
          mode,
          state: 'confirmed',
          error: null,
        });
        expect(relay(i)).toMatchObject({ output: false, control: 0 });
        expect(off.result).toMatchObject({ outputState: false, controlState: 0, controlMode: mode });
        expect(methodCount(h.fleet.truth, i, 70, DISCONNECT, 1)).toBe(1);
        const on = await run(i, 'connect');
        expect({ mode, state: on.state }).toEqual({ mode, state: 'confirmed' });
        expect(methodCount(h.fleet.truth, i, 70, DISCONNECT, 2)).toBe(1);
        if ([1, 3, 5, 6].includes(mode)) {
          expect(on.result).toMatchObject({ armed: true, controlState: 2, outputState: false });
          expect(relay(i)).toMatchObject({ output: false, control: 2 });
          // The customer presses the button: connected.
          expect(manualReconnect(h.fleet.truth, i, h.fleet.now())).toBe(true);
          expect(relay(i)).toMatchObject({ output: true, control: 1 });
        } else {
          expect(on.result).toMatchObject({ armed: false, controlState: 1, outputState: true });
          expect(relay(i)).toMatchObject({ output: true, control: 1 });
        }
      }),
    );
  });

  it('a meter without a relay (CT) and an unknown meter are refused at the request, nothing stored', async () => {
    const ct = h.fleet.size - 1;
    expect(profileOf(ct)).toBe('is15959-ct');
    await expect(
      h.control.requestCommand({ kind: 'disconnect', meterId: h.idOf(ct), reason: 'test' }, h.alice),
    ).rejects.toMatchObject({ code: 'CONTROL_UNSUPPORTED' });
    await expect(
      h.control.requestCommand({ kind: 'disconnect', meterId: 999_999, reason: 'test' }, h.alice),
    ).rejects.toMatchObject({ code: 'CONTROL_NOT_FOUND' });
    expect((await h.wired.store.commands.list({ meterId: h.idOf(ct) })).items).toEqual([]);
  });

  it('load limit, emergency profile activated and cleared: the limiter’s thresholds, group list and emergency state on the meter', async () => {
    const i = singlePhase()[8]!;
    const set = await run(i, 'load-limit', {
      thresholdNormal: 5000,
      thresholdEmergency: 2000,
      minOverThresholdSeconds: 60,
      minUnderThresholdSeconds: 30,
    });
    expect(set.state).toBe('confirmed');
    expect(state(i).limiter).toMatchObject({
      thresholdNormal: 5000,
      thresholdEmergency: 2000,
      minOverSeconds: 60,
      minUnderSeconds: 30,
    });
    const on = await run(i, 'emergency-activate', { profileId: 3, durationSeconds: 3600 });
    expect(on.state).toBe('confirmed');
    expect(state(i).limiter?.groupIds).toEqual([3]);
    expect(state(i).limiter?.emergencyProfile).toMatchObject({ id: 3, durationSeconds: 3600 });
    expect(attr(i, LIMITER, 10)).toBe(true);
    const off = await run(i, 'emergency-clear');
    expect(off.state).toBe('confirmed');
    expect(state(i).limiter?.groupIds ?? []).toEqual([]);
    expect(attr(i, LIMITER, 10)).toBe(false);
  });

  it('time of use: a passive calendar written and activated now becomes the active calendar; an invalid calendar refused; special days refused on a model without the table', async () => {
    const i = singlePhase()[9]!;
    const calendar: CalendarSpec = {
      name: 'TOU2',
      seasons: [{ name: 'S1', start: '01-01', week: 'W1' }],
      weeks: [{ name: 'W1', days: [1, 1, 1, 1, 1, 2, 2] }],
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
    };
    const c = await run(i, 'set-calendar', { calendar });
    expect({ state: c.state, error: c.error }).toEqual({ state: 'confirmed', error: null });
    const name = attr(i, CALENDAR, 2);
    expect(new TextDecoder().decode(name as Uint8Array)).toBe('TOU2');
    const bad = h.control.requestCommand(
      {
        kind: 'set-calendar',
        meterId: h.idOf(i),
        reason: 'test',
        parameters: { calendar: { ...calendar, weeks: [{ name: 'W1', days: [1, 1, 1, 1, 1, 9, 2] }] } },
      },
      h.alice,
    );
    await expect(bad).rejects.toMatchObject({ code: 'CONTROL_INVALID' });
    // The bundled IS 15959 profiles have a special days table (class 11): the entry lands on the meter.
    const days = await run(i, 'set-special-days', { days: [{ date: '12-25', dayId: 2 }] });
    expect({ state: days.state, error: days.error }).toEqual({ state: 'confirmed', error: null });
    expect(state(i).specialDays?.['0.0.11.0.0.255']?.map((d) => d.dayId)).toEqual([2]);
  });

  it('time: a small drift corrected by shift_time, a large one by setting the clock; time zone and DST written', async () => {
    const [small, large] = singlePhase().slice(10, 12) as [number, number];
    const now = h.fleet.now();
    h.fleet.truth.ensureState(small).clockSyncs.push({ at: now, offsetMs: 120_000 });
    h.fleet.truth.ensureState(large).clockSyncs.push({ at: now, offsetMs: 3 * 3_600_000 });
    const [a, b] = await Promise.all([run(small, 'time-sync'), run(large, 'time-sync')]);
    expect({ a: a.state, b: b.state, ea: a.error, eb: b.error }).toMatchObject({
      a: 'confirmed',
      b: 'confirmed',
    });
    expect(methodCount(h.fleet.truth, small, 8, CLOCK, 6)).toBe(1);
    expect(methodCount(h.fleet.truth, large, 8, CLOCK, 6)).toBe(0);
    for (const i of [small, large]) {
      const last = state(i).clockSyncs.at(-1)!;
      expect(Math.abs(last.offsetMs)).toBeLessThan(3000);
    }
    const cfg = await run(small, 'clock-config', {
      timeZoneMinutes: -60,
      dstEnabled: true,
      dstDeviationMinutes: 60,
    });
    expect(cfg.state).toBe('confirmed');
    expect(state(small).clock).toMatchObject({ timeZone: -60, dstEnabled: true, dstDeviation: 60 });
  });

  it('push setup: destination, randomisation and retries written and read back', async () => {
    const i = threePhase()[0]!;
    const c = await run(i, 'push-setup', {
      destination: '127.0.0.1:4999',
      randomisationSeconds: 30,
      retries: 2,
      repetitionDelaySeconds: 10,
    });
    expect({ state: c.state, error: c.error }).toEqual({ state: 'confirmed', error: null });
    expect(Object.values(state(i).pushDestinations ?? {})).toContain('127.0.0.1:4999');
    expect(Object.values(state(i).push ?? {})[0]).toMatchObject({ randomisationSeconds: 30, retries: 2 });
  });

  it('firmware: an uploaded image transferred, verified and activated; the meter reports the new identifier and the registry follows', async () => {
    const i = threePhase()[1]!;
    const before = activeFirmware(h.fleet.truth, i, h.fleet.now());
    const image = await h.control.uploadImage(
      { identifier: 'OS3P-02.00', version: 'OS3P-02.00', deviceProfiles: [profileOf(i)] },
      buildImage('OS3P-02.00', 3000),
      h.alice,
    );
    const c = await run(i, 'firmware-update', { imageId: image.id });
    expect({ state: c.state, error: c.error }).toEqual({ state: 'confirmed', error: null });
    expect(before).not.toBe('OS3P-02.00');
    expect(activeFirmware(h.fleet.truth, i, h.fleet.now())).toBe('OS3P-02.00');
    expect(methodCount(h.fleet.truth, i, 18, IMAGE, 1)).toBe(1);
    expect((await h.wired.store.meters.get(h.idOf(i)))?.firmwareVersion).toBe('OS3P-02.00');
  });

  it('key rotation, then a normal read with the new keys; the old keys are refused', async () => {
    const i = threePhase()[2]!;
    const id = h.idOf(i);
    const old = new TwinVault();
    for (const p of ['guek', 'gak', 'lls-password', 'kek'] as const) {
      const k = await h.wired.vault.get(id, p);
      if (k !== null) await old.put(id, p, k);
    }
    const c = await run(i, 'key-rotation');
    expect({ state: c.state, error: c.error }).toEqual({ state: 'confirmed', error: null });
    expect(state(i).keyChanges?.length).toBe(2);
    const newEk = await h.wired.vault.get(id, 'guek');
    expect(Buffer.from(newEk!).equals(Buffer.from((await old.get(id, 'guek'))!))).toBe(false);
    const read = await h.ctx.collection!.acquisition.readNow(id, ['registers']);
    expect(read.status).toBe('success');
    expect(read.readingsStored).toBeGreaterThan(0);
    const withOld = accessSessions({
      store: {
        meters: h.wired.store.meters,
        counters: memoryCounters(),
        keys: h.wired.store.keys,
        audit: { append: async () => {} } as never,
      },
      vault: old,
      profiles: h.wired.profiles,
      options: { connectTimeoutMs: 2000, responseTimeoutMs: 2000 },
    });
    // The meter refuses the association with the old keys (authentication failure in the AARE).
    await expect(withOld.withMeter(id, { urgent: false }, (d) => d.readClock())).rejects.toMatchObject({
      code: 'DRIVER_ASSOCIATION_REJECTED',
    });
  });

  it('a dry-run campaign rehearses on twins: per-meter results, no real meter touched', async () => {
    const meters = [singlePhase()[9]!, threePhase()[3]!, threePhase()[4]!];
    const before = meters.map((i) => methodCount(h.fleet.truth, i, 70, DISCONNECT, 1));
    const campaign = await h.control.requestCampaign(
      {
        name: 'rehearsal',
        kind: 'disconnect',
        target: { meterIds: meters.map(h.idOf) },
        reason: 'test',
        dryRun: true,
      },
      h.alice,
    );
    expect(campaign).toMatchObject({ dryRun: true, state: 'running', meterCount: 3 });
    const commands = (await h.wired.store.commands.list({ campaignId: campaign.id })).items;
    const done = await Promise.all(commands.map((c) => h.settled(c.id)));
    expect(done.map((c) => c.state)).toEqual(['confirmed', 'confirmed', 'confirmed']);
    expect(done.every((c) => c.result?.outputState === false)).toBe(true);
    expect(meters.map((i) => methodCount(h.fleet.truth, i, 70, DISCONNECT, 1))).toEqual(before);
    expect(meters.map((i) => relay(i).output)).toEqual([true, true, true]);
  });
  it('refused transitions end to end: in modes 2 and 4 a relay left ready_for_reconnection (the customer’s button in mode 2, the limiter in mode 4) refuses a remote connect before anything is sent; in mode 7 the connect closes it', async () => {
    const [m2, m4, m7] = singlePhase().slice(12, 15) as [number, number, number];
    expect(m7).toBeDefined();
    const now = h.fleet.now();
    setControlMode(h.fleet.truth, m2, 2);
    setControlMode(h.fleet.truth, m4, 4);
    setControlMode(h.fleet.truth, m7, 7);
    expect(manualDisconnect(h.fleet.truth, m2, now)).toBe(true);
    // Mode 4 has no manual disconnection: the limiter (a local disconnection) opens the relay.
    expect(manualDisconnect(h.fleet.truth, m4, now)).toBe(false);
    expect(localDisconnect(h.fleet.truth, m4, now)).toBe(true);
    expect(localDisconnect(h.fleet.truth, m7, now)).toBe(true);
    for (const [i, mode] of [
      [m2, 2],
      [m4, 4],
      [m7, 7],
    ] as const)
      expect(relay(i)).toEqual({ output: false, control: 2, mode });
    for (const i of [m2, m4]) {
      const on = await run(i, 'connect');
      expect({ state: on.state, code: on.error?.code }).toEqual({
        state: 'failed',
        code: 'CONTROL_MODE_FORBIDS',
      });
      // Refused before anything was sent: no remote_reconnect reached the meter, the relay is as it was.
      expect(methodCount(h.fleet.truth, i, 70, DISCONNECT, 2)).toBe(0);
      expect(relay(i)).toMatchObject({ output: false, control: 2 });
    }
    const on = await run(m7, 'connect');
    expect({ state: on.state, error: on.error }).toEqual({ state: 'confirmed', error: null });
    expect(on.result).toMatchObject({ armed: false, outputState: true, controlState: 1, controlMode: 7 });
    expect(methodCount(h.fleet.truth, m7, 70, DISCONNECT, 2)).toBe(1);
    expect(relay(m7)).toEqual({ output: true, control: 1, mode: 7 });
  });

  it('a relay change nobody ordered: the customer’s manual disconnection, once a read collects the meter’s event, becomes an event of the head end’s own (log 0.0.99.98.128.255, code 9001) through the wiring of hes start', async () => {
    const i = singlePhase()[15]!;
    const id = h.idOf(i);
    setControlMode(h.fleet.truth, i, 2);
    expect(manualDisconnect(h.fleet.truth, i, h.fleet.now())).toBe(true);
    expect(relay(i)).toMatchObject({ output: false, control: 2 });
    await new Promise((r) => setTimeout(r, 1100));
    const read = await h.ctx.collection!.acquisition.readNow(id, ['events']);
    expect(read.status).toBe('success');
    const meterEvent = (await h.wired.store.events.list({ meterId: id, limit: 1000 })).items.find(
      (e) => e.category === 'disconnector' && e.log !== HEAD_END_CONTROL_LOG,
    );
    expect(meterEvent).toBeDefined();
    const until = Date.now() + 20_000;
    let ours: { code: number; ts: number }[] = [];
    while (ours.length === 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      ours = (await h.wired.store.events.list({ meterId: id, limit: 1000 })).items.filter(
        (e) => e.log === HEAD_END_CONTROL_LOG,
      );
    }
    expect(ours.map((e) => ({ code: e.code, ts: e.ts }))).toEqual([
      { code: HeadEndEventCode.relayUnordered, ts: meterEvent!.ts },
    ]);
    const audit = await h.wired.store.audit.list({ target: `meter:${id}`, limit: 100 });
    expect(audit.items.some((a) => a.action === 'relay.unordered')).toBe(true);
  });

  it('firmware on a meter that takes its time: verify and activate answer temporary-failure, the head end polls image_transfer_status and confirms (each method sent once)', async () => {
    const i = threePhase()[5]!;
    setControlBehaviour(h.fleet.truth, i, { verifyMs: 1500, activateMs: 1500 });
    const version = 'OS3P-02.50';
    const image = await h.control.uploadImage(
      { identifier: version, version, deviceProfiles: [profileOf(i)] },
      buildImage(version, 2000),
      h.alice,
    );
    const c = await run(i, 'firmware-update', { imageId: image.id });
    expect({ state: c.state, error: c.error }).toEqual({ state: 'confirmed', error: null });
    expect(c.result).toMatchObject({ activeFirmware: version, confirmedBy: 'identifier' });
    expect(activeFirmware(h.fleet.truth, i, h.fleet.now())).toBe(version);
    // verify once (it answered temporary-failure and was polled, not sent again); activate only
    // once verified (an activate during verification would have been refused and counted), once.
    expect(methodCount(h.fleet.truth, i, 18, IMAGE, 1)).toBe(1);
    expect(methodCount(h.fleet.truth, i, 18, IMAGE, 3)).toBe(1);
    expect(methodCount(h.fleet.truth, i, 18, IMAGE, 4)).toBe(1);
    expect(state(i).image?.status).toBe(6);
  });

  it('a dry-run firmware campaign with a vendor’s image (not the simulator’s format) passes on the twins, which accept any image; the real meters untouched', async () => {
    const meters = threePhase().slice(6, 8);
    expect(meters.length).toBe(2);
    const vendor = Uint8Array.from({ length: 3000 }, (_, k) => (k * 131 + 17) & 0xff);
    const image = await h.control.uploadImage(
      { identifier: 'VND3P-7', version: 'OS3P-07.00', deviceProfiles: [profileOf(meters[0]!)] },
      vendor,
      h.alice,
    );
    const before = meters.map((i) => activeFirmware(h.fleet.truth, i, h.fleet.now()));
    let campaign = await h.control.requestCampaign(
      {
        name: 'fw rehearsal',
        kind: 'firmware-update',
        target: { meterIds: meters.map(h.idOf) },
        parameters: { imageId: image.id },
        reason: 'maintenance',
        dryRun: true,
      },
      h.alice,
    );
    if (campaign.state === 'awaiting-approval')
      campaign = await h.control.approveCampaign(campaign.id, h.bob);
    const commands = (await h.wired.store.commands.list({ campaignId: campaign.id })).items;
    const done = await Promise.all(commands.map((c) => h.settled(c.id)));
    expect(done.map((c) => ({ state: c.state, error: c.error }))).toEqual([
      { state: 'confirmed', error: null },
      { state: 'confirmed', error: null },
    ]);
    expect(done.every((c) => c.result?.activeFirmware === 'OS3P-07.00')).toBe(true);
    expect(meters.map((i) => activeFirmware(h.fleet.truth, i, h.fleet.now()))).toEqual(before);
    expect(meters.map((i) => methodCount(h.fleet.truth, i, 18, IMAGE, 1))).toEqual([0, 0]);
  });

  it('time sync keeps off each model’s own capture boundaries (from its device profile): at 4 s past a quarter hour that is no half hour, the CT meter (30-minute block profile) is set at once, the single-phase one (15 minutes) waits', async () => {
    const ct = h.fleet.size - 1;
    const one = singlePhase()[16]!;
    expect(profileOf(ct)).toBe('is15959-ct');
    const HALF_HOUR = 1_800_000;
    // The head end's own instant is kept off boundaries too: start well inside a half hour.
    for (;;) {
      const pos = Date.now() % HALF_HOUR;
      if (pos > 15_000 && pos < HALF_HOUR - 30_000) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    // Both meters' clocks at the next instant 15 min + 4 s past a half hour, at least a minute off.
    const now = h.fleet.now();
    let target = now - (now % HALF_HOUR) + 904_000;
    while (target - now < 60_000) target += HALF_HOUR;
    for (const i of [ct, one]) {
      const t = h.fleet.now();
      h.fleet.truth.ensureState(i).clockSyncs.push({ at: t, offsetMs: target - t });
    }
    const [a, b] = await Promise.all([run(ct, 'time-sync'), run(one, 'time-sync')]);
    expect({ state: a.state, error: a.error }).toEqual({ state: 'confirmed', error: null });
    expect({ state: b.state, error: b.error }).toEqual({ state: 'confirmed', error: null });
    expect(a.result?.waitedMs).toBe(0);
    expect(b.result?.waitedMs).toBeGreaterThan(0);
    for (const i of [ct, one]) expect(Math.abs(state(i).clockSyncs.at(-1)!.offsetMs)).toBeLessThan(3000);
  });
});
