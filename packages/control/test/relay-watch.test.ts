import { createMemoryEventBus } from '@openhes/bus';
import type { NewMeterEvent } from '@openhes/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HEAD_END_CONTROL_LOG, HeadEndEventCode, RelayWatch } from '../src/relay-watch.ts';
import { addMeter, type TestStore, testStore } from './runner-fakes.ts';

let t: TestStore;
beforeEach(async () => {
  t = await testStore();
});
afterEach(async () => {
  await t.close();
});

const IDIS_DISCONNECTOR_LOG = '0.0.99.98.2.255';

function event(
  meterId: number,
  ts: number,
  code: number,
  category: NewMeterEvent['category'] = 'disconnector',
): NewMeterEvent {
  return { meterId, meterTime: ts, ts, log: IDIS_DISCONNECTOR_LOG, code, category, raw: null };
}

/** Publishes what the store's outbox announced since `after` on the bus; returns the last seq. */
async function relay(bus: ReturnType<typeof createMemoryEventBus>, after: number): Promise<number> {
  const entries = await t.sqlite.outbox.read(after, 1000);
  await bus.publish(entries);
  await bus.drain();
  return entries.at(-1)?.seq ?? after;
}

async function headEndEvents(meterId: number) {
  return (await t.store.events.list({ meterId, limit: 100 })).items.filter(
    (e) => e.log === HEAD_END_CONTROL_LOG,
  );
}

describe('RelayWatch', () => {
  it('records a head-end event for a relay change nobody ordered, none for one a confirmed disconnect explains', async () => {
    const bus = createMemoryEventBus();
    const watch = new RelayWatch(t.store, { windowMs: 10 * 60_000 });
    await watch.start(bus);
    const lonely = await addMeter(t.store);
    const ordered = await addMeter(t.store);
    const now = t.clock.now();
    // A disconnect of ours on `ordered`, confirmed 2 minutes before its meter logged the change.
    const cmd = await t.store.commands.create({
      kind: 'disconnect',
      meterId: ordered,
      parameters: {},
      reason: 'test',
      requestedBy: 'alice',
    });
    await t.store.commands.transition(cmd.id, 'queued', 'sending', 'control');
    await t.store.commands.transition(cmd.id, 'sending', 'confirmed', 'control');
    t.clock.advance(2 * 60_000);

    await t.store.events.append([
      event(lonely, now - 3_600_000, 60), // manual disconnection
      event(lonely, now - 3_000_000, 65), // limiter threshold exceeded: no relay change
      event(lonely, now - 2_000_000, 12, 'tamper'),
      event(ordered, now + 2 * 60_000, 62), // remote disconnection: ours
    ]);
    let seq = await relay(bus, 0);
    const mine = await headEndEvents(lonely);
    expect(mine.map((e) => [e.code, e.ts, e.category])).toEqual([
      [HeadEndEventCode.relayUnordered, now - 3_600_000, 'disconnector'],
    ]);
    expect(await headEndEvents(ordered)).toEqual([]);
    // Our own event came back through the outbox, and the first one again: nothing new.
    seq = await relay(bus, seq);
    const again = await t.sqlite.outbox.read(0, 1000);
    await bus.publish(again.filter((m) => m.type === 'event.stored'));
    await bus.drain();
    expect(await headEndEvents(lonely)).toHaveLength(1);
    // Far outside the window, the same meter's change is unordered again.
    await t.store.events.append([event(ordered, now + 3_600_000, 63)]);
    await relay(bus, seq);
    expect((await headEndEvents(ordered)).map((e) => e.code)).toEqual([HeadEndEventCode.relayUnordered]);
    const audit = (await t.store.audit.list({ limit: 100 })).items.filter(
      (a) => a.action === 'relay.unordered',
    );
    expect(audit.map((a) => a.target)).toEqual([`meter:${lonely}`, `meter:${ordered}`]);
    await watch.stop();
  });

  it('IS 15959 codes 301/302 count; a command being sent explains a change', async () => {
    const watch = new RelayWatch(t.store);
    const meterId = await addMeter(t.store);
    const payload = (code: number) => ({
      eventId: 1,
      meterId,
      ts: t.clock.now(),
      log: '0.0.99.98.6.255',
      code,
      category: 'disconnector',
    });
    const cmd = await t.store.commands.create({
      kind: 'connect',
      meterId,
      parameters: {},
      reason: 'test',
      requestedBy: 'a',
    });
    await t.store.commands.transition(cmd.id, 'queued', 'sending', 'control');
    expect(await watch.onEvent(payload(302))).toBeNull();
    await t.store.commands.transition(cmd.id, 'sending', 'failed', 'control');
    t.clock.advance(3_600_000);
    expect(await watch.onEvent({ ...payload(301), ts: t.clock.now() })).toMatchObject({
      code: HeadEndEventCode.relayUnordered,
    });
  });
});
