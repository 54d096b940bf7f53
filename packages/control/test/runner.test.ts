import { ErrorKind } from '@openhes/core';
import { DriverError, DriverErrorCode } from '@openhes/drivers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assembleControl, type Control, type ControlOptions } from '../src/assemble.ts';
import { ControlError, ControlErrorCode } from '../src/errors.ts';
import type { Operation, TwinProvider } from '../src/index.ts';
import {
  addMeter,
  alice,
  bob,
  FakeSessions,
  fakeDisconnect,
  fakeMeterOf,
  operations,
  type TestStore,
  testStore,
} from './runner-fakes.ts';

let t: TestStore;
let sessions: FakeSessions;

function control(
  op: Operation = fakeDisconnect,
  options: ControlOptions = {},
  twins?: TwinProvider,
): Control {
  return assembleControl(
    {
      store: t.store,
      vault: {} as never,
      sessions,
      ...(twins === undefined ? {} : { twins }),
      operations: operations(op),
      clock: t.clock,
      sleep: async () => {},
      random: () => 0.5,
    },
    { ...options, runner: { backoffMs: 1000, ...options.runner } },
  );
}

async function auditActions(): Promise<string[]> {
  return (await t.store.audit.list({ limit: 1000 })).items.map((a) => `${a.action}:${a.outcome}`);
}

beforeEach(async () => {
  t = await testStore();
  sessions = new FakeSessions();
});
afterEach(async () => {
  await t.close();
});

describe('runner', () => {
  it('claims, runs the operation in a session, confirms with the result read back, applies the meter patch, audits', async () => {
    const meterId = await addMeter(t.store);
    const op: Operation = async (ctx) =>
      ctx.session(async (driver) => {
        fakeMeterOf(driver).invocations++;
        return { result: { firmware: '2.0' }, meterPatch: { firmwareVersion: '2.0' } };
      });
    const c = control(op);
    const cmd = await c.service.requestCommand(
      { kind: 'time-sync', meterId, reason: 'maintenance', priority: 'urgent' },
      alice,
    );
    await c.runner.drain();
    const done = await t.store.commands.get(cmd.id);
    expect(done).toMatchObject({ state: 'confirmed', attempts: 1, result: { firmware: '2.0' }, error: null });
    expect(done?.history.map((h) => h.state)).toEqual(['queued', 'sending', 'confirmed']);
    expect((await t.store.meters.get(meterId))?.firmwareVersion).toBe('2.0');
    expect(sessions.meter(meterId).invocations).toBe(1);
    expect(sessions.log[0]?.options).toMatchObject({ urgent: true, deadline: cmd.deadline });
    const outcome = (await t.store.audit.list({ limit: 10 })).items.find(
      (a) => a.action === 'command.confirmed',
    );
    expect(outcome).toMatchObject({
      target: `command:${cmd.id}`,
      outcome: 'succeeded',
      detail: expect.objectContaining({
        reason: 'maintenance',
        requestedBy: 'alice',
        requestedFrom: '192.0.2.10',
      }),
    });
  });

  it('retries a retryable failure after a backoff (back to queued, progress kept), fails a non-retryable one', async () => {
    const flaky = await addMeter(t.store);
    const broken = await addMeter(t.store);
    const seen: unknown[] = [];
    const op: Operation = async (ctx) => {
      seen.push(ctx.command.progress);
      if (ctx.meter.id === broken)
        throw new ControlError(ErrorKind.conflict, ControlErrorCode.MeterRefused, 'refused', {
          detail: { actionResult: 250 },
        });
      if (ctx.attempt === 1) {
        await ctx.saveProgress({ step: 'half' });
        throw new DriverError(DriverErrorCode.Timeout, 'silent');
      }
      return { result: { ok: true } };
    };
    const c = control(op);
    const a = await c.service.requestCommand({ kind: 'time-sync', meterId: flaky, reason: 'test' }, alice);
    const b = await c.service.requestCommand({ kind: 'time-sync', meterId: broken, reason: 'test' }, alice);
    await c.runner.drain();
    expect(await t.store.commands.get(a.id)).toMatchObject({
      state: 'queued',
      attempts: 1,
      progress: { step: 'half' },
      error: { code: 'DRIVER_TIMEOUT' },
    });
    expect(await t.store.commands.get(b.id)).toMatchObject({
      state: 'failed',
      error: { code: 'CONTROL_METER_REFUSED' },
    });
    // Not before the backoff (1 s × jitter 1.0).
    t.clock.advance(500);
    await c.runner.drain();
    expect((await t.store.commands.get(a.id))?.state).toBe('queued');
    t.clock.advance(600);
    await c.runner.drain();
    expect(await t.store.commands.get(a.id)).toMatchObject({ state: 'confirmed', attempts: 2 });
    expect(seen.at(-1)).toEqual({ step: 'half' });
    expect(await auditActions()).toEqual(
      expect.arrayContaining(['command.failed:failed', 'command.confirmed:succeeded']),
    );
  });

  it('a wait the operation asks for (retryAt) requeues without an error or an attempt, frees the slot, and holds it until then', async () => {
    const meterId = await addMeter(t.store);
    const other = await addMeter(t.store);
    let calls = 0;
    const op: Operation = async (ctx) => {
      if (ctx.meter.id === other) return { result: { other: true } };
      calls++;
      const until = ctx.command.progress?.until as number | undefined;
      if (until === undefined || ctx.now() < until) {
        const retryAt = until ?? ctx.now() + 3_600_000;
        await ctx.saveProgress({ until: retryAt });
        throw new ControlError(ErrorKind.busy, ControlErrorCode.Waiting, 'the meter acts at its time', {
          retryable: true,
          retryAt,
        });
      }
      return { result: { done: true } };
    };
    // maxAttempts 1: a wait counted as an attempt would end the command failed.
    const c = control(op, { runner: { maxAttempts: 1, concurrency: 1 } });
    const cmd = await c.service.requestCommand(
      { kind: 'time-sync', meterId, reason: 'test', deadline: t.clock.now() + 7_200_000 },
      alice,
    );
    await c.runner.drain();
    expect(await t.store.commands.get(cmd.id)).toMatchObject({ state: 'queued', attempts: 0, error: null });
    expect((await t.store.commands.get(cmd.id))?.history.at(-1)).toMatchObject({
      state: 'queued',
      detail: { waiting: true, until: t.clock.now() + 3_600_000 },
    });
    // The one slot is free for other work meanwhile.
    const b = await c.service.requestCommand({ kind: 'time-sync', meterId: other, reason: 'test' }, alice);
    await c.runner.drain();
    expect((await t.store.commands.get(b.id))?.state).toBe('confirmed');
    t.clock.advance(1_800_000);
    await c.runner.drain();
    expect(calls).toBe(1);
    t.clock.advance(1_800_000);
    await c.runner.drain();
    expect(await t.store.commands.get(cmd.id)).toMatchObject({ state: 'confirmed', attempts: 1 });
    expect(calls).toBe(2);
  });

  it('gives up after maxAttempts retryable failures', async () => {
    const meterId = await addMeter(t.store);
    const c = control(
      async () => {
        throw new DriverError(DriverErrorCode.Transport, 'down');
      },
      { runner: { maxAttempts: 2, backoffMs: 10 } },
    );
    const cmd = await c.service.requestCommand({ kind: 'time-sync', meterId, reason: 'test' }, alice);
    await c.runner.drain();
    t.clock.advance(100);
    await c.runner.drain();
    expect(await t.store.commands.get(cmd.id)).toMatchObject({
      state: 'failed',
      attempts: 2,
      error: { code: 'DRIVER_TRANSPORT' },
    });
  });

  it('expires a queued command past its deadline, and one whose attempt failed after it; audited', async () => {
    const m1 = await addMeter(t.store);
    const m2 = await addMeter(t.store);
    const c = control(async (ctx) =>
      ctx.session(async () => {
        t.clock.advance(120_000);
        throw new DriverError(DriverErrorCode.Timeout, `slow ${ctx.meter.id}`);
      }),
    );
    const late = await c.service.requestCommand(
      { kind: 'time-sync', meterId: m1, reason: 'test', deadline: t.clock.now() + 60_000 },
      alice,
    );
    await c.runner.drain();
    expect(await t.store.commands.get(late.id)).toMatchObject({
      state: 'expired',
      error: { code: 'CONTROL_EXPIRED' },
    });
    expect((await t.store.commands.get(late.id))?.error?.message).toContain('DRIVER_TIMEOUT');
    const never = await c.service.requestCommand(
      { kind: 'time-sync', meterId: m2, reason: 'test', deadline: t.clock.now() + 1000 },
      alice,
    );
    t.clock.advance(2000);
    await c.runner.drain();
    expect(await t.store.commands.get(never.id)).toMatchObject({ state: 'expired', attempts: 0 });
    expect(sessions.log.map((l) => l.meterId)).toEqual([m1]);
    expect((await auditActions()).filter((a) => a.startsWith('command.expired'))).toHaveLength(2);
  });

  it('expires a command still awaiting approval at its deadline', async () => {
    const meterId = await addMeter(t.store);
    const c = control();
    const k = await c.service.requestCommand(
      { kind: 'key-rotation', meterId, reason: 'maintenance', deadline: t.clock.now() + 1000 },
      alice,
    );
    t.clock.advance(1001);
    await c.runner.drain();
    expect((await t.store.commands.get(k.id))?.state).toBe('expired');
  });

  it('never runs two commands on one meter at once; runs them one after the other', async () => {
    const meterId = await addMeter(t.store);
    const other = await addMeter(t.store);
    const c = control();
    sessions.hold();
    const a = await c.service.requestCommand({ kind: 'disconnect', meterId, reason: 'test' }, alice);
    const b = await c.service.requestCommand({ kind: 'connect', meterId, reason: 'test' }, alice);
    const d = await c.service.requestCommand({ kind: 'disconnect', meterId: other, reason: 'test' }, alice);
    expect(await c.runner.pass()).toBe(2);
    expect([...sessions.open].sort()).toEqual([meterId, other].sort());
    expect((await t.store.commands.get(b.id))?.state).toBe('queued');
    sessions.release();
    await c.runner.drain();
    expect(sessions.twoAtOnce).toBe(false);
    for (const id of [a.id, b.id, d.id]) expect((await t.store.commands.get(id))?.state).toBe('confirmed');
    expect(sessions.meter(meterId).connected).toBe(true);
  });

  it('resumes after a crash: a command left sending with its marker is read, not sent again', async () => {
    const meterId = await addMeter(t.store);
    const c1 = control();
    const cmd = await c1.service.requestCommand(
      { kind: 'disconnect', meterId, reason: 'non-payment' },
      alice,
    );
    // The first process claimed it, saved its marker, the meter acted, then the process died.
    await t.store.commands.transition(cmd.id, 'queued', 'sending', 'control', { attempts: 1 });
    await t.store.commands.update(cmd.id, 'sending', { progress: { step: 'disconnect-sent' } });
    sessions.meter(meterId).connected = false;
    sessions.meter(meterId).invocations = 1;

    const c2 = control();
    // While it is `sending`, passes skip it (another runner may be running it).
    expect(await c2.runner.pass()).toBe(0);
    // Its runner's heartbeat stopped: once older than the stale limit (default 30 s) it is resumed.
    expect(await c2.runner.resume()).toBe(0);
    t.clock.advance(30_001);
    expect(await c2.runner.resume()).toBe(1);
    await c2.runner.drain();
    const done = await t.store.commands.get(cmd.id);
    expect(done).toMatchObject({
      state: 'confirmed',
      attempts: 2,
      result: { outputState: false, readBack: true },
    });
    expect(done?.history.map((h) => h.state)).toEqual([
      'queued',
      'sending',
      'queued',
      'sending',
      'confirmed',
    ]);
    expect(done?.history[2]?.detail).toMatchObject({ resumed: true, progress: { step: 'disconnect-sent' } });
    expect(sessions.meter(meterId).invocations).toBe(1);
  });

  it('resumeStaleMs: a sending command updated recently is left to the runner that has it', async () => {
    const meterId = await addMeter(t.store);
    const c = control(fakeDisconnect, { runner: { resumeStaleMs: 60_000 } });
    const cmd = await c.service.requestCommand({ kind: 'disconnect', meterId, reason: 'test' }, alice);
    await t.store.commands.transition(cmd.id, 'queued', 'sending', 'other', { attempts: 1 });
    expect(await c.runner.resume()).toBe(0);
    t.clock.advance(60_001);
    expect(await c.runner.resume()).toBe(1);
  });

  it('heartbeat: a runner starting beside a live one leaves the commands it sends; takes them over once its beats stop', async () => {
    const meterId = await addMeter(t.store);
    const live = control();
    const cmd = await live.service.requestCommand({ kind: 'disconnect', meterId, reason: 'test' }, alice);
    sessions.hold();
    expect(await live.runner.pass()).toBe(1);
    // Longer than the stale limit (default 3 × 10 s) since the claim, but the live runner beats.
    t.clock.advance(25_000);
    expect(await live.runner.beat()).toBe(1);
    t.clock.advance(25_000);
    const second = control();
    expect(await second.runner.resume()).toBe(0);
    expect((await t.store.commands.get(cmd.id))?.state).toBe('sending');
    expect(sessions.meter(meterId).invocations).toBe(0);
    // The live runner dies (no more beats): past the stale limit its command is taken back.
    t.clock.advance(5_001);
    expect(await second.runner.resume()).toBe(1);
    const resumed = await t.store.commands.get(cmd.id);
    expect(resumed?.state).toBe('queued');
    expect(resumed?.history.at(-1)?.detail).toMatchObject({ resumed: true });
    sessions.release();
    await live.runner.stop();
  });

  it('two runners on one store: each command runs once', async () => {
    const ids = await Promise.all([1, 2, 3, 4, 5, 6].map(() => addMeter(t.store)));
    const r1 = control();
    const r2 = control();
    for (const meterId of ids)
      await r1.service.requestCommand({ kind: 'disconnect', meterId, reason: 'test' }, alice);
    await Promise.all([r1.runner.drain(), r2.runner.drain()]);
    for (const meterId of ids) expect(sessions.meter(meterId).invocations).toBe(1);
    const all = (await t.store.commands.list({ limit: 100 })).items;
    expect(all.every((x) => x.state === 'confirmed' && x.attempts === 1)).toBe(true);
  });

  it('start() resumes and polls; a request wakes it; stop() lets the session in flight finish', async () => {
    const meterId = await addMeter(t.store);
    const c = control(fakeDisconnect, { runner: { pollMs: 60_000 } });
    expect(await c.start()).toEqual({ resumed: 0 });
    sessions.hold();
    const cmd = await c.service.requestCommand({ kind: 'disconnect', meterId, reason: 'test' }, alice);
    while (c.runner.inFlight === 0) await new Promise((r) => setImmediate(r));
    const stopping = c.stop();
    sessions.release();
    await stopping;
    expect((await t.store.commands.get(cmd.id))?.state).toBe('confirmed');
  });
});

describe('campaigns in the runner', () => {
  it('throttles per segment across campaigns', async () => {
    const seg = await Promise.all([1, 2, 3, 4, 5, 6].map(() => addMeter(t.store, { segment: 'cell-7' })));
    const c = control();
    sessions.hold();
    const throttle = { perSegment: 2, urgentPerSegment: 1 };
    await c.service.requestCampaign(
      { name: 'a', kind: 'disconnect', target: { meterIds: seg.slice(0, 3) }, reason: 'test', throttle },
      alice,
    );
    await c.service.requestCampaign(
      { name: 'b', kind: 'disconnect', target: { meterIds: seg.slice(3, 5) }, reason: 'test', throttle },
      alice,
    );
    // Two in flight in the segment across both campaigns, not two each.
    expect(await c.runner.pass()).toBe(2);
    expect(await c.runner.pass()).toBe(0);
    expect(sessions.open.size).toBe(2);
    sessions.release();
    await c.runner.drain();
    expect(sessions.maxOpen).toBe(2);
    expect(sessions.log.map((l) => l.meterId).sort()).toEqual(seg.slice(0, 5).sort());
  });

  it('urgent lane: with the segment full of normal commands, an urgent one still starts', async () => {
    const seg = await Promise.all([1, 2, 3, 4].map(() => addMeter(t.store, { segment: 'cell-9' })));
    const c = control(fakeDisconnect, { throttle: { perSegment: 2, urgentPerSegment: 1 } });
    sessions.hold();
    await c.service.requestCampaign(
      { name: 'a', kind: 'disconnect', target: { meterIds: seg.slice(0, 3) }, reason: 'test' },
      alice,
    );
    expect(await c.runner.pass()).toBe(2);
    const urgent = await c.service.requestCommand(
      { kind: 'disconnect', meterId: seg[3]!, reason: 'emergency', priority: 'urgent' },
      alice,
    );
    expect(await c.runner.pass()).toBe(1);
    expect((await t.store.commands.get(urgent.id))?.state).toBe('sending');
    expect(sessions.open.size).toBe(3);
    sessions.release();
    await c.runner.drain();
  });

  it('per minute and in flight per campaign', async () => {
    const ids = await Promise.all([1, 2, 3, 4, 5].map(() => addMeter(t.store)));
    const c = control();
    const camp = await c.service.requestCampaign(
      {
        name: 'a',
        kind: 'disconnect',
        target: { meterIds: ids },
        reason: 'test',
        throttle: { perMinute: 2, maxInFlight: 1 },
      },
      alice,
    );
    await c.runner.drain();
    expect((await t.store.commands.progress(camp.id)).confirmed).toBe(2);
    expect(sessions.maxOpen).toBe(1);
    t.clock.advance(60_001);
    await c.runner.drain();
    expect((await t.store.commands.progress(camp.id)).confirmed).toBe(4);
    t.clock.advance(60_001);
    await c.runner.drain();
    expect(await t.store.campaigns.get(camp.id)).toMatchObject({ state: 'completed' });
    expect(await auditActions()).toContain('campaign.completed:succeeded');
  });

  it('pause holds its commands, resume runs them, cancel stops the rest while the one being sent finishes', async () => {
    const ids = await Promise.all([1, 2, 3].map(() => addMeter(t.store)));
    const c = control(fakeDisconnect, { runner: { concurrency: 1 } });
    const camp = await c.service.requestCampaign(
      { name: 'a', kind: 'disconnect', target: { meterIds: ids }, reason: 'test' },
      alice,
    );
    await c.service.pauseCampaign(camp.id, alice);
    await c.runner.drain();
    expect(sessions.log).toHaveLength(0);
    await c.service.resumeCampaign(camp.id, alice);
    sessions.hold();
    expect(await c.runner.pass()).toBe(1);
    await c.service.cancelCampaign(camp.id, bob);
    sessions.release();
    await c.runner.drain();
    const p = await t.store.commands.progress(camp.id);
    expect([p.confirmed, p.cancelled]).toEqual([1, 2]);
    expect((await t.store.campaigns.get(camp.id))?.state).toBe('cancelled');
    expect(sessions.log).toHaveLength(1);
  });

  it('an approved campaign runs; one awaiting approval does not', async () => {
    const ids = await Promise.all([1, 2].map(() => addMeter(t.store)));
    const c = control(async () => ({ result: { rotated: true } }));
    const camp = await c.service.requestCampaign(
      { name: 'keys', kind: 'key-rotation', target: { meterIds: ids }, reason: 'maintenance' },
      alice,
    );
    await c.runner.drain();
    expect((await t.store.commands.progress(camp.id))['awaiting-approval']).toBe(2);
    await c.service.approveCampaign(camp.id, bob);
    await c.runner.drain();
    expect(await t.store.campaigns.get(camp.id)).toMatchObject({ state: 'completed' });
  });

  it('a dry run uses the twins, not the real sessions, and changes no registry field', async () => {
    const ids = await Promise.all([1, 2].map(() => addMeter(t.store)));
    const twinSessions = new FakeSessions();
    let disposed = 0;
    const asked: number[][] = [];
    const twins: TwinProvider = {
      async twins(meterIds) {
        asked.push([...meterIds]);
        return {
          sessions: twinSessions,
          dispose: async () => {
            disposed++;
          },
        };
      },
    };
    const op: Operation = async (ctx) =>
      ctx.session(async (driver) => {
        const m = fakeMeterOf(driver);
        if (ctx.meter.id === ids[1])
          throw new ControlError(ErrorKind.invalid, ControlErrorCode.VerifyFailed, 'bad image');
        m.invocations++;
        return { result: { version: '9' }, meterPatch: { firmwareVersion: '9' } };
      });
    const c = control(op, {}, twins);
    const camp = await c.service.requestCampaign(
      { name: 'rehearse', kind: 'time-sync', target: { meterIds: ids }, reason: 'test', dryRun: true },
      alice,
    );
    await c.runner.drain();
    expect(sessions.log).toHaveLength(0);
    expect(twinSessions.log.map((l) => l.meterId)).toEqual(ids);
    expect(asked).toEqual([ids]);
    const results = (await t.store.commands.list({ campaignId: camp.id })).items;
    expect(results.map((r) => [r.state, r.result, r.error?.code ?? null])).toEqual([
      ['confirmed', { version: '9', dryRun: true, wouldPatch: { firmwareVersion: '9' } }, null],
      ['failed', null, 'CONTROL_VERIFY_FAILED'],
    ]);
    expect((await t.store.meters.get(ids[0]!))?.firmwareVersion).toBeNull();
    expect(await t.store.campaigns.get(camp.id)).toMatchObject({ state: 'completed' });
    expect(disposed).toBe(1);
  });
});
