import type { Reading, ReadingSource } from '@openhes/core';

/** Reading sources as stored (one small integer per row). */
export const SOURCE_CODE: Readonly<Record<ReadingSource, number>> = {
  scheduled: 1,
  'on-demand': 2,
  push: 3,
  estimate: 4,
};
const SOURCE_BY_CODE: readonly ReadingSource[] = ['scheduled', 'scheduled', 'on-demand', 'push', 'estimate'];

export function sourceOf(code: number): ReadingSource {
  return SOURCE_BY_CODE[code] ?? 'scheduled';
}

/** Reasons are stored as one newline-separated text, null when there are none. */
export function reasonsText(reasons: readonly string[] | undefined): string | null {
  return reasons === undefined || reasons.length === 0 ? null : reasons.join('\n');
}

export function reasonsOf(text: unknown): string[] {
  return typeof text === 'string' && text.length > 0 ? text.split('\n') : [];
}

export function readingOf(channelId: number, r: Record<string, unknown>): Reading {
  return {
    channelId,
    ts: Number(r.ts),
    value: Number(r.value),
    quality: Number(r.quality),
    reasons: reasonsOf(r.reasons),
    source: sourceOf(Number(r.source)),
    receivedAt: Number(r.received_at),
    version: Number(r.version),
  };
}

/** Combines per-partition partial aggregates of one bucket. */
export interface Partial {
  sum: number;
  count: number;
  min: number;
  max: number;
}

export function mergePartial(into: Map<string, Partial>, key: string, p: Partial): void {
  const cur = into.get(key);
  if (!cur) {
    into.set(key, { ...p });
    return;
  }
  cur.sum += p.sum;
  cur.count += p.count;
  cur.min = Math.min(cur.min, p.min);
  cur.max = Math.max(cur.max, p.max);
}

export function finish(p: Partial, fn: 'sum' | 'avg' | 'min' | 'max'): number {
  if (fn === 'sum') return p.sum;
  if (fn === 'avg') return p.sum / p.count;
  return fn === 'min' ? p.min : p.max;
}
