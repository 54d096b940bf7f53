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
  private tail: Promise<void> = Promise.resolve();

  constructor(
    inner: Transport,
    link: MeterLink,
    profile: LinkProfile,
    counters: LinkCounters,
    random: () => number,
  ) {
    this.inner = inner;
    this.kind = inner.kind;
    this.link = link;
    this.profile = profile;
    this.counters = counters;
    this.random = random;
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
    const run = async (): Promise<void> => {
      if (delay > 0) await new Promise((res) => setTimeout(res, delay));
      if (!this.inner.closed) await this.inner.send(out);
    };
    this.tail = this.tail.then(run, run);
    return this.tail;
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.inner.onData((chunk) => {
      if (this.link.behaviour === 'normal') listener(chunk);
    });
  }

  onClose(listener: (error?: DlmsError) => void): void {
    this.inner.onClose(listener);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
