import type { DlmsData } from '@openhes/dlms';
import { loadProfiles } from '../src/profiles.ts';
import { Truth, type TruthOptions } from '../src/truth/fleet-truth.ts';

export const PROFILES = loadProfiles();
export const START = Date.UTC(2026, 5, 10, 0, 0);
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export function fleet(o: Partial<TruthOptions> = {}): Truth {
  return new Truth({
    seed: 7,
    startAt: START,
    consumers: 40,
    transformers: 4,
    transformersPerFeeder: 2,
    mix: { residential: 0.8, commercial: 0.15, industrial: 0.05 },
    profiles: PROFILES,
    ...o,
  });
}

export function num(d: DlmsData | undefined): number {
  if (d !== undefined && 'value' in d && typeof d.value === 'number') return d.value;
  throw new Error(`not a number: ${JSON.stringify(d)}`);
}

export function cells(row: DlmsData | undefined): DlmsData[] {
  if (row?.type !== 'structure') throw new Error('row is not a structure');
  return row.value;
}
