/**
 * Counter-based hashing: every pseudo-random number is a pure function of its coordinates
 * (seed, meter, quantity, counter), so any value can be recomputed in any order without state.
 */

function mix32(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A 32-bit hash of up to four integer coordinates. */
export function hash32(a: number, b = 0, c = 0, d = 0): number {
  let h = mix32(a ^ 0x9e3779b9);
  h = mix32(h ^ Math.imul(b | 0, 0x85ebca6b) ^ (Math.floor(b / 0x100000000) | 0));
  h = mix32(h ^ Math.imul(c | 0, 0xc2b2ae35) ^ (Math.floor(c / 0x100000000) | 0));
  h = mix32(h ^ Math.imul(d | 0, 0x27d4eb2f) ^ (Math.floor(d / 0x100000000) | 0));
  return h;
}

/** Uniform in [0, 1). */
export function unit(a: number, b = 0, c = 0, d = 0): number {
  return hash32(a, b, c, d) / 0x100000000;
}

/** Uniform in [lo, hi). */
export function between(lo: number, hi: number, a: number, b = 0, c = 0, d = 0): number {
  return lo + (hi - lo) * unit(a, b, c, d);
}

/** Deterministic bytes (keys, system titles) from coordinates. */
export function hashBytes(length: number, a: number, b = 0, c = 0): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 4) {
    const h = hash32(a, b, c, i);
    for (let j = 0; j < 4 && i + j < length; j++) out[i + j] = (h >>> (8 * j)) & 0xff;
  }
  return out;
}

/** Stable small integers naming what a hash is for, so two quantities never share a stream. */
export const Stream = {
  annual: 1,
  shift: 2,
  noise: 3,
  burst: 4,
  burstSize: 5,
  voltage: 6,
  phaseShare: 7,
  pf: 8,
  frequency: 9,
  initialEnergy: 10,
  counters: 11,
  drift: 12,
  profileChoice: 13,
  keys: 14,
  backgroundEvent: 15,
  pushOffset: 16,
  latency: 17,
  scenario: 18,
  instant: 19,
  losses: 20,
} as const;
