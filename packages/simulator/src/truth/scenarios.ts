import { between, Stream, unit } from './hash.ts';
import { DAY, HOUR, type Instant, MINUTE } from './time.ts';
import type { MeterPlace } from './topology.ts';

export type Target = { feeder: number } | { transformer: number } | { meter: number };

/**
 * Things that happen to the grid or to meters. Windows are true instants; fractions pick
 * meters by hash so the same seed always picks the same meters.
 */
export type ScenarioSpec =
  | { kind: 'outage'; target: Target; at: Instant; durationMs: number }
  | { kind: 'sag' | 'swell'; target: Target; at: Instant; durationMs: number }
  | { kind: 'theft'; fraction: number; at: Instant }
  | { kind: 'tamper'; fraction: number; at: Instant }
  | { kind: 'drift'; fraction: number; ppm: number }
  | { kind: 'dead'; fraction: number; at: Instant }
  | { kind: 'wrong-key'; fraction: number };

export interface Window {
  from: Instant;
  to: Instant;
}

export interface VoltageWindow extends Window {
  kind: 'sag' | 'swell';
  factor: number;
}

/** Every scenario effect on one meter. */
export interface MeterEffects {
  outages: Window[];
  voltage: VoltageWindow[];
  /** Under-registration: the meter registers `factor` of the true energy from `from`. */
  theft?: { from: Instant; factor: number };
  tamper: Instant[];
  driftPpm?: number;
  deadFrom?: Instant;
  wrongKey: boolean;
}

function hits(target: Target, place: MeterPlace): boolean {
  if ('meter' in target) return target.meter === place.index;
  if ('transformer' in target) return target.transformer === place.transformer;
  return target.feeder === place.feeder;
}

function picked(seed: number, scenario: number, place: MeterPlace, fraction: number): boolean {
  return place.role === 'consumer' && unit(seed, Stream.scenario, scenario, place.index) < fraction;
}

/** When a meter picked by tamper scenario `scenario` (starting `at`) is tampered with. */
export function tamperTime(seed: number, scenario: number, at: Instant, index: number): Instant {
  return at + Math.floor((unit(seed, Stream.scenario, scenario, ~index) * DAY) / MINUTE) * MINUTE;
}

/** Whether consumer `place` is among the `fraction` of meters scenario `scenario` picks. */
export function picks(seed: number, scenario: number, place: MeterPlace, fraction: number): boolean {
  return picked(seed, scenario, place, fraction);
}

export const NO_EFFECTS: MeterEffects = { outages: [], voltage: [], tamper: [], wrongKey: false };

/** Days of seeded everyday history on each side of the start (background events). */
export const BACKGROUND_DAYS = 400;

/**
 * Everyday grid life, seeded: about one supply interruption per transformer every 50 days
 * (5 min to 2 h), and per meter one low-voltage spell every 50 days and a magnet tamper
 * every 1000 days. The fleet comes up with the grid up: an interruption in progress at
 * `startAt` ends there (its failure stays in the history, the supply returns at the start),
 * one that would begin exactly then is dropped. Without this a fleet started during one of the
 * seeded interruptions (the same instants for every fleet of a seed) met a user with a share
 * of its meters unpowered from the first read.
 */
export function backgroundOutages(seed: number, transformer: number, startAt: Instant): Window[] {
  const out: Window[] = [];
  if (transformer < 0) return out;
  const first = Math.floor(startAt / DAY) - BACKGROUND_DAYS;
  for (let d = first; d < first + 2 * BACKGROUND_DAYS; d++) {
    if (unit(seed, Stream.backgroundEvent, transformer, d) >= 0.02) continue;
    const from =
      d * DAY + Math.floor(unit(seed, Stream.backgroundEvent + 100, transformer, d) * 1440) * MINUTE;
    const minutes = 5 + Math.floor(unit(seed, Stream.backgroundEvent + 200, transformer, d) * 115);
    const to = from + minutes * MINUTE;
    if (from <= startAt && startAt < to) {
      if (from < startAt) out.push({ from, to: startAt });
      continue;
    }
    out.push({ from, to });
  }
  return out;
}

function backgroundMeter(e: MeterEffects, salt: number, startAt: Instant): void {
  const first = Math.floor(startAt / DAY) - BACKGROUND_DAYS;
  for (let d = first; d < first + 2 * BACKGROUND_DAYS; d++) {
    if (unit(salt, Stream.backgroundEvent, 2, d) < 0.02) {
      const from = d * DAY + Math.floor(unit(salt, Stream.backgroundEvent, 3, d) * 1440) * MINUTE;
      const minutes = 10 + Math.floor(unit(salt, Stream.backgroundEvent, 4, d) * 50);
      e.voltage.push({ from, to: from + minutes * MINUTE, kind: 'sag', factor: 0.88 });
    }
    if (unit(salt, Stream.backgroundEvent, 5, d) < 0.001) {
      e.tamper.push(d * DAY + Math.floor(unit(salt, Stream.backgroundEvent, 6, d) * 1440) * MINUTE);
    }
  }
}

export interface Background {
  startAt: Instant;
  salt: number;
  outages: readonly Window[];
}

export function effectsFor(
  seed: number,
  scenarios: readonly ScenarioSpec[],
  place: MeterPlace,
  background?: Background,
): MeterEffects {
  if (scenarios.length === 0 && background === undefined) return NO_EFFECTS;
  const e: MeterEffects = { outages: [], voltage: [], tamper: [], wrongKey: false };
  if (background !== undefined) {
    e.outages.push(...background.outages);
    if (place.role === 'consumer') backgroundMeter(e, background.salt, background.startAt);
  }
  scenarios.forEach((s, i) => {
    switch (s.kind) {
      case 'outage':
        if (hits(s.target, place)) e.outages.push({ from: s.at, to: s.at + s.durationMs });
        break;
      case 'sag':
      case 'swell':
        if (hits(s.target, place)) {
          e.voltage.push({
            from: s.at,
            to: s.at + s.durationMs,
            kind: s.kind,
            factor: s.kind === 'sag' ? 0.8 : 1.15,
          });
        }
        break;
      case 'theft':
        if (picked(seed, i, place, s.fraction)) {
          e.theft = {
            from: s.at,
            factor: Math.round(between(0.3, 0.7, seed, Stream.scenario, i, ~place.index) * 100) / 100,
          };
        }
        break;
      case 'tamper':
        if (picked(seed, i, place, s.fraction)) {
          e.tamper.push(
            s.at + Math.floor((unit(seed, Stream.scenario, i, ~place.index) * DAY) / MINUTE) * MINUTE,
          );
        }
        break;
      case 'drift':
        if (picked(seed, i, place, s.fraction)) e.driftPpm = s.ppm;
        break;
      case 'dead':
        if (picked(seed, i, place, s.fraction)) e.deadFrom = s.at;
        break;
      case 'wrong-key':
        if (picked(seed, i, place, s.fraction)) e.wrongKey = true;
        break;
    }
  });
  e.outages.sort((a, b) => a.from - b.from);
  e.voltage.sort((a, b) => a.from - b.from);
  e.tamper.sort((a, b) => a - b);
  return e;
}

/** Milliseconds of [from, to) covered by the windows. */
export function overlapMs(windows: readonly Window[], from: Instant, to: Instant): number {
  let ms = 0;
  for (const w of windows) {
    const a = Math.max(w.from, from);
    const b = Math.min(w.to, to);
    if (b > a) ms += b - a;
  }
  return ms;
}

export function inWindow(windows: readonly Window[], t: Instant): boolean {
  for (const w of windows) if (t >= w.from && t < w.to) return true;
  return false;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

export function parseDuration(s: string): number {
  const m = DURATION.exec(s.trim());
  if (!m) throw new Error(`invalid duration "${s}" (use e.g. 300ms, 30s, 15m, 2h, 1d)`);
  const n = Number(m[1]);
  const unitMs = { ms: 1, s: 1000, m: MINUTE, h: HOUR, d: DAY }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(n * unitMs);
}

function parseTarget(s: string): Target {
  const m = /^(feeder|transformer|meter)-(\d+)$/.exec(s);
  if (!m) throw new Error(`invalid scenario target "${s}" (use feeder-N, transformer-N or meter-N)`);
  const n = Number(m[2]);
  return m[1] === 'feeder' ? { feeder: n } : m[1] === 'transformer' ? { transformer: n } : { meter: n };
}

function parseFraction(s: string): number {
  const pct = s.endsWith('%');
  const n = Number(pct ? s.slice(0, -1) : s);
  if (!Number.isFinite(n) || n < 0) throw new Error(`invalid fraction "${s}"`);
  return pct ? n / 100 : n;
}

/**
 * `outage@feeder-3`, `outage@transformer-12+2h/45m` (start 2 h after startAt, 45 min long),
 * `sag@transformer-5`, `swell@…`, `theft=0.5%`, `tamper=1%`, `drift=2%`, `dead=0.1%`,
 * `wrong-key=0.5%`; comma-separated.
 */
export function parseScenarios(text: string, startAt: Instant): ScenarioSpec[] {
  const out: ScenarioSpec[] = [];
  for (const raw of text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)) {
    const at =
      /^(outage|sag|swell)@([a-z]+-\d+)(?:\+([0-9.]+(?:ms|s|m|h|d)))?(?:\/([0-9.]+(?:ms|s|m|h|d)))?$/.exec(
        raw,
      );
    if (at) {
      const kind = at[1] as 'outage' | 'sag' | 'swell';
      const offset = at[3] === undefined ? 15 * MINUTE : parseDuration(at[3]);
      const durationMs =
        at[4] === undefined ? (kind === 'outage' ? 30 * MINUTE : 10 * MINUTE) : parseDuration(at[4]);
      out.push({ kind, target: parseTarget(at[2]!), at: startAt + offset, durationMs });
      continue;
    }
    const eq = /^(theft|tamper|drift|dead|wrong-key)=([0-9.]+%?)$/.exec(raw);
    if (!eq) throw new Error(`invalid scenario "${raw}"`);
    const fraction = parseFraction(eq[2]!);
    switch (eq[1]) {
      case 'theft':
        out.push({ kind: 'theft', fraction, at: startAt - 10 * DAY });
        break;
      case 'tamper':
        out.push({ kind: 'tamper', fraction, at: startAt });
        break;
      case 'drift':
        out.push({ kind: 'drift', fraction, ppm: 500 });
        break;
      case 'dead':
        out.push({ kind: 'dead', fraction, at: startAt });
        break;
      default:
        out.push({ kind: 'wrong-key', fraction });
    }
  }
  return out;
}
