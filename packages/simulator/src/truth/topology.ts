import { hash32, Stream, unit } from './hash.ts';
import type { LoadClass } from './shapes.ts';

export type ProfileMix = Partial<Record<LoadClass, number>>;

/**
 * Fleet layout, a pure function of (seed, counts): consumer meters 0..consumers−1, then one
 * meter per transformer. Consumers are spread evenly over transformers in index order;
 * transformers are grouped into feeders in index order.
 */
export interface TopologySpec {
  seed: number;
  consumers: number;
  transformers: number;
  transformersPerFeeder: number;
  mix: ProfileMix;
}

export type MeterRole = 'consumer' | 'transformer';

export interface MeterPlace {
  index: number;
  role: MeterRole;
  transformer: number;
  feeder: number;
  loadClass: LoadClass;
}

export function meterCount(t: TopologySpec): number {
  return t.consumers + t.transformers;
}

export function feederCount(t: TopologySpec): number {
  return Math.ceil(t.transformers / t.transformersPerFeeder);
}

export function transformerOf(t: TopologySpec, consumer: number): number {
  return t.transformers === 0 ? -1 : Math.floor((consumer * t.transformers) / t.consumers);
}

/** Consumers under transformer `tr`: the half-open index range [from, to). */
export function consumersOf(t: TopologySpec, tr: number): { from: number; to: number } {
  const lo = Math.ceil((tr * t.consumers) / t.transformers);
  const hi = Math.ceil(((tr + 1) * t.consumers) / t.transformers);
  return { from: lo, to: Math.min(hi, t.consumers) };
}

export function transformersOfFeeder(t: TopologySpec, feeder: number): { from: number; to: number } {
  return {
    from: feeder * t.transformersPerFeeder,
    to: Math.min((feeder + 1) * t.transformersPerFeeder, t.transformers),
  };
}

const CLASSES: readonly LoadClass[] = ['residential', 'commercial', 'industrial'];

export function loadClassOf(t: TopologySpec, consumer: number): LoadClass {
  const total = CLASSES.reduce((s, c) => s + (t.mix[c] ?? 0), 0);
  let u = unit(t.seed, Stream.profileChoice, consumer) * (total > 0 ? total : 1);
  for (const c of CLASSES) {
    u -= t.mix[c] ?? 0;
    if (u < 0) return c;
  }
  return 'residential';
}

export function placeOf(t: TopologySpec, index: number): MeterPlace {
  if (index < t.consumers) {
    const transformer = transformerOf(t, index);
    return {
      index,
      role: 'consumer',
      transformer,
      feeder: transformer < 0 ? -1 : Math.floor(transformer / t.transformersPerFeeder),
      loadClass: loadClassOf(t, index),
    };
  }
  const transformer = index - t.consumers;
  return {
    index,
    role: 'transformer',
    transformer,
    feeder: Math.floor(transformer / t.transformersPerFeeder),
    loadClass: 'industrial',
  };
}

/** A stable per-meter 32-bit number used to salt every hash of that meter. */
export function meterSalt(seed: number, index: number): number {
  return hash32(seed, 0x5eed, index);
}
