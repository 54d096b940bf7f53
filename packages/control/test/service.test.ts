import { createHash } from 'node:crypto';
import type { AuditEntry } from '@openhes/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlService } from '../src/service.ts';
import { addMeter, alice, bob, carol, type TestStore, testStore } from './runner-fakes.ts';

let t: TestStore;
let woken = 0;
let service: ControlService;

function make(options: ConstructorParameters<typeof ControlService>[1] = {}) {
  return new ControlService(
    {
      store: t.store,
      clock: t.clock,
      // The CT profile has no disconnector; every other profile has everything.
      capabilitiesOf: (m) =>
        m.deviceProfile === 'is15959-ct'
          ? new Set(['reading', 'clock', 'limiter', 'tariff', 'firmware', 'keys', 'push'])
          : m.deviceProfile === 'unknown'
            ? undefined
            : new Set(['reading', 'supply', 'clock', 'limiter', 'tariff', 'firmware', 'keys', 'push']),
      onWork: () => woken++,
    },
    options,
  );
}

async function audit(): Promise<AuditEntry[]> {
  return (await t.store.audit.list({ limit: 1000 })).items;
}

beforeEach(async () => {
  t = await testStore();
  woken = 0;
  service = make();
});
afterEach(async () => {
  await t.close();
});

describe('commands', () => {
  it('stores a valid request queued with a 1 h deadline, audited with actor, address and reason; wakes the runner', async () => {
    const meterId = await addMeter(t.store);
    const c = await service.requestCommand({ kind: 'disconnect', meterId, reason: 'non-payment' }, alice);
    expect(c).toMatchObject({
      state: 'queued',
      kind: 'disconnect',
      reason: 'non-payment',
      requestedBy: 'alice',
      requestedFrom: '192.0.2.10',
      deadline: t.clock.now() + 3_600_000,
    });
    expect(woken).toBe(1);
    expect(await audit()).toEqual([
      expect.objectContaining({
        actor: 'alice',
        action: 'command.requested',
        target: `command:${c.id}`,
        outcome: 'allowed',
        detail: expect.objectContaining({ address: '192.0.2.10', reason: 'non-payment', meterId }),
      }),
    ]);
  });

  it('refuses bad input naming the field, an unknown or decommissioned meter, and audits each refusal', async () => {
    const meterId = await addMeter(t.store);
    await expect(
      service.requestCommand({ kind: 'disconnect', meterId, reason: 'whim' as never }, alice),
    ).rejects.toMatchObject({ code: 'CONTROL_INVALID', detail: { field: 'reason' } });
    await expect(
      service.requestCommand(
        { kind: 'disconnect', meterId, reason: 'test', parameters: { finalRead: 3 } },
        alice,
      ),
    ).rejects.toMatchObject({ code: 'CONTROL_INVALID', detail: { field: 'finalRead' } });
    await expect(
      service.requestCommand(
        { kind: 'disconnect', meterId, reason: 'test', deadline: t.clock.now() - 1 },
        alice,
      ),
    ).rejects.toMatchObject({ code: 'CONTROL_INVALID', detail: { field: 'deadline' } });
    await expect(
      service.requestCommand({ kind: 'disconnect', meterId: 999, reason: 'test' }, alice),
    ).rejects.toMatchObject({ code: 'CONTROL_NOT_FOUND', kind: 'not-found' });
    await t.store.meters.setStatus(meterId, 'decommissioned');
    await expect(
      service.requestCommand({ kind: 'connect', meterId, reason: 'test' }, alice),
    ).rejects.toMatchObject({
      code: 'CONTROL_INVALID',
      detail: { field: 'meterId' },
    });
    expect((await t.store.commands.list({ limit: 10 })).items).toEqual([]);
    const refused = await audit();
    expect(refused).toHaveLength(5);
    expect(refused.every((a) => a.outcome === 'denied' && a.actor === 'alice')).toBe(true);
    expect(refused.every((a) => a.detail?.address === '192.0.2.10')).toBe(true);
  });

  it('refuses a disconnect on the CT profile (no relay): CONTROL_UNSUPPORTED; a meter whose profile is unknown is not refused', async () => {
    const ct = await addMeter(t.store, { deviceProfile: 'is15959-ct' });
    await expect(
      service.requestCommand({ kind: 'disconnect', meterId: ct, reason: 'test' }, alice),
    ).rejects.toMatchObject({ code: 'CONTROL_UNSUPPORTED', detail: { capability: 'supply' } });
    expect(
      await service.requestCommand({ kind: 'time-sync', meterId: ct, reason: 'test' }, alice),
    ).toMatchObject({
      state: 'queued',
    });
    const unknown = await addMeter(t.store, { deviceProfile: 'unknown' });
    expect(
      await service.requestCommand({ kind: 'disconnect', meterId: unknown, reason: 'test' }, alice),
    ).toMatchObject({ state: 'queued' });
  });

  it('a firmware update activated later gets its default deadline from the activation time; a deadline before it is refused', async () => {
    const meterId = await addMeter(t.store);
    const image = await service.uploadImage(
      { identifier: 'FW-3', version: '3.0', deviceProfiles: [] },
      new Uint8Array([3, 2, 1]),
      alice,
    );
    const imageId = image.id;
    const now = t.clock.now();
    const activateAt = now + 8 * 3_600_000;
    const c = await service.requestCommand(
      { kind: 'firmware-update', meterId, reason: 'maintenance', parameters: { imageId, activateAt } },
      alice,
    );
    expect(c.deadline).toBe(activateAt + 3_600_000);
    await expect(
      service.requestCommand(
        {
          kind: 'firmware-update',
          meterId,
          reason: 'maintenance',
          parameters: { imageId, activateAt },
          deadline: activateAt - 1,
        },
        alice,
      ),
    ).rejects.toMatchObject({ code: 'CONTROL_INVALID', detail: { field: 'activateAt' } });
    const explicit = await service.requestCommand(
      {
        kind: 'firmware-update',
        meterId,
        reason: 'maintenance',
        parameters: { imageId, activateAt },
        deadline: activateAt + 60_000,
      },
      alice,
    );
    expect(explicit.deadline).toBe(activateAt + 60_000);
    // Without activateAt the default stays an hour from now.
    const plain = await service.requestCommand(
      { kind: 'firmware-update', meterId, reason: 'maintenance', parameters: { imageId } },
      alice,
    );
    expect(plain.deadline).toBe(now + 3_600_000);
  });

  it('two-person rule: a firmware command waits; the requester and a non-approver are refused, an approver approves', async () => {
    const meterId = await addMeter(t.store);
    const image = await service.uploadImage(
      { identifier: 'FW-2', version: '2.0', deviceProfiles: [] },
      new Uint8Array([1, 2, 3]),
      alice,
    );
    const c = await service.requestCommand(
      { kind: 'firmware-update', meterId, reason: 'maintenance', parameters: { imageId: image.id } },
      alice,
    );
    expect(c.state).toBe('awaiting-approval');
    expect(woken).toBe(0);
    await expect(service.approveCommand(c.id, { ...alice, approver: true })).rejects.toMatchObject({
      code: 'CONTROL_APPROVAL_REFUSED',
      detail: { rule: 'requester' },
    });
    await expect(service.approveCommand(c.id, carol)).rejects.toMatchObject({
      code: 'CONTROL_APPROVAL_REFUSED',
      detail: { rule: 'approver-right' },
    });
    expect((await t.store.commands.get(c.id))?.state).toBe('awaiting-approval');
    const approved = await service.approveCommand(c.id, bob);
    expect(approved).toMatchObject({ state: 'queued', approvedBy: 'bob' });
    expect(woken).toBe(1);
    await expect(service.approveCommand(c.id, bob)).rejects.toMatchObject({ code: 'CONTROL_WRONG_STATE' });
    const entries = await audit();
    expect(
      entries
        .filter((a) => a.action === 'command.approved')
        .map((a) => [a.actor, a.outcome, a.detail?.address]),
    ).toEqual([
      ['alice', 'denied', '192.0.2.10'],
      ['carol', 'denied', '192.0.2.30'],
      ['bob', 'allowed', '192.0.2.20'],
      ['bob', 'denied', '192.0.2.20'],
    ]);
  });

  it('reject and cancel: only from the states that allow it; a command being sent cannot be cancelled', async () => {
    const meterId = await addMeter(t.store);
    const k = await service.requestCommand({ kind: 'key-rotation', meterId, reason: 'maintenance' }, alice);
    await expect(service.rejectCommand(k.id, alice)).rejects.toMatchObject({
      code: 'CONTROL_APPROVAL_REFUSED',
    });
    expect(await service.rejectCommand(k.id, bob, 'not now')).toMatchObject({ state: 'rejected' });
    await expect(service.cancelCommand(k.id, alice)).rejects.toMatchObject({ code: 'CONTROL_WRONG_STATE' });
    const c = await service.requestCommand({ kind: 'connect', meterId, reason: 'move-in' }, alice);
    await t.store.commands.transition(c.id, 'queued', 'sending', 'runner');
    await expect(service.cancelCommand(c.id, alice)).rejects.toMatchObject({ code: 'CONTROL_WRONG_STATE' });
    const d = await service.requestCommand({ kind: 'disconnect', meterId, reason: 'move-out' }, alice);
    expect(await service.cancelCommand(d.id, carol)).toMatchObject({ state: 'cancelled' });
    expect(
      (await audit()).filter((a) => a.action === 'command.cancelled').map((a) => [a.actor, a.outcome]),
    ).toEqual([
      ['alice', 'denied'],
      ['alice', 'denied'],
      ['carol', 'allowed'],
    ]);
  });
});

describe('campaigns', () => {
  it('resolves its target, refuses one that selects no meter or names no criterion, previews', async () => {
    const a = await addMeter(t.store, { tags: ['north'] });
    const b = await addMeter(t.store, { tags: ['north'] });
    await addMeter(t.store, { tags: ['south'] });
    expect(await service.previewTarget({ tags: ['north'] })).toEqual({ count: 2, meterIds: [a, b] });
    await expect(
      service.requestCampaign(
        { name: 'x', kind: 'time-sync', target: { tags: ['east'] }, reason: 'maintenance' },
        alice,
      ),
    ).rejects.toMatchObject({
      code: 'CONTROL_INVALID',
      detail: { field: 'target' },
      message: expect.stringContaining('selects no meter'),
    });
    await expect(
      service.requestCampaign({ name: 'x', kind: 'time-sync', target: {}, reason: 'maintenance' }, alice),
    ).rejects.toMatchObject({ code: 'CONTROL_INVALID', detail: { field: 'target' } });
    await expect(
      service.requestCampaign(
        {
          name: 'x',
          kind: 'time-sync',
          target: { tags: ['north'] },
          reason: 'maintenance',
          throttle: { perSegment: 0 },
        },
        alice,
      ),
    ).rejects.toMatchObject({ detail: { field: 'throttle.perSegment' } });
    const c = await service.requestCampaign(
      { name: 'sync north', kind: 'time-sync', target: { tags: ['north'] }, reason: 'maintenance' },
      alice,
    );
    expect(c).toMatchObject({ state: 'running', meterCount: 2 });
    expect(
      (await t.store.commands.list({ campaignId: c.id })).items.map((x) => [x.meterId, x.state]),
    ).toEqual([
      [a, 'queued'],
      [b, 'queued'],
    ]);
  });

  it('approval threshold: a disconnect campaign over more than the threshold waits; at it, it runs', async () => {
    service = make({ approvalThreshold: 2 });
    const ids = [await addMeter(t.store), await addMeter(t.store), await addMeter(t.store)];
    const small = await service.requestCampaign(
      { name: 'two', kind: 'disconnect', target: { meterIds: ids.slice(0, 2) }, reason: 'non-payment' },
      alice,
    );
    expect(small.state).toBe('running');
    const big = await service.requestCampaign(
      { name: 'three', kind: 'disconnect', target: { meterIds: ids }, reason: 'non-payment' },
      alice,
    );
    expect(big.state).toBe('awaiting-approval');
    expect((await t.store.commands.progress(big.id))['awaiting-approval']).toBe(3);
    const connect = await service.requestCampaign(
      { name: 'c', kind: 'connect', target: { meterIds: ids }, reason: 'reinstatement' },
      alice,
    );
    expect(connect.state).toBe('running');
    const rehearsal = await service.requestCampaign(
      { name: 'fw', kind: 'key-rotation', target: { meterIds: ids }, reason: 'maintenance', dryRun: true },
      alice,
    );
    expect(rehearsal).toMatchObject({ state: 'running', dryRun: true });
  });

  it('approving a campaign queues its commands (second person with the right); rejecting rejects them', async () => {
    const ids = [await addMeter(t.store), await addMeter(t.store)];
    const c = await service.requestCampaign(
      { name: 'keys', kind: 'key-rotation', target: { meterIds: ids }, reason: 'maintenance' },
      alice,
    );
    expect(c.state).toBe('awaiting-approval');
    await expect(service.approveCampaign(c.id, { ...alice, approver: true })).rejects.toMatchObject({
      code: 'CONTROL_APPROVAL_REFUSED',
    });
    await expect(service.approveCampaign(c.id, carol)).rejects.toMatchObject({
      code: 'CONTROL_APPROVAL_REFUSED',
    });
    expect(await service.approveCampaign(c.id, bob)).toMatchObject({ state: 'running', approvedBy: 'bob' });
    expect((await t.store.commands.progress(c.id)).queued).toBe(2);

    const d = await service.requestCampaign(
      {
        name: 'sec',
        kind: 'security-activate',
        target: { meterIds: ids },
        reason: 'maintenance',
        parameters: { policy: 3 },
      },
      alice,
    );
    expect(await service.rejectCampaign(d.id, bob, 'wrong week')).toMatchObject({ state: 'rejected' });
    expect((await t.store.commands.progress(d.id)).rejected).toBe(2);
    const actions = (await audit()).map((a) => `${a.action}:${a.actor}:${a.outcome}`);
    expect(actions).toContain('campaign.approved:bob:allowed');
    expect(actions).toContain('campaign.rejected:bob:allowed');
  });

  it('pause, resume, cancel: illegal moves refused; cancel cancels queued commands and leaves one being sent', async () => {
    const ids = [await addMeter(t.store), await addMeter(t.store), await addMeter(t.store)];
    const c = await service.requestCampaign(
      { name: 'sync', kind: 'time-sync', target: { meterIds: ids }, reason: 'maintenance' },
      alice,
    );
    await expect(service.resumeCampaign(c.id, alice)).rejects.toMatchObject({ code: 'CONTROL_WRONG_STATE' });
    expect(await service.pauseCampaign(c.id, alice)).toMatchObject({ state: 'paused' });
    await expect(service.pauseCampaign(c.id, alice)).rejects.toMatchObject({ code: 'CONTROL_WRONG_STATE' });
    expect(await service.resumeCampaign(c.id, carol)).toMatchObject({ state: 'running' });
    const first = (await t.store.commands.list({ campaignId: c.id })).items[0]!;
    await t.store.commands.transition(first.id, 'queued', 'sending', 'runner');
    expect(await service.cancelCampaign(c.id, alice)).toMatchObject({ state: 'cancelled' });
    const p = await t.store.commands.progress(c.id);
    expect([p.sending, p.cancelled]).toEqual([1, 2]);
    await expect(service.cancelCampaign(c.id, alice)).rejects.toMatchObject({ code: 'CONTROL_WRONG_STATE' });
    await expect(service.approveCampaign(99, bob)).rejects.toMatchObject({ code: 'CONTROL_NOT_FOUND' });
    const actions = (await audit()).map((a) => `${a.action}:${a.outcome}`);
    expect(actions.filter((a) => a.startsWith('campaign.paused'))).toEqual([
      'campaign.paused:allowed',
      'campaign.paused:denied',
    ]);
    expect(actions).toContain('campaign.resumed:allowed');
    expect(actions).toContain('campaign.cancelled:allowed');
  });
});

describe('firmware images', () => {
  it('stores an image with its hash; refuses one over the size limit or whose sha256 does not match', async () => {
    service = make({ maxImageBytes: 8 });
    const bytes = new Uint8Array([1, 2, 3, 4]);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const image = await service.uploadImage(
      { identifier: 'FW-1', version: '1.1', deviceProfiles: ['idis-1ph'], sha256: sha.toUpperCase() },
      bytes,
      alice,
    );
    expect(image).toMatchObject({ sha256: sha, size: 4, uploadedBy: 'alice' });
    await expect(
      service.uploadImage(
        { identifier: 'FW-1', version: '1.1', deviceProfiles: [], sha256: '0'.repeat(64) },
        bytes,
        alice,
      ),
    ).rejects.toMatchObject({ code: 'CONTROL_INVALID', detail: { field: 'sha256', actual: sha } });
    await expect(
      service.uploadImage(
        { identifier: 'FW-1', version: '1.1', deviceProfiles: [] },
        new Uint8Array(9),
        alice,
      ),
    ).rejects.toMatchObject({ code: 'CONTROL_INVALID', detail: { field: 'size' } });
    await expect(
      service.uploadImage({ identifier: 'x'.repeat(65), version: '1', deviceProfiles: [] }, bytes, alice),
    ).rejects.toMatchObject({ detail: { field: 'identifier' } });
    expect((await audit()).map((a) => a.outcome)).toEqual(['allowed', 'denied', 'denied', 'denied']);
  });
});
