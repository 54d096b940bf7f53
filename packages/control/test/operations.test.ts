import { CommandKind } from '@openhes/core';
import { DriverError, DriverErrorCode } from '@openhes/drivers';
import { describe, expect, it } from 'vitest';
import { ControlError } from '../src/errors.ts';
import { controlError, createOperations, OPERATIONS } from '../src/operations/index.ts';
import { Harness, imageBytes, METER, MemoryVault } from './operations-fake.ts';

async function failure(p: Promise<unknown>): Promise<ControlError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ControlError);
    return e as ControlError;
  }
  throw new Error('the operation was confirmed');
}

describe('OPERATIONS', () => {
  it('has an operation for every command kind', () => {
    expect(Object.keys(OPERATIONS).sort()).toEqual(Object.values(CommandKind).sort());
  });

  it('maps driver failures: link after sending → outcome unknown, temporary failure retryable, refusals not', () => {
    const link = controlError(new DriverError(DriverErrorCode.Timeout, 't'), { sent: true }) as ControlError;
    expect([link.code, link.retryable, link.outcomeUnknown]).toEqual(['CONTROL_LINK', true, true]);
    const before = controlError(new DriverError(DriverErrorCode.Transport, 't')) as ControlError;
    expect([before.code, before.retryable, before.outcomeUnknown]).toEqual(['CONTROL_LINK', true, false]);
    const busy = controlError(new DriverError(DriverErrorCode.TemporaryFailure, 't')) as ControlError;
    expect([busy.code, busy.retryable]).toEqual(['CONTROL_TEMPORARY_FAILURE', true]);
    const refused = controlError(
      new DriverError(DriverErrorCode.Refused, 'r', { detail: { actionResult: 3 } }),
    ) as ControlError;
    expect([refused.code, refused.retryable, refused.detail?.actionResult]).toEqual([
      'CONTROL_METER_REFUSED',
      false,
      3,
    ]);
    const mode = controlError(
      new DriverError(DriverErrorCode.ModeForbids, 'm', { retryable: false }),
    ) as ControlError;
    expect([mode.code, mode.retryable]).toEqual(['CONTROL_MODE_FORBIDS', false]);
    const readback = controlError(new DriverError(DriverErrorCode.ReadbackMismatch, 'x')) as ControlError;
    expect(readback.code).toBe('CONTROL_NOT_CONFIRMED');
    const other = new Error('store');
    expect(controlError(other)).toBe(other);
  });
});

describe('disconnect and connect', () => {
  it('disconnect: final read stored, one remote_disconnect, confirmed by the state read back', async () => {
    const h = new Harness('disconnect');
    const out = await h.run(OPERATIONS.disconnect);
    expect(h.meter.controlState).toBe(0);
    expect(h.meter.outputState).toBe(false);
    expect(h.meter.count('remote_disconnect')).toBe(1);
    expect(h.stored).toHaveLength(1);
    expect(out.result).toMatchObject({ controlState: 0, outputState: false, sent: true, finalRead: 1 });
    // The marker was saved before the method, after the final read it records.
    expect(h.progressLog[0]).toEqual({ step: 'disconnect-sending', finalRead: 1 });
  });

  it('disconnect without a final read stores nothing', async () => {
    const h = new Harness('disconnect', { finalRead: false });
    await h.run(OPERATIONS.disconnect);
    expect(h.stored).toHaveLength(0);
    expect(h.meter.controlState).toBe(0);
  });

  it('each control mode: disconnect from connected, reconnect from disconnected', async () => {
    for (const mode of [0, 1, 2, 3, 4, 5, 6]) {
      const d = new Harness('disconnect');
      d.meter.controlMode = mode;
      if (mode === 0) {
        const e = await failure(d.run(OPERATIONS.disconnect));
        expect([e.code, e.retryable]).toEqual(['CONTROL_MODE_FORBIDS', false]);
        expect(d.meter.count('remote_disconnect')).toBe(0);
        expect(d.meter.controlState).toBe(1);
      } else {
        await d.run(OPERATIONS.disconnect);
        expect(d.meter.controlState, `mode ${mode}`).toBe(0);
      }

      const c = new Harness('connect');
      c.meter.controlMode = mode;
      c.meter.controlState = 0;
      c.meter.outputState = false;
      if (mode === 0) {
        const e = await failure(c.run(OPERATIONS.connect));
        expect(e.code).toBe('CONTROL_MODE_FORBIDS');
        expect(c.meter.count('remote_reconnect')).toBe(0);
        continue;
      }
      const out = await c.run(OPERATIONS.connect);
      expect(c.meter.count('remote_reconnect')).toBe(1);
      if ([1, 3, 5, 6].includes(mode)) {
        expect(out.result).toMatchObject({ armed: true, controlState: 2, outputState: false });
        expect([c.meter.controlState, c.meter.outputState], `mode ${mode}`).toEqual([2, false]);
      } else {
        expect(out.result).toMatchObject({ armed: false, controlState: 1, outputState: true });
        expect([c.meter.controlState, c.meter.outputState], `mode ${mode}`).toEqual([1, true]);
      }
    }
  });

  it('an armed relay (ready_for_reconnection) can be disconnected remotely (transition c)', async () => {
    for (const mode of [1, 3, 5, 6]) {
      const h = new Harness('disconnect', { finalRead: false });
      h.meter.controlMode = mode;
      h.meter.controlState = 2;
      h.meter.outputState = false;
      const out = await h.run(OPERATIONS.disconnect);
      expect(out.result).toMatchObject({ controlState: 0, sent: true });
      expect(h.meter.controlState, `mode ${mode}`).toBe(0);
    }
  });

  it('a meter without a relay is refused clearly, not retried', async () => {
    const h = new Harness('disconnect');
    h.meter.relay = false;
    const e = await failure(h.run(OPERATIONS.disconnect));
    expect([e.code, e.retryable, h.command.attempts]).toEqual(['CONTROL_UNSUPPORTED', false, 1]);
    expect(e.message).toMatch(/no relay/);
  });

  it('after an unknown outcome the state is read and remote_disconnect is not sent again', async () => {
    const h = new Harness('disconnect');
    h.meter.faults.push({ request: 'remote_disconnect', when: 'after' });
    const first = await failure(h.attempt(OPERATIONS.disconnect));
    expect([first.code, first.retryable, first.outcomeUnknown]).toEqual(['CONTROL_LINK', true, true]);
    h.reconnect();
    const reads = h.meter.seen.get('read') ?? 0;
    const out = await h.attempt(OPERATIONS.disconnect);
    expect(h.meter.count('remote_disconnect')).toBe(1);
    expect(out.result).toMatchObject({ controlState: 0, sent: false, resumed: true, finalRead: 1 });
    // The driver's own pre-read decided: no separate readDisconnector, no second final read.
    expect(h.meter.seen.get('read') ?? 0).toBe(reads);
    expect(h.meter.seen.get('readRegisters')).toBe(1);
    expect(h.stored).toHaveLength(1);
  });

  it('after an unknown outcome whose method never arrived, the resumed attempt sends it once, without a second final read', async () => {
    const h = new Harness('disconnect');
    h.meter.faults.push({ request: 'remote_disconnect', when: 'before' });
    const first = await failure(h.attempt(OPERATIONS.disconnect));
    expect(first.outcomeUnknown).toBe(true);
    h.reconnect();
    const out = await h.attempt(OPERATIONS.disconnect);
    expect(out.result).toMatchObject({ controlState: 0, sent: true, resumed: true, finalRead: 1 });
    expect([h.meter.count('remote_disconnect'), h.meter.controlState]).toEqual([1, 0]);
    expect(h.meter.seen.get('readRegisters')).toBe(1);
  });

  it('after a drop before the method reached the meter, the next attempt sends it once', async () => {
    const h = new Harness('disconnect');
    h.meter.faults.push({ request: 'remote_disconnect', when: 'before' });
    await h.run(OPERATIONS.disconnect);
    expect(h.command.attempts).toBe(2);
    expect(h.meter.count('remote_disconnect')).toBe(1);
    expect(h.meter.controlState).toBe(0);
  });

  it('connect in mode 1 after an unknown outcome: armed is found, nothing resent', async () => {
    const h = new Harness('connect');
    h.meter.controlMode = 1;
    h.meter.controlState = 0;
    h.meter.outputState = false;
    h.meter.faults.push({ request: 'remote_reconnect', when: 'after' });
    const out = await h.run(OPERATIONS.connect);
    expect(h.meter.count('remote_reconnect')).toBe(1);
    expect(out.result).toMatchObject({ armed: true, resumed: true, sent: false });
  });
});

describe('load limiting', () => {
  it('thresholds in physical units written with the scaler and read back', async () => {
    const h = new Harness('load-limit', {
      thresholdNormal: 5000,
      thresholdEmergency: 2004,
      minOverThresholdSeconds: 60,
    });
    const out = await h.run(OPERATIONS['load-limit']);
    expect(h.meter.limiter.thresholdNormal).toBe(500);
    expect(h.meter.limiter.thresholdEmergency).toBe(200);
    expect(h.meter.limiter.minOver).toBe(60);
    expect(out.result).toMatchObject({
      thresholdNormal: 5000,
      thresholdEmergency: 2000,
      minOverThresholdSeconds: 60,
    });
  });

  it('a meter that keeps its old values is not confirmed', async () => {
    const h = new Harness('load-limit', { thresholdNormal: 5000 });
    h.meter.limiterIgnoresWrites = true;
    const e = await failure(h.run(OPERATIONS['load-limit']));
    expect([e.code, e.detail?.field]).toEqual(['CONTROL_NOT_CONFIRMED', 'thresholdNormal']);
  });

  it('emergency profile activated now for its group, then cleared', async () => {
    const h = new Harness('emergency-activate', {
      profileId: 3,
      durationSeconds: 3600,
      thresholdEmergency: 1500,
    });
    const out = await h.run(OPERATIONS['emergency-activate']);
    expect(h.meter.emergencyActive()).toBe(true);
    expect(h.meter.limiter.groupIds).toEqual([3]);
    expect(out.result).toMatchObject({ emergencyProfileActive: true, thresholdActive: 1500 });

    const c = new Harness('emergency-clear');
    Object.assign(c.meter.limiter, h.meter.limiter);
    await c.run(OPERATIONS['emergency-clear']);
    expect(c.meter.limiter.groupIds).toEqual([]);
    expect(c.meter.emergencyActive()).toBe(false);
  });

  it('an emergency profile starting later is confirmed by the profile read back, not active yet', async () => {
    const h = new Harness('emergency-activate', { profileId: 3, durationSeconds: 600 });
    h.command.parameters.activateAt = h.time.now() + 3_600_000;
    const out = await h.run(OPERATIONS['emergency-activate']);
    expect(out.result).toMatchObject({ emergencyProfileId: 3, emergencyProfileActive: false });
    await h.time.sleep(3_600_000);
    expect(h.meter.emergencyActive()).toBe(true);
  });
});

const CALENDAR = {
  name: 'TOU',
  seasons: [
    { name: 'W', start: '01-01', week: 'wk' },
    { name: 'S', start: '04-01', week: 'we' },
    { name: 'A', start: '10-01', week: 'wk' },
  ],
  weeks: [
    { name: 'wk', days: [1, 1, 1, 1, 1, 2, 2] },
    { name: 'we', days: [2, 2, 2, 2, 2, 2, 2] },
  ],
  days: [
    {
      id: 1,
      schedule: [
        { start: '00:00', tariff: 1 },
        { start: '07:30', tariff: 2 },
      ],
    },
    { id: 2, schedule: [{ start: '00:00', tariff: 3, script: '0.0.10.0.101.255' }] },
  ],
};

describe('calendar and special days', () => {
  it('written passive, activated now, active equals what was asked', async () => {
    const h = new Harness('set-calendar', { calendar: CALENDAR });
    const out = await h.run(OPERATIONS['set-calendar']);
    const active = h.meter.active;
    expect(active).not.toBeNull();
    expect(String.fromCharCode(...(active?.calendarName ?? []))).toBe('TOU');
    expect(active?.seasonProfile.map((s) => [s.start.year, s.start.month, s.start.dayOfMonth])).toEqual([
      [0xffff, 1, 1],
      [0xffff, 4, 1],
      [0xffff, 10, 1],
    ]);
    const day1 = active?.dayProfileTable[0]?.schedule[1];
    expect([day1?.startTime.hour, day1?.startTime.minute, day1?.scriptSelector]).toEqual([7, 30, 2]);
    expect(day1?.scriptLogicalName).toEqual([0, 0, 10, 0, 100, 255]);
    expect(active?.dayProfileTable[1]?.schedule[0]?.scriptLogicalName).toEqual([0, 0, 10, 0, 101, 255]);
    expect(out.result).toMatchObject({ activated: 'now', seasons: 3, weeks: 2, days: 2 });
  });

  it('activated at a time: the passive is written, the activation instant handed to the driver', async () => {
    const h = new Harness('set-calendar', { calendar: CALENDAR });
    const at = Date.UTC(2027, 5, 1, 0, 0, 0);
    h.command.parameters.activateAt = at;
    await h.run(OPERATIONS['set-calendar']);
    expect(h.meter.active).toBeNull();
    expect(h.meter.passive?.seasonProfile).toHaveLength(3);
    expect(h.meter.activationTime).toBe(at);
  });

  it('a meter that keeps fewer seasons than written is not confirmed', async () => {
    const h = new Harness('set-calendar', { calendar: CALENDAR });
    h.meter.seasonCapacity = 2;
    const e = await failure(h.run(OPERATIONS['set-calendar']));
    expect([e.code, e.detail?.attribute]).toEqual(['CONTROL_NOT_CONFIRMED', 'season_profile']);
  });

  it('special days written whole and read back; a model without the table is refused', async () => {
    const h = new Harness('set-special-days', {
      days: [
        { date: '12-25', dayId: 2 },
        { date: '2027-04-05', dayId: 2 },
      ],
    });
    const out = await h.run(OPERATIONS['set-special-days']);
    expect(
      h.meter.specialDays?.map((d) => [d.index, d.date.year, d.date.month, d.date.dayOfMonth, d.dayId]),
    ).toEqual([
      [0, 0xffff, 12, 25, 2],
      [1, 2027, 4, 5, 2],
    ]);
    expect(out.result).toEqual({ entries: 2 });

    const none = new Harness('set-special-days', { days: [] });
    none.meter.specialDays = null;
    const e = await failure(none.run(OPERATIONS['set-special-days']));
    expect(e.code).toBe('CONTROL_UNSUPPORTED');
  });
});

describe('time', () => {
  const QUARTER = 900_000;

  it('drift within tolerance: reported, nothing sent', async () => {
    const h = new Harness('time-sync');
    h.meter.offsetMs = 800;
    const out = await h.run(OPERATIONS['time-sync']);
    expect(out.result).toMatchObject({ action: 'none', driftMs: 800 });
    expect(h.meter.count('shift_time') + h.meter.count('set_time')).toBe(0);
  });

  it('small drift: shift_time by the drift; large drift: set', async () => {
    const h = new Harness('time-sync');
    h.meter.offsetMs = 30_000;
    const out = await h.run(OPERATIONS['time-sync']);
    expect(out.result).toMatchObject({ action: 'shift', shiftSeconds: -30, driftAfterMs: 0 });
    expect(h.meter.offsetMs).toBe(0);
    expect(h.meter.count('shift_time')).toBe(1);

    const big = new Harness('time-sync');
    big.meter.offsetMs = -2_000_000;
    const b = await big.run(OPERATIONS['time-sync']);
    expect(b.result).toMatchObject({ action: 'set' });
    expect(big.meter.count('set_time')).toBe(1);
    expect(Math.abs(big.meter.offsetMs)).toBeLessThan(1000);
  });

  it('never adjusts within the guard of a capture boundary: waits past it first', async () => {
    const h = new Harness('time-sync', { boundaryGuardSeconds: 10 });
    // Meter at xx:14:55 (5 s before the quarter), 20 s fast.
    h.meter.offsetMs = 20_000;
    const meterNow = Math.floor(h.time.now() / QUARTER) * QUARTER + QUARTER - 5_000;
    h.time.t = meterNow - h.meter.offsetMs;
    let adjustedAt = -1;
    const shift = h.meter.method.bind(h.meter);
    h.meter.method = (name, act) => {
      if (name === 'shift_time') adjustedAt = h.meter.meterTime();
      shift(name, act);
    };
    const out = await h.run(OPERATIONS['time-sync']);
    const pos = adjustedAt % QUARTER;
    expect(pos >= 10_000 && pos <= QUARTER - 10_000).toBe(true);
    expect(out.result).toMatchObject({ action: 'shift' });
    expect(out.result.waitedMs).toBeGreaterThan(0);
  });

  it('shift_time is not repeated after an unknown outcome: the clock is read first', async () => {
    const h = new Harness('time-sync');
    h.meter.offsetMs = 60_000;
    h.meter.faults.push({ request: 'shift_time', when: 'after' });
    const first = await failure(h.attempt(OPERATIONS['time-sync']));
    expect(first.outcomeUnknown).toBe(true);
    h.reconnect();
    const out = await h.attempt(OPERATIONS['time-sync']);
    expect(out.result).toMatchObject({ action: 'none' });
    expect(h.meter.count('shift_time')).toBe(1);
    expect(h.meter.offsetMs).toBe(0);
  });

  it('clock-config writes time zone and DST, read back', async () => {
    const h = new Harness('clock-config', {
      timeZoneMinutes: -60,
      dstEnabled: true,
      dstDeviationMinutes: 60,
      dstBegin: '2027-03-28T02:00',
      dstEnd: '2027-10-31T03:00',
    });
    const out = await h.run(OPERATIONS['clock-config']);
    expect(h.meter.clockSettings.timeZone).toBe(-60);
    expect(h.meter.clockSettings.daylightSavingsEnabled).toBe(true);
    expect(h.meter.clockSettings.daylightSavingsBegin).toMatchObject({
      year: 2027,
      month: 3,
      dayOfMonth: 28,
      hour: 2,
    });
    expect(out.result).toMatchObject({ timeZoneMinutes: -60, dstEnabled: true });
  });
});

describe('firmware', () => {
  const SIZE = 1000; // 16 blocks of 64 bytes, the last 40
  const BLOCKS = 16;
  const fast = createOperations({ firmware: { pollIntervalMs: 1000, restartWaitMs: 1000 } });

  function harness(corrupt = false): Harness {
    const h = new Harness('firmware-update', { imageId: 1 });
    h.images.add('FW-2.0', '2.0', imageBytes(SIZE, corrupt));
    h.meter.versions.set('FW-2.0', '2.0');
    return h;
  }

  it('initiate once, every block once, verify, activate, confirmed by the active identifier', async () => {
    const h = harness();
    const out = await h.run(fast['firmware-update']);
    expect(h.meter.count('image_transfer_initiate')).toBe(1);
    expect(h.meter.count('image_block_transfer')).toBe(BLOCKS);
    expect(h.meter.count('image_verify')).toBe(1);
    expect(h.meter.count('image_activate')).toBe(1);
    expect(h.meter.activeFirmware).toBe('2.0');
    expect(out.meterPatch).toEqual({ firmwareVersion: '2.0' });
    expect(out.result).toMatchObject({ blocksSent: BLOCKS, blockCount: BLOCKS, confirmedBy: 'identifier' });
    // {initiated, sha256} saved before initiate.
    const marker = h.progressLog.findIndex((p) => p.initiated === true);
    expect(marker).toBeGreaterThanOrEqual(0);
  });

  it('a link drop mid-transfer resumes from the first missing block, never initiating again', async () => {
    for (const when of ['before', 'after'] as const) {
      const h = harness();
      h.meter.faults.push({ request: 'image_block_transfer', nth: 7, when });
      const out = await h.run(fast['firmware-update']);
      expect(h.command.attempts).toBe(2);
      expect(h.meter.count('image_transfer_initiate'), when).toBe(1);
      // Lost: the one block whose answer (or request) the drop swallowed.
      expect(h.meter.count('image_block_transfer')).toBeLessThanOrEqual(BLOCKS + 1);
      expect(out.result.blocksSent as number).toBeLessThanOrEqual(BLOCKS + 1);
      expect(h.meter.activeFirmware).toBe('2.0');
    }
  });

  it('a drop right after initiate: the next attempt finds it initiated and does not initiate again', async () => {
    const h = harness();
    h.meter.faults.push({ request: 'image_transfer_initiate', when: 'after' });
    const first = await failure(h.attempt(fast['firmware-update']));
    expect([first.code, first.outcomeUnknown]).toEqual(['CONTROL_LINK', true]);
    h.reconnect();
    await h.attempt(fast['firmware-update']);
    expect(h.meter.count('image_transfer_initiate')).toBe(1);
    expect(h.meter.count('image_block_transfer')).toBe(BLOCKS);
  });

  it('blocks the meter lost are found in the bitmap and resent', async () => {
    const h = harness();
    h.meter.loseBlocks = new Set([3, 9]);
    const out = await h.run(fast['firmware-update']);
    expect(h.command.attempts).toBe(1);
    expect(h.meter.count('image_block_transfer')).toBe(BLOCKS + 2);
    expect(out.result.blocksSent).toBe(BLOCKS + 2);
  });

  it('a corrupted image fails verification and leaves the old firmware active', async () => {
    const h = harness(true);
    const e = await failure(h.run(fast['firmware-update']));
    expect([e.code, e.retryable]).toEqual(['CONTROL_VERIFY_FAILED', false]);
    expect(e.detail?.activeFirmware).toBe('1.0');
    expect(h.meter.activeFirmware).toBe('1.0');
    expect(h.meter.count('image_activate')).toBe(0);
  });

  it('a meter that restarts on activation is confirmed in a new session', async () => {
    const h = harness();
    h.meter.restartsOnActivate = true;
    const out = await h.run(fast['firmware-update']);
    expect(h.meter.count('image_activate')).toBe(1);
    expect(out.meterPatch).toEqual({ firmwareVersion: '2.0' });
  });

  it('waits for activateAt before activating', async () => {
    const h = harness();
    const at = h.time.now() + 3_600_000;
    h.command.parameters.activateAt = at;
    await h.run(fast['firmware-update']);
    expect(h.time.now()).toBeGreaterThanOrEqual(at);
    expect(h.meter.activeFirmware).toBe('2.0');
  });

  it('a meter with an activation schedule: written after verification, the command waits in the queue (no slot, no attempt), the meter activates by itself', async () => {
    const h = harness();
    h.meter.offersSchedule = true;
    const at = h.time.now() + 6 * 3_600_000;
    h.command.parameters.activateAt = at;
    const first = await failure(h.attempt(fast['firmware-update']));
    expect([first.code, first.retryable, first.retryAt]).toEqual(['CONTROL_WAITING', true, at + 60_000]);
    // Verified and scheduled on the meter; not activated, nothing slept in process.
    expect([h.meter.imageStatus, h.meter.scheduledActivation, h.meter.activeFirmware]).toEqual([
      3,
      at,
      '1.0',
    ]);
    expect(h.time.now()).toBeLessThan(at);
    expect(h.command.progress).toMatchObject({ step: 'activation-scheduled', scheduledAt: at });
    // Picked up again too early (a restart): it waits again without opening a session.
    const sessions = h.meter.sessions;
    const early = await failure(h.attempt(fast['firmware-update']));
    expect(early.retryAt).toBe(at + 60_000);
    expect(h.meter.sessions).toBe(sessions);
    h.time.t = at + 60_000;
    const out = await h.attempt(fast['firmware-update']);
    expect(out.result).toMatchObject({
      confirmedBy: 'identifier',
      activatedBy: 'meter-schedule',
      scheduledAt: at,
    });
    expect(out.meterPatch).toEqual({ firmwareVersion: '2.0' });
    expect(h.meter.count('image_activate')).toBe(0);
    expect(h.meter.count('image_transfer_initiate')).toBe(1);
    expect(h.meter.count('image_block_transfer')).toBe(BLOCKS);
  });

  it('a schedule that did not run by its time and grace is emptied and the image activated by the method, once', async () => {
    const h = harness();
    h.meter.offersSchedule = true;
    h.meter.scheduleRuns = false;
    const at = h.time.now() + 3_600_000;
    h.command.parameters.activateAt = at;
    const out = await h.run(fast['firmware-update']);
    expect(h.waits).toEqual([at + 60_000]);
    expect(h.meter.scheduledActivation).toBeUndefined();
    expect(h.meter.count('image_activate')).toBe(1);
    expect(h.meter.activeFirmware).toBe('2.0');
    expect(out.result).toMatchObject({ confirmedBy: 'identifier', activatedBy: 'image-activate' });
  });

  it('a meter refusing the schedule, or holding another time, is activated by the method after the in-process wait; no wrong schedule is left', async () => {
    for (const answer of ['refused', 'other-time'] as const) {
      const h = harness();
      h.meter.offersSchedule = true;
      h.meter.scheduleAnswer = answer;
      const at = h.time.now() + 3_600_000;
      h.command.parameters.activateAt = at;
      const out = await h.run(fast['firmware-update']);
      expect(h.waits, answer).toEqual([]);
      expect(h.meter.scheduledActivation, answer).toBeUndefined();
      expect(h.meter.count('image_activate'), answer).toBe(1);
      expect(h.time.now()).toBeGreaterThanOrEqual(at);
      expect(out.result).toMatchObject({ confirmedBy: 'identifier' });
    }
  });

  it("the wait ends before the command's deadline when the deadline comes within the grace", async () => {
    const h = harness();
    h.meter.offersSchedule = true;
    const at = h.time.now() + 3_600_000;
    h.command.parameters.activateAt = at;
    h.command = { ...h.command, deadline: at + 20_000 };
    const out = await h.run(fast['firmware-update']);
    expect(h.waits).toEqual([at + 19_000]);
    expect(out.result).toMatchObject({ activatedBy: 'meter-schedule' });
  });

  it('without a schedule on the meter (or with it turned off) the operation waits in process', async () => {
    const off = createOperations({
      firmware: { pollIntervalMs: 1000, restartWaitMs: 1000, useMeterSchedule: false },
    });
    for (const [offers, ops] of [
      [false, fast],
      [true, off],
    ] as const) {
      const h = harness();
      h.meter.offersSchedule = offers;
      const at = h.time.now() + 3_600_000;
      h.command.parameters.activateAt = at;
      const out = await h.run(ops['firmware-update']);
      expect(h.waits).toEqual([]);
      expect(h.meter.count('image_schedule')).toBe(0);
      expect(h.meter.count('image_activate')).toBe(1);
      expect(h.time.now()).toBeGreaterThanOrEqual(at);
      expect(out.result).not.toHaveProperty('scheduledAt');
    }
  });

  it('without an identifier read the activation is confirmed by status 6 and image_to_activate_info', async () => {
    const h = harness();
    h.meter.offersActiveFirmware = false;
    const out = await h.run(fast['firmware-update']);
    expect(out.result).toMatchObject({ confirmedBy: 'image-transfer-status' });
  });

  it('an image already active is confirmed without a transfer; a block size beyond the PDU is refused', async () => {
    const h = harness();
    h.meter.activeFirmware = '2.0';
    const out = await h.run(fast['firmware-update']);
    expect(out.result).toMatchObject({ confirmedBy: 'already-active', blocksSent: 0 });
    expect(h.meter.count('image_transfer_initiate')).toBe(0);

    const big = harness();
    big.meter.blockSize = 512;
    const e = await failure(big.run(fast['firmware-update']));
    expect([e.code, e.retryable]).toEqual(['CONTROL_UNSUPPORTED', false]);
    expect(big.meter.count('image_block_transfer')).toBe(0);
  });

  it('an unknown image or one for another device profile is invalid', async () => {
    const h = new Harness('firmware-update', { imageId: 9 });
    expect((await failure(h.run(fast['firmware-update']))).detail?.field).toBe('imageId');
    const other = new Harness('firmware-update', { imageId: 1 });
    other.images.add('FW-X', 'x', imageBytes(100), ['other-profile']);
    const e = await failure(other.run(fast['firmware-update']));
    expect([e.code, e.detail?.field]).toEqual(['CONTROL_INVALID', 'imageId']);
  });
});

describe('keys', () => {
  const vaultKey = (h: Harness, purpose: 'gak' | 'guek') =>
    h.vault.current.get(MemoryVault.key(METER.id, purpose));

  it('authentication then encryption: pending first, transfer, new association, promoted', async () => {
    const h = new Harness('key-rotation');
    const oldGak = Uint8Array.from(h.meter.keys.gak);
    const out = await h.run(OPERATIONS['key-rotation']);
    expect(h.meter.count('global_key_transfer')).toBe(2);
    expect(h.meter.keys.gak).not.toEqual(oldGak);
    expect(vaultKey(h, 'gak')).toEqual(h.meter.keys.gak);
    expect(vaultKey(h, 'guek')).toEqual(h.meter.keys.guek);
    expect(h.vault.pending.size).toBe(0);
    // Confirming associations used the pending key of each purpose.
    expect(h.sessionKeys).toContainEqual({ gak: 'pending' });
    expect(h.sessionKeys).toContainEqual({ guek: 'pending' });
    expect(out.meterPatch?.keyRefs?.gak).toMatch(/^ref-gak-/);
    expect(out.result).toMatchObject({ keys: ['authentication', 'encryption'] });
  });

  it('the rx counter floor restarts with the encryption key, so the next reads are accepted', async () => {
    const h = new Harness('key-rotation', { keys: ['encryption'] });
    await h.run(OPERATIONS['key-rotation']);
    expect(h.meter.ic).toBeLessThan(10);
    const floor = await h.counters.current({ meterId: METER.id, direction: 'rx', purpose: 'guek' });
    expect(floor).toBe(h.meter.ic);
    // A normal read with the new keys after the rotation.
    const read = new Harness('time-sync');
    Object.assign(read, { meter: h.meter, vault: h.vault, counters: h.counters });
    await expect(read.run(OPERATIONS['time-sync'])).resolves.toBeDefined();
  });

  it('unknown outcome (link dropped after the transfer): the pending key is tried first and promoted', async () => {
    const h = new Harness('key-rotation', { keys: ['authentication'] });
    h.meter.faults.push({ request: 'global_key_transfer', when: 'after' });
    const first = await failure(h.attempt(OPERATIONS['key-rotation']));
    expect([first.code, first.outcomeUnknown, first.retryable]).toEqual(['CONTROL_LINK', true, true]);
    expect(h.vault.pending.size).toBe(1);
    h.reconnect();
    await h.attempt(OPERATIONS['key-rotation']);
    expect(h.meter.count('global_key_transfer')).toBe(1);
    expect(vaultKey(h, 'gak')).toEqual(h.meter.keys.gak);
    expect(h.vault.pending.size).toBe(0);
  });

  it('a transfer that never reached the meter: the current key still works, the key is sent again', async () => {
    const h = new Harness('key-rotation', { keys: ['authentication'] });
    const oldGak = Uint8Array.from(h.meter.keys.gak);
    h.meter.faults.push({ request: 'global_key_transfer', when: 'before' });
    await h.run(OPERATIONS['key-rotation']);
    expect(h.command.attempts).toBe(2);
    expect(h.meter.count('global_key_transfer')).toBe(1);
    expect(h.meter.keys.gak).not.toEqual(oldGak);
    expect(vaultKey(h, 'gak')).toEqual(h.meter.keys.gak);
  });

  it('neither the pending nor the current key opens an association: CONTROL_KEYS_REFUSED', async () => {
    const h = new Harness('key-rotation', { keys: ['authentication'] });
    h.meter.faults.push({ request: 'global_key_transfer', when: 'after' });
    await failure(h.attempt(OPERATIONS['key-rotation']));
    h.reconnect();
    h.meter.keys.gak = new Uint8Array(16).fill(0xee);
    const e = await failure(h.attempt(OPERATIONS['key-rotation']));
    expect([e.code, e.retryable]).toEqual(['CONTROL_KEYS_REFUSED', false]);
  });

  it('a meter that answers the transfer but keeps its key is not confirmed; the pending key is dropped', async () => {
    const h = new Harness('key-rotation', { keys: ['encryption'] });
    h.meter.ignoresKeyTransfer = true;
    const floorBefore = await h.counters.current({ meterId: METER.id, direction: 'rx', purpose: 'guek' });
    const e = await failure(h.run(OPERATIONS['key-rotation']));
    expect([e.code, e.retryable]).toEqual(['CONTROL_NOT_CONFIRMED', false]);
    expect(h.vault.pending.size).toBe(0);
    expect(vaultKey(h, 'guek')).toEqual(h.meter.keys.guek);
    // The replay floor is back where the old key left it (not 0).
    const floor = await h.counters.current({ meterId: METER.id, direction: 'rx', purpose: 'guek' });
    expect(floor).toBeGreaterThanOrEqual(floorBefore ?? 0);
    expect(floor).toBeGreaterThan(1000);
  });

  it('security_activate: sent once, confirmed in a new association; not sent when already in force', async () => {
    const h = new Harness('security-activate', { policy: 3 });
    const out = await h.run(OPERATIONS['security-activate']);
    expect(h.meter.policy).toBe(3);
    expect(h.meter.count('security_activate')).toBe(1);
    expect(out.result).toMatchObject({ policy: 3, sent: true });
    const again = await h.run(OPERATIONS['security-activate']);
    expect(h.meter.count('security_activate')).toBe(1);
    expect(again.result).toMatchObject({ sent: false });
  });
});

describe('push setup', () => {
  it('destination, windows, randomisation, retries written and read back', async () => {
    const h = new Harness('push-setup', {
      destination: '10.0.0.1:4059',
      windows: [{ start: '2027-01-01T00:00', end: '2027-01-01T06:00' }],
      randomisationSeconds: 30,
      retries: 3,
      repetitionDelaySeconds: 60,
    });
    const out = await h.run(OPERATIONS['push-setup']);
    expect(h.meter.push.sendDestinationAndMethod.destinationText).toBe('10.0.0.1:4059');
    expect(h.meter.push.communicationWindow).toHaveLength(1);
    expect(h.meter.push.numberOfRetries).toBe(3);
    expect(out.result).toMatchObject({
      destination: '10.0.0.1:4059',
      retries: 3,
      pushObis: '0.0.25.9.0.255',
    });
  });

  it('a push setup the model does not have is refused before anything is written', async () => {
    const h = new Harness('push-setup', { pushObis: '0.9.25.9.0.255', retries: 1 });
    const e = await failure(h.run(OPERATIONS['push-setup']));
    expect(e.code).toBe('CONTROL_UNSUPPORTED');
    expect(h.meter.push.numberOfRetries).toBe(0);
  });
});
