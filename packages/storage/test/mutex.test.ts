import { describe, expect, it } from 'vitest';
import { Mutex } from '../src/sql/mutex.ts';

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin: a synchronous database statement
  }
}

describe('Mutex', () => {
  it('runs holders one at a time in FIFO order', async () => {
    const m = new Mutex();
    const order: number[] = [];
    let inside = 0;
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        m.run(async () => {
          inside++;
          expect(inside).toBe(1);
          await Promise.resolve();
          order.push(i);
          inside--;
        }),
      ),
    );
    expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('lets the event loop turn while a long queue of synchronous holders runs', async () => {
    const m = new Mutex(5);
    const order: string[] = [];
    const all = Array.from({ length: 40 }, (_, i) =>
      m.run(() => {
        busy(1);
        order.push(`h${i}`);
      }),
    );
    setImmediate(() => order.push('io'));
    await Promise.all(all);
    const io = order.indexOf('io');
    expect(io).toBeGreaterThan(0);
    expect(io).toBeLessThan(20);
    expect(order.filter((x) => x !== 'io')).toEqual(Array.from({ length: 40 }, (_, i) => `h${i}`));
  });

  it('without a budget runs the whole queue in one turn (what the budget prevents)', async () => {
    const m = new Mutex(0);
    const order: string[] = [];
    const all = Array.from({ length: 10 }, (_, i) =>
      m.run(() => {
        busy(1);
        order.push(`h${i}`);
      }),
    );
    setImmediate(() => order.push('io'));
    await Promise.all(all);
    expect(order.indexOf('io')).toBe(-1);
  });

  it('a failing holder releases the lock', async () => {
    const m = new Mutex();
    await expect(m.run(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await m.run(() => 7)).toBe(7);
  });
});
