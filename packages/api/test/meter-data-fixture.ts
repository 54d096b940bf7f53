import type { ChannelDef, ReadingInput } from '@openhes/core';

/** A port whose implementation is given once the harness's store exists. */
export function latePort<T extends object>(): { port: T; set(impl: T): void } {
  let impl: T | undefined;
  const port = new Proxy({} as T, {
    get(_t, key) {
      if (impl === undefined) throw new Error('port used before it was set');
      const v = (impl as Record<string | symbol, unknown>)[key];
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(impl) : v;
    },
  });
  return {
    port,
    set(i) {
      impl = i;
    },
  };
}

export const I = 900_000;
export const DAY = 86_400_000;

export const IMPORT_ENERGY: ChannelDef = {
  obis: '1-0:1.29.0.255',
  attribute: 2,
  kind: 'interval',
  unit: 'Wh',
  scaler: 0,
  intervalSeconds: 900,
};

/** A smooth daily load (Wh per quarter hour, UTC clock). */
export function load(end: number): number {
  const h = ((end - I) % DAY) / 3_600_000;
  return Math.round(400 + 250 * Math.sin(((h - 8) / 24) * 2 * Math.PI));
}

/** The quarter hours of UTC day `dayStart` (interval ends), without the skipped indexes. */
export function dayReadings(channelId: number, dayStart: number, skip: (i: number) => boolean = () => false) {
  const out: ReadingInput[] = [];
  for (let i = 0; i < 96; i++) {
    const ts = dayStart + (i + 1) * I;
    if (!skip(i)) out.push({ channelId, ts, value: load(ts) });
  }
  return out;
}
