import type { ActivityCalendar } from '@openhes/cosem';
import type { DeviceProfile } from '../profiles.ts';
import { dayRates, specialDayOf } from './calendar.ts';
import { type DayInfo, dayInfo } from './days.ts';
import { between, hash32, Stream, unit } from './hash.ts';
import type { ScenarioSpec } from './scenarios.ts';
import { effectsFor, inWindow, type MeterEffects, overlapMs, type Window } from './scenarios.ts';
import { shapeWatts } from './shapes.ts';
import type { MeterState, SpecialDay } from './state.ts';
import { type Instant, STEP_MS, STEPS_PER_DAY } from './time.ts';
import { consumersOf, type MeterPlace, meterSalt, placeOf, type TopologySpec } from './topology.ts';

/** Indexes of the cumulative energy vector; every entry is an integer in mWh, mVAh or mvarh. */
export const E = { wh: 0, vah: 1, q1: 2, whT1: 3, vahT1: 11 } as const;
export const ENERGY_WIDTH = 19;
/** Steps memoised per meter (direct-mapped): a day and a half of 15-minute steps. */
const STEP_CACHE = 128;

export interface FleetView {
  readonly seed: number;
  /** The fleet's start: cumulative registers hold their seeded initial values at this step. */
  readonly anchorStep: number;
  readonly topology: TopologySpec;
  readonly scenarios: readonly ScenarioSpec[];
  /** Where pushes go (host:port), shown in push setups. */
  readonly pushDestination?: string;
  /** Seeded everyday events (interruptions, low voltage, tamper) around the start. */
  readonly background: boolean;
  readonly startAt: Instant;
  transformerOutages(transformer: number): readonly Window[];
  profileFor(place: MeterPlace): DeviceProfile;
  state(index: number): MeterState | undefined;
  ensureState(index: number): MeterState;
  defaultCalendar(): ActivityCalendar;
  meter(index: number): MeterTruth;
  /** Bumped whenever a consumer's state changes (see supplyChanged): a cheap "anything new?". */
  readonly supplyVersion: number;
  /**
   * Under transformer `transformer`, the first step each consumer state change may have
   * altered, in the order the changes happened. A transformer meter registers the sum of its
   * consumers, so its memos are only valid for the steps before these.
   */
  supplyChanges(transformer: number): readonly number[];
  /** Record that a consumer under `transformer` changed from step `step` on. */
  supplyChanged(transformer: number, step: number): void;
}

export interface StepValues {
  /** Registered active energy (mWh) in the step. */
  wh: number;
  vah: number;
  q1: number;
  rate: number;
  /** True (delivered) active energy, what the transformer sees. */
  trueWh: number;
  /** Fraction of the step the meter was energised. */
  powered: number;
}

/** Per-meter constants, all derived from (seed, index). */
export class MeterTruth {
  readonly fleet: FleetView;
  readonly place: MeterPlace;
  readonly profile: DeviceProfile;
  readonly effects: MeterEffects;
  readonly salt: number;
  readonly annualKWh: number;
  readonly shift: number;
  readonly burstProbability: number;
  readonly pfMin: number;
  readonly pfMax: number;
  readonly pf0: number;
  readonly phaseShare: readonly [number, number, number];
  readonly vMeter: number;
  readonly vTransformer: number;
  readonly pMax: number;
  readonly offsetSteps: number;
  /** Memo of measures.ts clockOffset's per-meter constants. */
  clockBase: { ppm: number; offset: number } | undefined;
  readonly isTransformer: boolean;
  /** fleet.supplyVersion when the step memo was last checked against consumer changes. */
  private supplyVersion: number;
  /** Consumer changes (supplyChanges entries) the step memo already accounts for. */
  private supplySeen = 0;

  constructor(fleet: FleetView, index: number) {
    this.fleet = fleet;
    this.place = placeOf(fleet.topology, index);
    this.profile = fleet.profileFor(this.place);
    const s = meterSalt(fleet.seed, index);
    this.effects = effectsFor(
      fleet.seed,
      fleet.scenarios,
      this.place,
      fleet.background
        ? { startAt: fleet.startAt, salt: s, outages: fleet.transformerOutages(this.place.transformer) }
        : undefined,
    );
    this.salt = s;
    const cls = this.place.loadClass;
    const u = unit(s, Stream.annual);
    this.annualKWh =
      cls === 'residential'
        ? 700 + 3800 * u * u
        : cls === 'commercial'
          ? 6000 + 54000 * u
          : 150_000 + 750_000 * u;
    this.shift = Math.floor(unit(s, Stream.shift) * 7) - 3;
    this.burstProbability = cls === 'residential' ? (0.2 * this.annualKWh) / 8.76 / 1950 : 0;
    const m = this.profile.meter;
    this.pMax = m.nominalVoltage * m.maxCurrent * m.phases * (m.ctRatio ?? 1);
    const avgW = (this.annualKWh * 1000) / 8760;
    this.pfMin = cls === 'residential' ? 0.35 : cls === 'commercial' ? 0.8 : 0.82;
    this.pfMax = between(0.96, 0.995, s, Stream.pf);
    this.pf0 = cls === 'residential' ? 400 : avgW / 2;
    const a = between(0.25, 0.42, s, Stream.phaseShare, 1);
    const b = between(0.25, 0.42, s, Stream.phaseShare, 2);
    this.phaseShare = m.phases === 3 ? [a, b, 1 - a - b] : [1, 0, 0];
    this.vMeter = between(-0.015, 0.015, s, Stream.voltage);
    this.vTransformer = between(
      -0.05,
      0.04,
      fleet.seed,
      Stream.voltage,
      0x7000_0000 + this.place.transformer,
    );
    this.offsetSteps = Math.round(m.utcOffsetMinutes / 15);
    this.isTransformer = this.place.role === 'transformer';
    this.supplyVersion = fleet.supplyVersion;
    this.supplySeen = this.supplyCount();
  }

  /** Consumer changes recorded so far under this transformer meter (always 0 for a consumer). */
  supplyCount(): number {
    return this.isTransformer ? this.fleet.supplyChanges(this.place.transformer).length : 0;
  }

  /**
   * First step altered by the consumer changes after the first `since` ones under this
   * transformer meter (Infinity when none): memoised values that only depend on earlier steps
   * are still exact.
   */
  supplyChangedFrom(since: number): number {
    if (!this.isTransformer) return Number.POSITIVE_INFINITY;
    const log = this.fleet.supplyChanges(this.place.transformer);
    let c = Number.POSITIVE_INFINITY;
    for (let i = since; i < log.length; i++) c = Math.min(c, log[i]!);
    return c;
  }

  get index(): number {
    return this.place.index;
  }

  get state(): MeterState | undefined {
    return this.fleet.state(this.place.index);
  }

  /** Average W the load draws in step k before relay, outage and theft. */
  baseWatts(k: number): number {
    if (this.place.role === 'transformer') return 0;
    const ls = k + this.offsetSteps;
    const dayN = Math.floor(ls / STEPS_PER_DAY);
    const slot = (((ls - dayN * STEPS_PER_DAY + this.shift) % STEPS_PER_DAY) + STEPS_PER_DAY) % STEPS_PER_DAY;
    const d = this.dayOf(dayN);
    const shape =
      shapeWatts(this.place.loadClass, d.season, d.dayType, slot, d.dayOfYear) * (this.annualKWh / 1000);
    const s = this.salt;
    if (this.place.loadClass === 'residential') {
      const noise = 0.6 + 0.8 * unit(s, Stream.noise, k);
      const burst =
        unit(s, Stream.burst, k) < this.burstProbability ? 1500 + 900 * unit(s, Stream.burstSize, k) : 0;
      return 0.8 * shape * noise + burst;
    }
    return shape * (0.85 + 0.3 * unit(s, Stream.noise, k));
  }

  powerFactor(watts: number): number {
    if (watts <= 0) return 1;
    return this.pfMax - (this.pfMax - this.pfMin) * Math.exp(-watts / this.pf0);
  }

  /** Fraction of [from, to) with the relay closed. */
  relayFraction(from: Instant, to: Instant): number {
    const changes = this.state?.relay;
    if (changes === undefined || changes.length === 0) return 1;
    let connected = true;
    let t = from;
    let on = 0;
    for (const c of changes) {
      if (c.at >= to) break;
      if (c.at > t) {
        if (connected) on += c.at - t;
        t = c.at;
      }
      connected = c.connected;
    }
    if (connected) on += to - t;
    return on / (to - from);
  }

  relayConnectedAt(t: Instant): boolean {
    let connected = true;
    for (const c of this.state?.relay ?? []) {
      if (c.at > t) break;
      connected = c.connected;
    }
    return connected;
  }

  poweredFraction(from: Instant, to: Instant): number {
    const out = this.effects.outages;
    return out.length === 0 ? 1 : 1 - overlapMs(out, from, to) / (to - from);
  }

  /** Whether the supply reaches the meter at t: no interruption window covers t. */
  poweredAt(t: Instant): boolean {
    return !inWindow(this.effects.outages, t);
  }

  /**
   * Whether the meter answers its communication port at t: it is alive (not dead) and either
   * powered or its modem runs on its own battery (the profile's meter.batteryBackedModem).
   */
  answersAt(t: Instant): boolean {
    const dead = this.effects.deadFrom;
    if (dead !== undefined && t >= dead) return false;
    return this.profile.meter.batteryBackedModem === true || this.poweredAt(t);
  }

  /**
   * Whether the modem lost its supply in (from, to]: a connection open at `from` did not survive
   * (the modem restarted). Never for a battery-backed modem.
   */
  modemRestartedIn(from: Instant, to: Instant): boolean {
    if (this.profile.meter.batteryBackedModem === true) return false;
    for (const w of this.effects.outages) if (w.from > from && w.from <= to) return true;
    return false;
  }

  /** Fraction of [from, to) the load was supplied (relay closed and grid up). */
  onFraction(from: Instant, to: Instant): number {
    return this.relayFraction(from, to) * this.poweredFraction(from, to);
  }

  /** True when the load was supplied all the time: no relay change and no outage, ever. */
  alwaysOn(): boolean {
    return this.effects.outages.length === 0 && (this.state?.relay.length ?? 0) === 0;
  }

  /** True energy delivered to this meter's load in step k, mWh. */
  trueStepWh(k: number): number {
    const from = k * STEP_MS;
    return this.trueStepWhPowered(k, this.poweredFraction(from, from + STEP_MS));
  }

  /** trueStepWh with the step's powered fraction already known. */
  private trueStepWhPowered(k: number, powered: number): number {
    if (this.place.role === 'transformer') return this.transformerStepWh(k, powered);
    const from = k * STEP_MS;
    const relay = this.relayFraction(from, from + STEP_MS);
    return Math.floor(Math.round(this.baseWatts(k) * 250) * powered * relay);
  }

  private transformerStepWh(k: number, powered: number): number {
    if (powered === 0) return 0;
    const { from, to } = consumersOf(this.fleet.topology, this.place.transformer);
    let sum = 0;
    for (let i = from; i < to; i++) sum += this.fleet.meter(i).trueStepWh(k);
    const noLoad = Math.round(this.transformerRatingVa() * 0.003 * 250 * powered);
    return sum + Math.round(sum * 0.03) + noLoad;
  }

  private ratingVa: number | undefined;

  /** Nameplate of the distribution transformer: 4 × its consumers' mean load, at least 25 kVA. */
  transformerRatingVa(): number {
    if (this.ratingVa === undefined) {
      const { from, to } = consumersOf(this.fleet.topology, this.place.transformer);
      let avg = 0;
      for (let i = from; i < to; i++) avg += (this.fleet.meter(i).annualKWh * 1000) / 8760;
      this.ratingVa = Math.max(25_000, 4 * avg);
    }
    return this.ratingVa;
  }

  calendarAt(t: Instant): ActivityCalendar {
    let cal = this.fleet.defaultCalendar();
    for (const c of this.state?.calendars ?? []) {
      if (c.at > t) break;
      cal = c.calendar;
    }
    return cal;
  }

  // The last local day asked for: steps are mostly asked for in runs through a day.
  private lastDayN = Number.NaN;
  private lastDay: DayInfo | undefined;
  private ratesDayN = Number.NaN;
  private ratesCalendar: ActivityCalendar | undefined;
  private rates: Uint8Array | undefined;
  private ratesSpecial: number | undefined;

  private dayOf(dayN: number): DayInfo {
    if (dayN !== this.lastDayN || this.lastDay === undefined) {
      this.lastDay = dayInfo(dayN);
      this.lastDayN = dayN;
    }
    return this.lastDay;
  }

  /** The special days the meter's tables hold at `t` (all its tables' entries); empty when none. */
  specialDaysAt(t: Instant): SpecialDay[] {
    const history = this.state?.specialDayTables;
    if (history === undefined || history.length === 0) return [];
    const byObis = new Map<string, SpecialDay[]>();
    for (const e of history) if (e.at <= t) byObis.set(e.obis, e.days);
    return [...byObis.values()].flat();
  }

  /**
   * The tariff (script selector) of step k: the active calendar's day profile for the meter's
   * local day — a special day in force at the step's instant replaces the week profile's.
   */
  rateAt(k: number): number {
    const ls = k + this.offsetSteps;
    const dayN = Math.floor(ls / STEPS_PER_DAY);
    const t = k * STEP_MS;
    const cal = this.calendarAt(t);
    const special =
      this.state?.specialDayTables === undefined
        ? undefined
        : specialDayOf(cal, this.specialDaysAt(t), this.dayOf(dayN));
    if (
      dayN !== this.ratesDayN ||
      cal !== this.ratesCalendar ||
      special !== this.ratesSpecial ||
      this.rates === undefined
    ) {
      const d = this.dayOf(dayN);
      this.rates = dayRates(cal, d.month, d.day, d.dayOfWeek, special);
      this.ratesDayN = dayN;
      this.ratesCalendar = cal;
      this.ratesSpecial = special;
    }
    return this.rates[ls - dayN * STEPS_PER_DAY] ?? 1;
  }

  private readonly stepKeys = new Float64Array(STEP_CACHE).fill(Number.NaN);
  private readonly stepValues: (StepValues | undefined)[] = new Array(STEP_CACHE);

  /** Forget memoised steps: a command changed what the meter registers. */
  forgetSteps(): void {
    this.stepKeys.fill(Number.NaN);
  }

  /** Drop memoised steps that consumer changes since the last look made stale. */
  private syncSupply(): void {
    this.supplyVersion = this.fleet.supplyVersion;
    const n = this.supplyCount();
    if (n === this.supplySeen) return;
    const c = this.supplyChangedFrom(this.supplySeen);
    this.supplySeen = n;
    for (let i = 0; i < STEP_CACHE; i++) if (this.stepKeys[i]! >= c) this.stepKeys[i] = Number.NaN;
  }

  step(k: number): StepValues {
    if (this.supplyVersion !== this.fleet.supplyVersion) this.syncSupply();
    const slot = ((k % STEP_CACHE) + STEP_CACHE) % STEP_CACHE;
    if (this.stepKeys[slot] === k) return this.stepValues[slot]!;
    const v = this.computeStep(k);
    this.stepKeys[slot] = k;
    this.stepValues[slot] = v;
    return v;
  }

  private computeStep(k: number): StepValues {
    const from = k * STEP_MS;
    const powered = this.poweredFraction(from, from + STEP_MS);
    const trueWh = this.trueStepWhPowered(k, powered);
    const e = this.effects;
    let wh = trueWh;
    if (e.deadFrom !== undefined && from >= e.deadFrom) wh = 0;
    else if (e.theft !== undefined && from >= e.theft.from) wh = Math.floor(trueWh * e.theft.factor);
    const pf = this.powerFactor(wh * 0.004);
    const vah = wh === 0 ? 0 : Math.round(wh / pf);
    const q1 = Math.round(Math.sqrt(Math.max(0, vah * vah - wh * wh)));
    return { wh, vah, q1, rate: this.rateAt(k), trueWh, powered };
  }

  /** Seeded register values at the anchor step. */
  initialEnergy(): Float64Array {
    const out = new Float64Array(ENERGY_WIDTH);
    const years = between(1.5, 6, this.salt, Stream.initialEnergy);
    const wh = Math.round(this.annualKWh * years) * 1_000_000;
    const vah = Math.round(wh / 0.93);
    out[E.wh] = wh;
    out[E.vah] = vah;
    out[E.q1] = Math.round(wh * 0.3);
    const split = (total: number, base: number): void => {
      const t1 = Math.floor(total * 0.4);
      const t2 = Math.floor(total * 0.45);
      out[base] = t1;
      out[base + 1] = t2;
      out[base + 2] = total - t1 - t2;
    };
    split(wh, E.whT1);
    split(vah, E.vahT1);
    return out;
  }

  /** A per-meter 32-bit number for quantity `stream` and counter `n`. */
  h(stream: number, n = 0): number {
    return hash32(this.salt, stream, n);
  }
}
