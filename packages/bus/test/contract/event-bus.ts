import type { BusMessage, EventBus } from '@openhes/core';
import { afterEach, describe, expect, it } from 'vitest';
import { codedRejection, eventually, sleep } from './util.ts';

export interface EventBusFixture {
  bus: EventBus;
  close(): Promise<void>;
}

export type EventBusFactory = () => Promise<EventBusFixture>;

let n = 0;
const msg = (type: string, key: string, payload: unknown = null): BusMessage => ({
  id: `m${++n}`,
  type,
  key,
  at: Date.UTC(2025, 0, 1) + n,
  payload,
});

/** What every EventBus adapter must do: pattern routing, in-order delivery per key, unsubscribe. */
export function eventBusContract(name: string, factory: EventBusFactory): void {
  describe(`${name}: event bus contract`, () => {
    const open: EventBusFixture[] = [];
    const fixture = async () => {
      const f = await factory();
      open.push(f);
      return f;
    };
    afterEach(async () => {
      for (const f of open.splice(0)) await f.close();
    });

    it('routes by type: `*` one segment, `>` the rest, literals exactly', async () => {
      const { bus } = await fixture();
      const got: Record<string, string[]> = {};
      for (const p of ['readings.stored', 'readings.*', 'command.>', '>', '*.stored', 'command.*']) {
        got[p] = [];
        await bus.subscribe(p, (m) => {
          got[p]!.push(m.type);
        });
      }
      const types = ['readings.stored', 'event.stored', 'command.sent', 'command.result.ok', 'readings'];
      await bus.publish(types.map((t) => msg(t, 'k')));
      const want = {
        'readings.stored': ['readings.stored'],
        'readings.*': ['readings.stored'],
        'command.>': ['command.sent', 'command.result.ok'],
        '>': types,
        '*.stored': ['readings.stored', 'event.stored'],
        'command.*': ['command.sent'],
      };
      await eventually(() => expect(got).toEqual(want));
      await sleep(50);
      expect(got).toEqual(want);
    });

    it('delivers each message whole, once per subscriber', async () => {
      const { bus } = await fixture();
      const a: BusMessage[] = [];
      const b: BusMessage[] = [];
      await bus.subscribe('event.stored', (m) => {
        a.push(m);
      });
      await bus.subscribe('event.*', (m) => {
        b.push(m);
      });
      const m = msg('event.stored', 'meter:1', { eventId: 5, nested: { ok: true } });
      await bus.publish([m]);
      await eventually(() => {
        expect(a).toEqual([m]);
        expect(b).toEqual([m]);
      });
    });

    it('keeps the order of one key even when handling takes varying time', async () => {
      const { bus } = await fixture();
      const seen = new Map<string, number[]>();
      await bus.subscribe('readings.>', async (m) => {
        const p = m.payload as { i: number };
        await sleep((p.i * 7) % 13);
        const list = seen.get(m.key) ?? [];
        list.push(p.i);
        seen.set(m.key, list);
      });
      const batch: BusMessage[] = [];
      for (let i = 0; i < 30; i++) batch.push(msg('readings.stored', `meter:${i % 3}`, { i }));
      await bus.publish(batch.slice(0, 10));
      await bus.publish(batch.slice(10));
      await eventually(() => expect([...seen.values()].flat()).toHaveLength(30), 5000);
      for (let k = 0; k < 3; k++) {
        expect(seen.get(`meter:${k}`)).toEqual(batch.map((_, i) => i).filter((i) => i % 3 === k));
      }
    });

    it('delivers nothing to a subscription after unsubscribe', async () => {
      const { bus } = await fixture();
      const got: string[] = [];
      const sub = await bus.subscribe('>', (m) => {
        got.push(m.id);
      });
      const first = msg('a.b', 'k');
      await bus.publish([first]);
      await eventually(() => expect(got).toEqual([first.id]));
      await sub.unsubscribe();
      await bus.publish([msg('a.b', 'k')]);
      await sleep(100);
      expect(got).toEqual([first.id]);
    });

    it('refuses a malformed pattern', async () => {
      const { bus } = await fixture();
      expect((await codedRejection(bus.subscribe('a.>.b', () => undefined))).kind).toBe('invalid');
      expect((await codedRejection(bus.subscribe('', () => undefined))).kind).toBe('invalid');
    });
  });
}
