import type { DlmsError } from '@openhes/dlms';
import type { Transport } from '@openhes/transport';
import { between, Stream, unit } from '../truth/hash.ts';

/** Network behaviour of the fleet; per-meter values are drawn from these by hash. */
export interface LinkProfile {
  /** Mean one-way response delay (ms). */
  latencyMs: number;
  /** ± spread around the mean (ms). */
  jitterMs: number;
  /** Probability that a response is lost. */
  loss: number;
  /** Fraction of meters that never answer. */
  silent: number;
  /** Fraction of meters that close every connection at once. */
  refused: number;
  /** Probability that a response has one byte corrupted. */
  corrupt: number;
  /** Fraction of meters on a slow link (bytes per second below). */
  slow: number;
  slowBytesPerSecond: number;
}

export const IDEAL_LINK: LinkProfile = {
  latencyMs: 0,
  jitterMs: 0,
  loss: 0,
  silent: 0,
  refused: 0,
  corrupt: 0,
  slow: 0,
  slowBytesPerSecond: 1200,
};

export type LinkBehaviour = 'normal' | 'silent' | 'refused';

/**
 * Asked, for each chunk that reaches the meter, what the meter does with it now: `pass` it on,
 * `swallow` it (the meter is off: no answer), or `close` the connection (it did not survive
 * the modem's restart).
 */
export type LinkGate = () => 'pass' | 'swallow' | 'close';

export interface MeterLink {
  behaviour: LinkBehaviour;
  latencyMs: number;
  jitterMs: number;
  bytesPerSecond: number | undefined;
}

/** One meter's link, a pure function of (seed, index). */
export function meterLink(seed: number, index: number, p: LinkProfile): MeterLink {
  const u = unit(seed, Stream.latency, index, 1);
  const behaviour: LinkBehaviour = u < p.silent ? 'silent' : u < p.silent + p.refused ? 'refused' : 'normal';
  return {
    behaviour,
    latencyMs: p.latencyMs === 0 ? 0 : between(0.5, 1.5, seed, Stream.latency, index, 2) * p.latencyMs,
    jitterMs: p.jitterMs,
    bytesPerSecond: unit(seed, Stream.latency, index, 3) < p.slow ? p.slowBytesPerSecond : undefined,
  };
}

/**
 * Timers for the frames of every link of a fleet: frames due in the same millisecond share one
 * bucket, and one Node timer is armed for the earliest bucket. With a timer per frame, every
 * frame paid for a Timeout, and (each delay a different fraction of a millisecond) a timer list
 * of its own. A callback runs no earlier than its delay, to the millisecond, like setTimeout.
 */
export class DelayQueue {
  private readonly buckets = new Map<number, (() => void)[]>();
  /** Min-heap of the bucket times (performance.now() milliseconds, whole). */
  private readonly heap: number[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private armedFor = Number.POSITIVE_INFINITY;

  get pending(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.length;
    return n;
  }

  schedule(delayMs: number, fn: () => void): void {
    const at = Math.ceil(performance.now() + delayMs);
    let bucket = this.buckets.get(at);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(at, bucket);
      this.push(at);
    }
    bucket.push(fn);
    if (at < this.armedFor) this.arm();
  }

  private arm(): void {
    const next = this.heap[0];
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    if (next === undefined) return;
    this.armedFor = next;
    this.timer = setTimeout(this.fire, Math.max(1, next - performance.now()));
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const now = performance.now();
    while (this.heap.length > 0 && this.heap[0]! <= now) {
      const at = this.pop();
      const bucket = this.buckets.get(at)!;
      this.buckets.delete(at);
      for (const fn of bucket) fn();
    }
    this.arm();
  };

  private push(x: number): void {
    const h = this.heap;
    let i = h.length;
    h.push(x);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]! <= x) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = x;
  }

  private pop(): number {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const c = l + 1 < h.length && h[l + 1]! < h[l]! ? l + 1 : l;
        if (h[c]! >= last) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

/** The queue of links that are given none. */
const sharedDelays = new DelayQueue();

interface Frame {
  bytes: Uint8Array;
  delay: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export interface LinkCounters {
  sent: number;
  dropped: number;
  corrupted: number;
}

/**
 * A Transport that delays, drops and corrupts what the meter sends, in order. Incoming bytes
 * pass through untouched (a silent meter swallows them).
 */
export class EmulatedTransport implements Transport {
  readonly kind: 'tcp' | 'udp';
  private readonly inner: Transport;
  private readonly link: MeterLink;
  private readonly profile: LinkProfile;
  private readonly counters: LinkCounters;
  private readonly random: () => number;
  private readonly delays: DelayQueue;
  /** Frames not yet on the wire, in order; the first is waiting out its delay or being written. */
  private readonly frames: Frame[] = [];
  private busy = false;
  private readonly gate: LinkGate | undefined;

  constructor(
    inner: Transport,
    link: MeterLink,
    profile: LinkProfile,
    counters: LinkCounters,
    random: () => number,
    delays: DelayQueue = sharedDelays,
    gate?: LinkGate,
  ) {
    this.gate = gate;
    this.inner = inner;
    this.kind = inner.kind;
    this.link = link;
    this.profile = profile;
    this.counters = counters;
    this.random = random;
    this.delays = delays;
  }

  get remote(): string {
    return this.inner.remote;
  }

  get local(): string {
    return this.inner.local;
  }

  get closed(): boolean {
    return this.inner.closed;
  }

  send(bytes: Uint8Array): Promise<void> {
    if (this.link.behaviour !== 'normal') return Promise.resolve();
    const r = this.random;
    if (this.profile.loss > 0 && r() < this.profile.loss) {
      this.counters.dropped++;
      return Promise.resolve();
    }
    let out = bytes;
    if (this.profile.corrupt > 0 && r() < this.profile.corrupt && bytes.length > 0) {
      out = bytes.slice();
      const i = Math.floor(r() * out.length);
      out[i] = out[i]! ^ 0x20;
      this.counters.corrupted++;
    }
    const jitter = this.link.jitterMs * (2 * r() - 1);
    const transfer =
      this.link.bytesPerSecond === undefined ? 0 : (1000 * out.length) / this.link.bytesPerSecond;
    const delay = Math.max(0, this.link.latencyMs + jitter + transfer);
    this.counters.sent++;
    return new Promise<void>((resolve, reject) => {
      this.frames.push({ bytes: out, delay, resolve, reject });
      if (!this.busy) this.next();
    });
  }

  /** Starts the next frame's delay; it counts from when the frame before it was written. */
  private next(): void {
    const f = this.frames.shift();
    if (f === undefined) {
      this.busy = false;
      return;
    }
    this.busy = true;
    if (f.delay > 0) this.delays.schedule(f.delay, () => this.write(f));
    else queueMicrotask(() => this.write(f));
  }

  private write(f: Frame): void {
    if (this.inner.closed) {
      f.resolve();
      this.next();
      return;
    }
    let sent: Promise<void>;
    try {
      sent = this.inner.send(f.bytes);
    } catch (e) {
      f.reject(e);
      this.next();
      return;
    }
    sent.then(
      () => {
        f.resolve();
        this.next();
      },
      (e: unknown) => {
        f.reject(e);
        this.next();
      },
    );
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.inner.onData((chunk) => {
      if (this.link.behaviour !== 'normal') return;
      const g = this.gate?.() ?? 'pass';
      if (g === 'pass') listener(chunk);
      else if (g === 'close') void this.inner.close();
    });
  }

  onClose(listener: (error?: DlmsError) => void): void {
    this.inner.onClose(listener);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
