import type { DlmsError } from '@openhes/dlms';
import type { Transport } from '@openhes/transport';
import { describe, expect, it } from 'vitest';
import {
  DelayQueue,
  EmulatedTransport,
  IDEAL_LINK,
  type LinkCounters,
  type MeterLink,
} from '../src/fleet/link-emulation.ts';

/** Records what reaches the wire, with the time it got there. */
class Wire implements Transport {
  readonly kind = 'tcp' as const;
  readonly remote = 'client';
  readonly local = 'meter';
  closed = false;
  readonly written: { bytes: Uint8Array; at: number }[] = [];

  async send(bytes: Uint8Array): Promise<void> {
    this.written.push({ bytes, at: performance.now() });
  }
  onData(_listener: (chunk: Uint8Array) => void): void {}
  onClose(_listener: (error?: DlmsError) => void): void {}
  async close(): Promise<void> {
    this.closed = true;
  }
}

const link = (latencyMs: number, jitterMs: number): MeterLink => ({
  behaviour: 'normal',
  latencyMs,
  jitterMs,
  bytesPerSecond: undefined,
});

const counters = (): LinkCounters => ({ sent: 0, dropped: 0, corrupted: 0 });

describe('DelayQueue', () => {
  it('runs every callback, none before its delay, earlier deadlines first', async () => {
    const q = new DelayQueue();
    const t0 = performance.now();
    const ran: { id: number; after: number }[] = [];
    const delays = [30, 5, 17, 5, 0.4, 12, 25, 1];
    await new Promise<void>((done) => {
      for (const [id, d] of delays.entries()) {
        q.schedule(d, () => {
          ran.push({ id, after: performance.now() - t0 });
          if (ran.length === delays.length) done();
        });
      }
    });
    expect(ran.map((r) => r.id).sort()).toEqual(delays.map((_, i) => i));
    for (const r of ran) expect(r.after).toBeGreaterThanOrEqual(delays[r.id]! - 0.001);
    const order = ran.map((r) => delays[r.id]!);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(q.pending).toBe(0);
  });

  it('an earlier deadline scheduled later still fires on time', async () => {
    const q = new DelayQueue();
    const t0 = performance.now();
    const ran: number[] = [];
    await new Promise<void>((done) => {
      q.schedule(60, () => {
        ran.push(60);
        done();
      });
      q.schedule(2, () => ran.push(2));
    });
    expect(ran).toEqual([2, 60]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(60 - 0.001);
  });
});

describe('EmulatedTransport', () => {
  it('keeps the order of frames on a connection although their jittered delays differ', async () => {
    const wire = new Wire();
    // A random source that makes every later frame's jitter shorter than the one before.
    let r = 1;
    const t = new EmulatedTransport(wire, link(10, 9), IDEAL_LINK, counters(), () => (r -= 0.05));
    const t0 = performance.now();
    const frames = Array.from({ length: 8 }, (_, i) => Uint8Array.of(i));
    await Promise.all(frames.map((f) => t.send(f)));
    expect(wire.written.map((w) => w.bytes[0])).toEqual(frames.map((f) => f[0]));
    // Delays add up: each frame waits its own delay after the one before was written.
    expect(wire.written[7]!.at - t0).toBeGreaterThanOrEqual(8 * 1 - 0.001);
  });

  it('delays each frame at least latency − jitter', async () => {
    const wire = new Wire();
    const t = new EmulatedTransport(wire, link(15, 5), IDEAL_LINK, counters(), () => 0);
    const t0 = performance.now();
    await t.send(Uint8Array.of(1));
    expect(wire.written[0]!.at - t0).toBeGreaterThanOrEqual(10 - 0.001);
  });

  it('a frame due after the connection closed is not written, and later frames still resolve', async () => {
    const wire = new Wire();
    const t = new EmulatedTransport(wire, link(5, 0), IDEAL_LINK, counters(), () => 0.5);
    const first = t.send(Uint8Array.of(1));
    const second = t.send(Uint8Array.of(2));
    await wire.close();
    await Promise.all([first, second]);
    expect(wire.written).toEqual([]);
  });

  it('a failed write rejects that frame only', async () => {
    const wire = new Wire();
    let fail = true;
    wire.send = async (bytes) => {
      if (fail) {
        fail = false;
        throw new Error('socket gone');
      }
      wire.written.push({ bytes, at: performance.now() });
    };
    const t = new EmulatedTransport(wire, link(1, 0), IDEAL_LINK, counters(), () => 0.5);
    const first = t.send(Uint8Array.of(1));
    const second = t.send(Uint8Array.of(2));
    await expect(first).rejects.toThrow('socket gone');
    await second;
    expect(wire.written.map((w) => w.bytes[0])).toEqual([2]);
  });
});
