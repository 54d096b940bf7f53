import { createHash } from 'node:crypto';
import {
  type CommandChangedPayload,
  type CommandState,
  MAX_FIRMWARE_IMAGE_BYTES,
  type Meter,
  type NewCampaign,
  type NewCommand,
  type OutboxEntry,
  type Store,
} from '@openhes/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorageError } from '../src/errors.ts';
import { addMeter, failure, type Harness } from './helpers.ts';

/** Every outbox entry, oldest first. */
async function outbox(store: Store): Promise<OutboxEntry[]> {
  const all: OutboxEntry[] = [];
  for (;;) {
    const more = await store.outbox.read(all.at(-1)?.seq ?? 0, 1000);
    if (more.length === 0) return all;
    all.push(...more);
  }
}

/** SQL making every outbox insert of this message type fail (a fault inside the data's transaction). */
function failTypeSql(dialect: string, type: string): string {
  if (dialect === 'sqlite') {
    return `CREATE TRIGGER control_fault BEFORE INSERT ON outbox WHEN NEW.type = '${type}'
            BEGIN SELECT RAISE(ABORT, 'injected outbox fault'); END`;
  }
  return `CREATE FUNCTION control_fault() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.type = '${type}' THEN RAISE EXCEPTION 'injected outbox fault'; END IF; RETURN NEW; END $$;
    CREATE TRIGGER control_fault BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION control_fault()`;
}

function clearFaultSql(dialect: string): string {
  return dialect === 'sqlite'
    ? 'DROP TRIGGER control_fault'
    : 'DROP TRIGGER control_fault ON outbox; DROP FUNCTION control_fault()';
}

const command = (meterId: number, extra: Partial<NewCommand> = {}): NewCommand => ({
  kind: 'disconnect',
  meterId,
  parameters: {},
  reason: 'non-payment',
  requestedBy: 'alice',
  ...extra,
});

const campaign = (extra: Partial<NewCampaign> = {}): NewCampaign => ({
  name: 'arrears',
  kind: 'disconnect',
  target: { tags: ['arrears'] },
  parameters: { finalRead: true },
  reason: 'non-payment',
  requestedBy: 'alice',
  requestedFrom: '10.0.0.7',
  ...extra,
});

/**
 * Meter control in the store: commands, campaigns, firmware images, pending keys and the
 * user rights, run on SQLite and PostgreSQL alike.
 */
export function controlContract(name: string, harness: () => Harness): void {
  const dialect = name;
  describe(`${name}: meter control store contract`, () => {
    let h: Harness;
    let store: Store;
    beforeEach(async () => {
      h = harness();
      store = await h.open();
    });
    afterEach(async () => {
      await store.close();
      await h.cleanup();
    });
    const s = () => store;

    it('creates commands with their reason, priority, initial state and first history entry', async () => {
      const m = await addMeter(s());
      const deadline = Date.now() + 3_600_000;
      const c = await s().commands.create(
        command(m.id, {
          priority: 'urgent',
          state: 'awaiting-approval',
          deadline,
          requestedFrom: '192.0.2.1',
          parameters: { finalRead: false },
        }),
      );
      expect(c).toMatchObject({
        kind: 'disconnect',
        meterId: m.id,
        campaignId: null,
        reason: 'non-payment',
        priority: 'urgent',
        state: 'awaiting-approval',
        attempts: 0,
        deadline,
        requestedBy: 'alice',
        requestedFrom: '192.0.2.1',
        approvedBy: null,
        progress: null,
        result: null,
        error: null,
        parameters: { finalRead: false },
      });
      expect(c.history).toEqual([{ state: 'awaiting-approval', at: c.createdAt, by: 'alice', detail: null }]);
      expect(await s().commands.get(c.id)).toEqual(c);
      expect(await s().commands.get(c.id + 1000)).toBeNull();
      const plain = await s().commands.create(command(m.id));
      expect(plain).toMatchObject({
        state: 'queued',
        priority: 'normal',
        deadline: null,
        requestedFrom: null,
      });

      for (const [bad, field] of [
        [{ kind: 'read-on-demand' }, 'kind'],
        [{ reason: 'because' }, 'reason'],
        [{ priority: 'high' }, 'priority'],
        [{ state: 'sending' }, 'state'],
        [{ parameters: [] }, 'parameters'],
        [{ requestedBy: '' }, 'requestedBy'],
        [{ deadline: 5 }, 'deadline'],
        [{ meterId: -1 }, 'meterId'],
      ] as const) {
        const e = await s()
          .commands.create(command(m.id, bad as Partial<NewCommand>))
          .catch((x: unknown) => x);
        expect(e, field).toBeInstanceOf(StorageError);
        expect((e as StorageError).kind).toBe('invalid');
        expect((e as StorageError).detail?.field).toBe(field);
      }
      expect(await failure(s().commands.create(command(99_999)))).toEqual({
        code: 'STORAGE_NOT_FOUND',
        reason: 'STORAGE_UNKNOWN_METER',
      });
      expect(await failure(s().commands.create(command(m.id, { campaignId: 99_999 })))).toEqual({
        code: 'STORAGE_NOT_FOUND',
        reason: 'STORAGE_UNKNOWN_CAMPAIGN',
      });
      expect((await s().commands.list({ meterId: m.id })).items).toHaveLength(2);
    });

    it('transitions by compare-and-set with patch fields; update writes fields only while in state', async () => {
      const m = await addMeter(s());
      const c = await s().commands.create(command(m.id, { state: 'awaiting-approval' }));
      expect(await failure(s().commands.transition(c.id, 'awaiting-approval', 'confirmed', 'x'))).toEqual({
        code: 'STORAGE_INVALID_INPUT',
        reason: 'STORAGE_INVALID_TRANSITION',
      });
      expect(await failure(s().commands.transition(c.id, 'queued', 'sending', 'x'))).toEqual({
        code: 'STORAGE_CONFLICT',
        reason: 'STORAGE_STATE_CHANGED',
      });
      expect(await failure(s().commands.transition(c.id + 1000, 'queued', 'sending', 'x'))).toEqual({
        code: 'STORAGE_NOT_FOUND',
        reason: 'STORAGE_UNKNOWN_COMMAND',
      });
      const approved = await s().commands.transition(c.id, 'awaiting-approval', 'queued', 'bob', {
        approvedBy: 'bob',
      });
      expect(approved).toMatchObject({ state: 'queued', approvedBy: 'bob' });
      const sending = await s().commands.transition(c.id, 'queued', 'sending', 'runner', {
        attempts: 1,
        progress: { step: 'final-read' },
      });
      expect(sending).toMatchObject({ attempts: 1, progress: { step: 'final-read' } });
      const marked = await s().commands.update(c.id, 'sending', { progress: { step: 'disconnect-sent' } });
      expect(marked.progress).toEqual({ step: 'disconnect-sent' });
      expect(marked.history).toHaveLength(3);
      expect(marked.updatedAt).toBeGreaterThanOrEqual(sending.updatedAt);
      expect(await failure(s().commands.update(c.id, 'queued', { attempts: 5 }))).toEqual({
        code: 'STORAGE_CONFLICT',
        reason: 'STORAGE_STATE_CHANGED',
      });
      expect(await failure(s().commands.update(c.id, 'sending', { attempts: -1 }))).toMatchObject({
        code: 'STORAGE_INVALID_INPUT',
      });
      const retry = await s().commands.transition(c.id, 'sending', 'queued', 'runner', {
        error: { code: 'LINK_DROPPED', message: 'the link dropped' },
        detail: { retryInMs: 5000 },
      });
      expect(retry).toMatchObject({
        state: 'queued',
        attempts: 1,
        progress: { step: 'disconnect-sent' },
        error: { code: 'LINK_DROPPED', message: 'the link dropped' },
      });
      await s().commands.transition(c.id, 'queued', 'sending', 'runner', { attempts: 2, error: null });
      const done = await s().commands.transition(c.id, 'sending', 'confirmed', 'runner', {
        result: { outputState: false, controlState: 'disconnected' },
        progress: null,
      });
      expect(done).toMatchObject({
        state: 'confirmed',
        attempts: 2,
        error: null,
        progress: null,
        approvedBy: 'bob',
        result: { outputState: false, controlState: 'disconnected' },
      });
      expect(done.history.map((x) => [x.state, x.by, x.detail])).toEqual([
        ['awaiting-approval', 'alice', null],
        ['queued', 'bob', null],
        ['sending', 'runner', null],
        ['queued', 'runner', { retryInMs: 5000 }],
        ['sending', 'runner', null],
        ['confirmed', 'runner', null],
      ]);
      expect(await s().commands.get(c.id)).toEqual(done);
      // Terminal: nothing leaves confirmed.
      expect(await failure(s().commands.transition(c.id, 'confirmed', 'queued', 'x'))).toMatchObject({
        code: 'STORAGE_INVALID_INPUT',
      });
    });

    it('lets exactly one of many concurrent runners take a command; concurrent uploads keep one image', async () => {
      const m = await addMeter(s());
      const c = await s().commands.create(command(m.id));
      const tries = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          s().commands.transition(c.id, 'queued', 'sending', `runner-${i}`, { attempts: 1 }),
        ),
      );
      const won = tries.filter((t) => t.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const t of tries) {
        if (t.status === 'rejected') expect((t.reason as StorageError).code).toBe('STORAGE_CONFLICT');
      }
      const got = await s().commands.get(c.id);
      expect(got?.history.map((x) => x.state)).toEqual(['queued', 'sending']);
      expect(got?.attempts).toBe(1);
      const sending = (await outbox(s())).filter((x) => x.type === 'command.sending');
      expect(sending.map((x) => x.id)).toEqual([`command:${c.id}:1`]);

      const data = new Uint8Array(50_000).fill(9);
      const meta = { identifier: 'fw', version: '1', deviceProfiles: [], uploadedBy: 'alice' };
      const images = await Promise.all(Array.from({ length: 4 }, () => s().firmware.put(meta, data)));
      expect(new Set(images.map((x) => x.id)).size).toBe(1);
      expect((await s().firmware.list({})).items).toHaveLength(1);
    });

    it('lists commands by filters in either order, never an empty page with a next cursor', async () => {
      const [a, b] = [await addMeter(s()), await addMeter(s())];
      const ids: number[] = [];
      for (let i = 0; i < 12; i++) {
        const c = await s().commands.create(
          command(i % 3 === 0 ? a.id : b.id, {
            kind: i % 2 === 0 ? 'disconnect' : 'connect',
            reason: i % 2 === 0 ? 'non-payment' : 'reinstatement',
            requestedBy: i < 6 ? 'alice' : 'bob',
          }),
        );
        ids.push(c.id);
      }
      // ids[0] confirmed, ids[3] cancelled; the others queued.
      await s().commands.transition(ids[0]!, 'queued', 'sending', 'r');
      await s().commands.transition(ids[0]!, 'sending', 'confirmed', 'r');
      await s().commands.transition(ids[3]!, 'queued', 'cancelled', 'alice');

      async function all(q: Parameters<Store['commands']['list']>[0]): Promise<number[]> {
        const out: number[] = [];
        let cursor: string | null = null;
        do {
          const page = await s().commands.list({ ...q, cursor, limit: 2 });
          if (page.nextCursor !== null) expect(page.items.length).toBe(2);
          out.push(...page.items.map((c) => c.id));
          cursor = page.nextCursor;
        } while (cursor !== null);
        return out;
      }
      const onA = ids.filter((_, i) => i % 3 === 0);
      expect(await all({ meterId: a.id })).toEqual(onA);
      expect(await all({ meterId: a.id, order: 'desc' })).toEqual([...onA].reverse());
      expect(await all({ meterId: a.id, state: ['confirmed', 'cancelled'] })).toEqual([ids[0], ids[3]]);
      expect(await all({ state: 'queued', kind: 'connect', requestedBy: 'bob' })).toEqual([
        ids[7],
        ids[9],
        ids[11],
      ]);
      expect(await all({ state: [] })).toEqual([]);
      expect(await all({ order: 'desc' })).toEqual([...ids].reverse());
      expect(await failure(s().commands.list({ state: 'sent' as CommandState }))).toMatchObject({
        code: 'STORAGE_INVALID_INPUT',
      });
      expect(await failure(s().commands.list({ cursor: 'not-a-cursor' }))).toMatchObject({
        code: 'STORAGE_INVALID_INPUT',
      });
    });

    it('due(): unfinished commands of no campaign or a running one, urgent first then oldest', async () => {
      const m = await addMeter(s());
      const others = [await addMeter(s()), await addMeter(s()), await addMeter(s())];
      const n1 = await s().commands.create(command(m.id));
      const n2 = await s().commands.create(command(m.id, { kind: 'time-sync', reason: 'maintenance' }));
      const u1 = await s().commands.create(command(m.id, { priority: 'urgent' }));
      const held = await s().commands.create(command(m.id, { state: 'awaiting-approval' }));
      const done = await s().commands.create(command(m.id));
      await s().commands.transition(done.id, 'queued', 'cancelled', 'alice');
      await s().commands.transition(n2.id, 'queued', 'sending', 'runner');
      const running = await s().campaigns.create(
        campaign({ name: 'running' }),
        others.map((x) => x.id),
      );
      const paused = await s().campaigns.create(
        campaign({ name: 'paused', priority: 'urgent' }),
        others.map((x) => x.id),
      );
      await s().campaigns.transition(paused.id, 'running', 'paused', 'alice');
      const waiting = await s().campaigns.create(
        campaign({ name: 'waiting', state: 'awaiting-approval', priority: 'urgent' }),
        others.map((x) => x.id),
      );
      const ofRunning = (await s().commands.list({ campaignId: running.id })).items.map((c) => c.id);
      expect(ofRunning).toHaveLength(3);

      const due = await s().commands.due(100);
      expect(due.map((c) => c.id)).toEqual([u1.id, n1.id, n2.id, ...ofRunning]);
      expect(due.map((c) => c.state)).toEqual(['queued', 'queued', 'sending', 'queued', 'queued', 'queued']);
      expect((await s().commands.due(2)).map((c) => c.id)).toEqual([u1.id, n1.id]);
      expect((await s().commands.due(3, new Set([u1.id, n2.id, ofRunning[0]!]))).map((c) => c.id)).toEqual([
        n1.id,
        ofRunning[1],
        ofRunning[2],
      ]);
      expect(due.map((c) => c.id)).not.toContain(held.id);

      // Resumed, the paused campaign's (urgent) commands come first; approval frees the waiting ones.
      await s().campaigns.transition(paused.id, 'paused', 'running', 'alice');
      const ofPaused = (await s().commands.list({ campaignId: paused.id })).items.map((c) => c.id);
      expect((await s().commands.due(4)).map((c) => c.id)).toEqual([u1.id, ...ofPaused]);
      await s().campaigns.transition(waiting.id, 'awaiting-approval', 'running', 'bob', {
        approvedBy: 'bob',
      });
      expect((await s().commands.due(100)).some((c) => c.campaignId === waiting.id)).toBe(false);
      expect(
        await s().commands.transitionCampaignCommands(waiting.id, ['awaiting-approval'], 'queued', 'bob'),
      ).toBe(3);
      const freed = (await s().commands.due(100)).filter((c) => c.campaignId === waiting.id);
      expect(freed).toHaveLength(3);
      expect(freed.every((c) => c.approvedBy === 'bob' && c.priority === 'urgent')).toBe(true);
      expect(await failure(s().commands.due(0))).toMatchObject({ code: 'STORAGE_INVALID_INPUT' });
    });

    it('createMany stores 20,000 commands in one go, and nothing when one meter is unknown', async () => {
      const meters: Meter[] = [];
      for (let i = 0; i < 20; i++) meters.push(await addMeter(s()));
      const c = await s().campaigns.create(campaign({ name: 'bulk' }), []);
      expect(c.meterCount).toBe(0);
      const parameters = { finalRead: true };
      const many: NewCommand[] = Array.from({ length: 20_000 }, (_, i) =>
        command(meters[i % meters.length]!.id, { campaignId: c.id, parameters }),
      );
      expect(await s().commands.createMany(many)).toBe(20_000);
      const progress = await s().commands.progress(c.id);
      expect(progress.queued).toBe(20_000);
      const page = await s().commands.list({ campaignId: c.id, limit: 3 });
      expect(page.items.map((x) => x.meterId)).toEqual([meters[0]!.id, meters[1]!.id, meters[2]!.id]);
      expect(page.items[0]).toMatchObject({
        parameters,
        reason: 'non-payment',
        state: 'queued',
        attempts: 0,
      });
      expect(page.items[0]!.history).toEqual([
        { state: 'queued', at: page.items[0]!.createdAt, by: 'alice', detail: null },
      ]);
      // Mixed runs keep their order and their own fields.
      const mixed = await s().commands.createMany([
        command(meters[0]!.id, { kind: 'connect', reason: 'reinstatement' }),
        command(meters[1]!.id, { kind: 'connect', reason: 'reinstatement' }),
        command(meters[2]!.id, { priority: 'urgent', state: 'awaiting-approval' }),
      ]);
      expect(mixed).toBe(3);
      const last = (await s().commands.list({ order: 'desc', limit: 3 })).items.reverse();
      expect(last.map((x) => [x.meterId, x.kind, x.priority, x.state])).toEqual([
        [meters[0]!.id, 'connect', 'normal', 'queued'],
        [meters[1]!.id, 'connect', 'normal', 'queued'],
        [meters[2]!.id, 'disconnect', 'urgent', 'awaiting-approval'],
      ]);

      const before = await s().commands.list({ limit: 1, order: 'desc' });
      expect(
        await failure(
          s().commands.createMany([...many.slice(0, 5_000), command(99_999, { campaignId: c.id })]),
        ),
      ).toMatchObject({ code: 'STORAGE_NOT_FOUND', reason: 'STORAGE_UNKNOWN_METER' });
      expect(
        await failure(s().commands.createMany([command(meters[0]!.id, { reason: 'x' as never })])),
      ).toMatchObject({ code: 'STORAGE_INVALID_INPUT' });
      expect((await s().commands.progress(c.id)).queued).toBe(20_000);
      expect((await s().commands.list({ limit: 1, order: 'desc' })).items).toEqual(before.items);
      expect(await s().commands.createMany([])).toBe(0);
    });

    it('counts a campaign by state and moves its commands in bulk with history and announcements', async () => {
      const meters = [await addMeter(s()), await addMeter(s()), await addMeter(s())];
      const image = await s().firmware.put(
        { identifier: 'fw-1', version: '1', deviceProfiles: [], uploadedBy: 'alice' },
        new Uint8Array([1, 2, 3]),
      );
      expect(
        await failure(
          s().campaigns.create(campaign({ kind: 'firmware-update', parameters: { imageId: image.id + 1 } }), [
            meters[0]!.id,
          ]),
        ),
      ).toEqual({ code: 'STORAGE_NOT_FOUND', reason: 'STORAGE_UNKNOWN_FIRMWARE_IMAGE' });
      const c = await s().campaigns.create(
        campaign({
          kind: 'firmware-update',
          parameters: { imageId: image.id },
          reason: 'maintenance',
          state: 'awaiting-approval',
        }),
        [meters[0]!.id, meters[1]!.id, meters[2]!.id, meters[0]!.id],
      );
      expect(c).toMatchObject({ state: 'awaiting-approval', meterCount: 3, approvedBy: null, dryRun: false });
      const zero = Object.fromEntries(
        [
          'requested',
          'awaiting-approval',
          'queued',
          'sending',
          'confirmed',
          'failed',
          'expired',
          'cancelled',
          'rejected',
        ].map((x) => [x, 0]),
      );
      expect(await s().commands.progress(c.id)).toEqual({ ...zero, 'awaiting-approval': 3 });
      expect(await failure(s().commands.progress(c.id + 1000))).toMatchObject({ code: 'STORAGE_NOT_FOUND' });

      expect(
        await failure(s().commands.transitionCampaignCommands(c.id, ['awaiting-approval'], 'sending', 'bob')),
      ).toEqual({ code: 'STORAGE_INVALID_INPUT', reason: 'STORAGE_INVALID_TRANSITION' });
      const seen = (await outbox(s())).length;
      await s().campaigns.transition(c.id, 'awaiting-approval', 'running', 'bob', { approvedBy: 'bob' });
      expect(
        await s().commands.transitionCampaignCommands(c.id, ['awaiting-approval'], 'queued', 'bob', {
          note: 'ok',
        }),
      ).toBe(3);
      const cmds = (await s().commands.list({ campaignId: c.id })).items;
      expect(cmds.map((x) => x.meterId)).toEqual(meters.map((x) => x.id));
      for (const x of cmds) {
        expect(x).toMatchObject({
          state: 'queued',
          approvedBy: 'bob',
          campaignId: c.id,
          kind: 'firmware-update',
        });
        expect(x.history.map((e) => [e.state, e.by, e.detail])).toEqual([
          ['awaiting-approval', 'alice', null],
          ['queued', 'bob', { note: 'ok' }],
        ]);
      }
      const news = (await outbox(s())).slice(seen);
      expect(news.map((x) => x.type)).toEqual([
        'campaign.running',
        'command.queued',
        'command.queued',
        'command.queued',
      ]);
      expect(
        news
          .slice(1)
          .map((x) => x.id)
          .sort(),
      ).toEqual(cmds.map((x) => `command:${x.id}:1`).sort());
      const p = news.find((x) => x.id === `command:${cmds[1]!.id}:1`)!.payload as CommandChangedPayload;
      expect(p).toEqual({
        commandId: cmds[1]!.id,
        meterId: meters[1]!.id,
        kind: 'firmware-update',
        from: 'awaiting-approval',
        to: 'queued',
        by: 'bob',
        detail: { note: 'ok' },
      });
      expect(news[0]!.payload).toMatchObject({
        campaignId: c.id,
        from: 'awaiting-approval',
        to: 'running',
        by: 'bob',
      });

      await s().commands.transition(cmds[0]!.id, 'queued', 'sending', 'runner');
      await s().campaigns.transition(c.id, 'running', 'cancelled', 'alice');
      expect(
        await s().commands.transitionCampaignCommands(
          c.id,
          ['queued', 'awaiting-approval'],
          'cancelled',
          'alice',
        ),
      ).toBe(2);
      expect(await s().commands.progress(c.id)).toEqual({ ...zero, sending: 1, cancelled: 2 });
      expect(await s().commands.transitionCampaignCommands(c.id, ['queued'], 'cancelled', 'alice')).toBe(0);
      expect(
        await failure(s().commands.transitionCampaignCommands(c.id + 1000, ['queued'], 'cancelled', 'alice')),
      ).toMatchObject({ code: 'STORAGE_NOT_FOUND' });
    });

    it('keeps campaigns: one transaction with their commands, compare-and-set moves, filtered lists', async () => {
      const meters = [await addMeter(s()), await addMeter(s())];
      const deadline = Date.now() + 86_400_000;
      const a = await s().campaigns.create(
        campaign({
          throttle: { maxInFlight: 10, perSegment: 2, urgentPerSegment: 0 },
          deadline,
          priority: 'urgent',
          dryRun: true,
        }),
        meters.map((m) => m.id),
      );
      expect(a).toMatchObject({
        name: 'arrears',
        kind: 'disconnect',
        target: { tags: ['arrears'] },
        parameters: { finalRead: true },
        reason: 'non-payment',
        priority: 'urgent',
        throttle: { maxInFlight: 10, perSegment: 2, urgentPerSegment: 0 },
        deadline,
        dryRun: true,
        state: 'running',
        meterCount: 2,
        requestedBy: 'alice',
        requestedFrom: '10.0.0.7',
        approvedBy: null,
      });
      expect(a.history).toEqual([{ state: 'running', at: a.createdAt, by: 'alice', detail: null }]);
      expect(await s().campaigns.get(a.id)).toEqual(a);
      const cmds = (await s().commands.list({ campaignId: a.id })).items;
      expect(cmds.map((c) => [c.meterId, c.state, c.priority, c.deadline, c.requestedFrom])).toEqual(
        meters.map((m) => [m.id, 'queued', 'urgent', deadline, '10.0.0.7']),
      );

      // Unknown meter or bad input: neither the campaign nor any command is stored.
      expect(
        await failure(s().campaigns.create(campaign({ name: 'bad' }), [meters[0]!.id, 99_999])),
      ).toMatchObject({
        code: 'STORAGE_NOT_FOUND',
        reason: 'STORAGE_UNKNOWN_METER',
      });
      for (const bad of [
        { name: '' },
        { kind: 'reboot' },
        { throttle: { maxInFlight: 0 } },
        { target: { tags: 'x' } },
        { dryRun: 'yes' },
        { state: 'paused' },
      ]) {
        expect(
          await failure(s().campaigns.create(campaign(bad as Partial<NewCampaign>), [meters[0]!.id])),
          JSON.stringify(bad),
        ).toMatchObject({ code: 'STORAGE_INVALID_INPUT' });
      }
      expect((await s().campaigns.list({})).items.map((c) => c.id)).toEqual([a.id]);
      expect((await s().commands.list({})).items).toHaveLength(2);

      const b = await s().campaigns.create(
        campaign({
          name: 'keys',
          kind: 'key-rotation',
          reason: 'maintenance',
          state: 'awaiting-approval',
          requestedBy: 'carol',
        }),
        [meters[1]!.id],
      );
      expect(await failure(s().campaigns.transition(b.id, 'running', 'paused', 'x'))).toEqual({
        code: 'STORAGE_CONFLICT',
        reason: 'STORAGE_STATE_CHANGED',
      });
      expect(await failure(s().campaigns.transition(b.id, 'awaiting-approval', 'completed', 'x'))).toEqual({
        code: 'STORAGE_INVALID_INPUT',
        reason: 'STORAGE_INVALID_TRANSITION',
      });
      expect(await failure(s().campaigns.transition(b.id + 1000, 'running', 'paused', 'x'))).toMatchObject({
        code: 'STORAGE_NOT_FOUND',
      });
      const rejected = await s().campaigns.transition(b.id, 'awaiting-approval', 'rejected', 'dave', {
        detail: { note: 'not now' },
      });
      expect(rejected.history.map((x) => [x.state, x.by, x.detail])).toEqual([
        ['awaiting-approval', 'carol', null],
        ['rejected', 'dave', { note: 'not now' }],
      ]);
      const paused = await s().campaigns.transition(a.id, 'running', 'paused', 'alice');
      const resumed = await s().campaigns.transition(a.id, 'paused', 'running', 'alice');
      expect(resumed.history.map((x) => x.state)).toEqual(['running', 'paused', 'running']);
      expect(resumed.updatedAt).toBeGreaterThanOrEqual(paused.updatedAt);
      const c3 = await s().campaigns.create(campaign({ name: 'third' }), []);

      async function all(q: Parameters<Store['campaigns']['list']>[0]): Promise<number[]> {
        const out: number[] = [];
        let cursor: string | null = null;
        do {
          const page = await s().campaigns.list({ ...q, cursor, limit: 1 });
          if (page.nextCursor !== null) expect(page.items).toHaveLength(1);
          out.push(...page.items.map((c) => c.id));
          cursor = page.nextCursor;
        } while (cursor !== null);
        return out;
      }
      expect(await all({})).toEqual([a.id, b.id, c3.id]);
      expect(await all({ order: 'desc' })).toEqual([c3.id, b.id, a.id]);
      expect(await all({ state: 'running' })).toEqual([a.id, c3.id]);
      expect(await all({ state: ['rejected', 'completed'] })).toEqual([b.id]);
      expect(await all({ dryRun: true })).toEqual([a.id]);
      expect(await all({ dryRun: false, kind: 'disconnect' })).toEqual([c3.id]);
      expect(await all({ requestedBy: 'carol' })).toEqual([b.id]);
    });

    it('announces campaign changes in the same transaction: a failed announcement changes nothing', async () => {
      const meters = [await addMeter(s()), await addMeter(s())];
      const c = await s().campaigns.create(
        campaign(),
        meters.map((m) => m.id),
      );
      const first = (await outbox(s())).filter((x) => x.type.startsWith('campaign.'));
      expect(first.map((x) => [x.type, x.key, x.id])).toEqual([
        ['campaign.running', `campaign:${c.id}`, `campaign:${c.id}:0`],
      ]);
      expect(first[0]!.payload).toEqual({
        campaignId: c.id,
        kind: 'disconnect',
        from: 'requested',
        to: 'running',
        by: 'alice',
        meterCount: 2,
        dryRun: false,
        detail: null,
      });

      await h.exec(failTypeSql(dialect, 'campaign.paused'));
      await expect(s().campaigns.transition(c.id, 'running', 'paused', 'alice')).rejects.toThrow();
      expect((await s().campaigns.get(c.id))?.state).toBe('running');
      await h.exec(clearFaultSql(dialect));

      await h.exec(failTypeSql(dialect, 'command.cancelled'));
      await expect(
        s().commands.transitionCampaignCommands(c.id, ['queued'], 'cancelled', 'alice'),
      ).rejects.toThrow();
      expect((await s().commands.progress(c.id)).queued).toBe(2);
      await h.exec(clearFaultSql(dialect));

      await h.exec(failTypeSql(dialect, 'campaign.running'));
      await expect(s().campaigns.create(campaign({ name: 'never' }), [meters[0]!.id])).rejects.toThrow();
      await h.exec(clearFaultSql(dialect));
      expect((await s().campaigns.list({})).items.map((x) => x.id)).toEqual([c.id]);
      expect((await s().commands.list({})).items).toHaveLength(2);
    });

    it('keeps firmware images by hash: dedupe, size limit, bytes, delete refused while a command names it', async () => {
      const m = await addMeter(s());
      const data = new Uint8Array(100_000).map((_, i) => (i * 31) % 251);
      const meta = {
        identifier: 'AM550-2.1.0',
        version: '2.1.0',
        deviceProfiles: ['acme-am550'],
        uploadedBy: 'alice',
      };
      const img = await s().firmware.put(meta, data);
      expect(img).toMatchObject({
        ...meta,
        size: 100_000,
        sha256: createHash('sha256').update(data).digest('hex'),
      });
      expect(await s().firmware.get(img.id)).toEqual(img);
      expect(Buffer.from((await s().firmware.bytes(img.id))!).equals(Buffer.from(data))).toBe(true);
      expect(await s().firmware.bytes(img.id + 1000)).toBeNull();
      expect(await s().firmware.get(img.id + 1000)).toBeNull();
      const again = await s().firmware.put({ ...meta, identifier: 'other', uploadedBy: 'bob' }, data.slice());
      expect(again).toEqual(img);
      const other = await s().firmware.put(
        { ...meta, identifier: 'AM550-2.1.1', version: '2.1.1' },
        data.subarray(1),
      );
      expect(other.id).not.toBe(img.id);
      expect(other.size).toBe(99_999);
      expect((await s().firmware.list({ limit: 1 })).items.map((x) => x.id)).toEqual([img.id]);
      const page2 = await s().firmware.list({
        limit: 1,
        cursor: (await s().firmware.list({ limit: 1 })).nextCursor,
      });
      expect(page2).toEqual({ items: [other], nextCursor: null });

      const tooBig = await s()
        .firmware.put(meta, new Uint8Array(MAX_FIRMWARE_IMAGE_BYTES + 1))
        .catch((e: unknown) => e);
      expect(tooBig).toBeInstanceOf(StorageError);
      expect((tooBig as StorageError).kind).toBe('invalid');
      expect((tooBig as StorageError).detail?.reason).toBe('STORAGE_IMAGE_TOO_LARGE');
      for (const [bad, bytes] of [
        [{ ...meta, identifier: 'x'.repeat(65) }, data],
        [{ ...meta, identifier: 'tab\there' }, data],
        [{ ...meta, deviceProfiles: 'acme' }, data],
        [meta, new Uint8Array()],
      ] as const) {
        expect(await failure(s().firmware.put(bad as never, bytes))).toMatchObject({
          code: 'STORAGE_INVALID_INPUT',
        });
      }

      const cmd = await s().commands.create(
        command(m.id, { kind: 'firmware-update', parameters: { imageId: img.id }, reason: 'maintenance' }),
      );
      expect(await failure(s().firmware.delete(img.id))).toEqual({
        code: 'STORAGE_CONFLICT',
        reason: 'STORAGE_IMAGE_IN_USE',
      });
      // A firmware update names a stored image.
      const update = (imageId: unknown) =>
        command(m.id, { kind: 'firmware-update', parameters: { imageId }, reason: 'maintenance' });
      expect(await failure(s().commands.create(update(img.id + 1000)))).toEqual({
        code: 'STORAGE_NOT_FOUND',
        reason: 'STORAGE_UNKNOWN_FIRMWARE_IMAGE',
      });
      expect(await failure(s().commands.createMany([update(img.id), update(img.id + 1000)]))).toMatchObject({
        code: 'STORAGE_NOT_FOUND',
      });
      expect(await failure(s().commands.create(update('latest')))).toMatchObject({
        code: 'STORAGE_INVALID_INPUT',
      });
      expect((await s().commands.list({ kind: 'firmware-update' })).items.map((x) => x.id)).toEqual([cmd.id]);
      await s().firmware.delete(other.id);
      expect(await s().firmware.get(other.id)).toBeNull();
      await s().commands.transition(cmd.id, 'queued', 'cancelled', 'alice');
      await s().firmware.delete(img.id);
      expect(await s().firmware.get(img.id)).toBeNull();
      expect(await failure(s().firmware.delete(img.id))).toMatchObject({ code: 'STORAGE_NOT_FOUND' });
    });

    it('keeps one pending key per meter and purpose until promoted to the next version or discarded', async () => {
      const m = await addMeter(s());
      const key = (b: number) => ({
        meterId: m.id,
        purpose: 'guek' as const,
        kekId: 'kek-1',
        wrapped: new Uint8Array([b, b]),
      });
      await s().keys.put(key(1));
      expect(await s().keys.pending(m.id, 'guek')).toBeNull();
      expect(await s().keys.promote(m.id, 'guek')).toBeNull();
      const p1 = await s().keys.putPending(key(2));
      expect(p1).toMatchObject({ meterId: m.id, purpose: 'guek', version: 2, kekId: 'kek-1' });
      const p2 = await s().keys.putPending({ ...key(3), kekId: 'kek-2' });
      expect(p2.wrapped).toEqual(new Uint8Array([3, 3]));
      expect(await s().keys.pending(m.id, 'guek')).toMatchObject({
        version: 2,
        kekId: 'kek-2',
        wrapped: new Uint8Array([3, 3]),
      });
      // Pending is never the current key.
      expect((await s().keys.current(m.id, 'guek'))?.wrapped).toEqual(new Uint8Array([1, 1]));
      expect(await s().keys.pending(m.id, 'gak')).toBeNull();
      const promoted = await s().keys.promote(m.id, 'guek');
      expect(promoted).toMatchObject({ version: 2, kekId: 'kek-2', wrapped: new Uint8Array([3, 3]) });
      expect(await s().keys.current(m.id, 'guek')).toEqual(promoted);
      expect((await s().keys.versions(m.id, 'guek')).map((k) => k.version)).toEqual([1, 2]);
      expect(await s().keys.pending(m.id, 'guek')).toBeNull();
      await s().keys.putPending(key(4));
      await s().keys.discardPending(m.id, 'guek');
      expect(await s().keys.pending(m.id, 'guek')).toBeNull();
      expect((await s().keys.current(m.id, 'guek'))?.version).toBe(2);
      // A first key can be pending too (version 1 once promoted).
      expect((await s().keys.putPending({ ...key(5), purpose: 'gak' })).version).toBe(1);
      expect((await s().keys.promote(m.id, 'gak'))?.version).toBe(1);
      expect(await failure(s().keys.putPending({ ...key(6), meterId: 99_999 }))).toMatchObject({
        code: 'STORAGE_NOT_FOUND',
      });
      expect(await failure(s().keys.putPending({ ...key(6), wrapped: new Uint8Array() }))).toMatchObject({
        code: 'STORAGE_INVALID_INPUT',
      });
    });

    it('keeps user roles, the approver right and password hashes', async () => {
      const u = await s().users.create({
        name: 'alice',
        displayName: 'Alice',
        role: 'operator',
        passwordHash: '$argon2id$a',
      });
      expect(u.approver).toBe(false);
      const v = await s().users.create({
        name: 'bob',
        displayName: 'Bob',
        role: 'operator',
        passwordHash: null,
        approver: true,
      });
      expect(v.approver).toBe(true);
      expect(await s().users.setRole(u.id, 'admin')).toMatchObject({ role: 'admin', approver: false });
      expect(await s().users.setApprover(u.id, true)).toMatchObject({ role: 'admin', approver: true });
      expect(await s().users.setPasswordHash(u.id, '$argon2id$b')).toMatchObject({
        passwordHash: '$argon2id$b',
      });
      expect(await s().users.get(u.id)).toMatchObject({
        role: 'admin',
        approver: true,
        passwordHash: '$argon2id$b',
      });
      expect((await s().users.setApprover(u.id, false)).approver).toBe(false);
      expect((await s().users.getByName('bob'))?.approver).toBe(true);
      expect(await failure(s().users.setRole(u.id, 'root' as never))).toMatchObject({
        code: 'STORAGE_INVALID_INPUT',
      });
      expect(await failure(s().users.setPasswordHash(u.id, ''))).toMatchObject({
        code: 'STORAGE_INVALID_INPUT',
      });
      expect(await failure(s().users.setApprover(u.id, 'yes' as never))).toMatchObject({
        code: 'STORAGE_INVALID_INPUT',
      });
      for (const p of [
        () => s().users.setRole(999, 'viewer'),
        () => s().users.setApprover(999, true),
        () => s().users.setPasswordHash(999, 'h'),
      ]) {
        expect(await failure(p())).toMatchObject({ code: 'STORAGE_NOT_FOUND' });
      }
    });
  });

  describe(`${name}: meter control migration`, () => {
    let h: Harness;
    beforeEach(() => {
      h = harness();
    });
    afterEach(async () => {
      await h.cleanup();
    });

    it('reshapes commands stored before meter control, keeping them', async () => {
      const old = await h.open({ migrateTo: 7 });
      const m = await addMeter(old);
      await old.close();
      const at = Date.UTC(2025, 0, 1);
      const history = (states: string[]) =>
        JSON.stringify(
          states.map((state, i) => ({ state, at: at + i, by: i === 0 ? 'old' : 'collector', detail: null })),
        );
      const rows: [string, string, string][] = [
        ['set-tou', 'sent', history(['queued', 'sent'])],
        ['connect', 'succeeded', history(['queued', 'sent', 'queued', 'sent', 'succeeded'])],
        ['read-on-demand', 'queued', history(['queued'])],
        ['firmware-upgrade', 'failed', history(['queued', 'failed'])],
      ];
      const ts = dialect === 'sqlite' ? String(at) : `to_timestamp(${at / 1000})`;
      await h.exec(
        `INSERT INTO commands (kind, meter_id, parameters, requested_by, state, history, created_at, updated_at) VALUES ${rows
          .map(
            ([kind, state, hist]) =>
              `('${kind}', ${m.id}, '{"a":1}', 'old', '${state}', '${hist}', ${ts}, ${ts})`,
          )
          .join(', ')}`,
      );
      const store = await h.open();
      try {
        const got = (await store.commands.list({})).items;
        expect(got.map((c) => [c.kind, c.state, c.attempts, c.reason, c.priority, c.campaignId])).toEqual([
          ['set-calendar', 'sending', 1, 'maintenance', 'normal', null],
          ['connect', 'confirmed', 2, 'maintenance', 'normal', null],
          ['read-on-demand', 'cancelled', 0, 'maintenance', 'normal', null],
          ['firmware-update', 'failed', 0, 'maintenance', 'normal', null],
        ]);
        expect(got[1]!.history.map((x) => [x.state, x.at, x.by])).toEqual([
          ['queued', at, 'old'],
          ['sending', at + 1, 'collector'],
          ['queued', at + 2, 'collector'],
          ['sending', at + 3, 'collector'],
          ['confirmed', at + 4, 'collector'],
        ]);
        expect(got[2]!.history.map((x) => [x.state, x.by])).toEqual([
          ['queued', 'old'],
          ['cancelled', 'migration-8'],
        ]);
        expect(got[2]!.error?.code).toBe('COMMAND_KIND_RETIRED');
        expect(got[0]).toMatchObject({
          parameters: { a: 1 },
          requestedBy: 'old',
          createdAt: at,
          updatedAt: at,
        });
        // The reshaped table takes new commands and the runner sees the one left sending.
        expect((await store.commands.due(10)).map((c) => c.id)).toEqual([got[0]!.id]);
        await store.commands.transition(got[0]!.id, 'sending', 'confirmed', 'runner');
        const c = await store.commands.create(command(m.id));
        expect(c.id).toBeGreaterThan(got[3]!.id);
      } finally {
        await store.close();
      }
    });
  });
}
