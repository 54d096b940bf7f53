import type { ActivityCalendar } from '@openhes/cosem';
import type { DlmsData } from '@openhes/dlms';
import { rows } from '../model/buffer.ts';
import { catalogOf } from '../model/catalog.ts';
import { settle } from '../model/commands.ts';
import { readAttribute } from '../model/read.ts';
import { type DeviceProfile, loadProfiles } from '../profiles.ts';
import { defaultCalendar } from './calendar.ts';
import { type FleetView, MeterTruth } from './meter.ts';
import { backgroundOutages, type ScenarioSpec, type Window } from './scenarios.ts';
import type { LoadClass } from './shapes.ts';
import { type MeterState, newMeterState } from './state.ts';
import { type Instant, STEP_MS } from './time.ts';
import { type MeterPlace, meterCount, type ProfileMix, placeOf, type TopologySpec } from './topology.ts';
import { captureInstant, type MeterIdentity } from './values.ts';

export interface TruthOptions {
  seed: number;
  /** Simulated start; registers hold their seeded initial values here. */
  startAt: Instant;
  consumers: number;
  transformers?: number;
  transformersPerFeeder?: number;
  mix?: ProfileMix;
  scenarios?: ScenarioSpec[];
  profiles?: ReadonlyMap<string, DeviceProfile>;
  /** Profile id per load class; default: the loaded profile of that class. */
  profileByClass?: Partial<Record<LoadClass, string>>;
  /** Profile of the distribution-transformer meters; default the CT-operated profile. */
  transformerProfile?: string;
  pushDestination?: string;
  /** Seeded everyday events around the start (default false: only scenarios and commands). */
  background?: boolean;
}

const METER_CACHE = 20_000;
const NO_CHANGES: readonly number[] = [];

/**
 * The fleet's ground truth: every value is a function of (seed, meter, instant, commands).
 * Meters are materialised on demand and forgotten again; only command state is kept.
 */
export class Truth implements FleetView {
  readonly seed: number;
  readonly startAt: Instant;
  readonly anchorStep: number;
  readonly topology: TopologySpec;
  readonly scenarios: readonly ScenarioSpec[];
  readonly profiles: ReadonlyMap<string, DeviceProfile>;
  readonly pushDestination?: string;
  readonly background: boolean;
  private readonly outagesByTransformer = new Map<number, readonly Window[]>();
  private readonly byClass: Record<LoadClass, DeviceProfile>;
  private readonly transformerProfile: DeviceProfile;
  private readonly states = new Map<number, MeterState>();
  private readonly meters = new Map<number, MeterTruth>();
  private readonly calendar: ActivityCalendar = defaultCalendar();
  private readonly supplyLog = new Map<number, number[]>();
  supplyVersion = 0;

  constructor(o: TruthOptions) {
    this.seed = o.seed;
    this.startAt = o.startAt;
    this.anchorStep = Math.floor(o.startAt / STEP_MS);
    this.topology = {
      seed: o.seed,
      consumers: o.consumers,
      transformers: o.transformers ?? 0,
      transformersPerFeeder: o.transformersPerFeeder ?? 10,
      mix: o.mix ?? { residential: 1 },
    };
    this.scenarios = o.scenarios ?? [];
    this.background = o.background ?? false;
    this.profiles = o.profiles ?? loadProfiles();
    if (o.pushDestination !== undefined) this.pushDestination = o.pushDestination;
    const pick = (cls: LoadClass): DeviceProfile => {
      const id = o.profileByClass?.[cls];
      const p =
        id === undefined
          ? [...this.profiles.values()].find((x) => x.loadClass === cls)
          : this.profiles.get(id);
      if (p === undefined) throw new Error(`no device profile for load class ${cls}`);
      return p;
    };
    this.byClass = {
      residential: pick('residential'),
      commercial: pick('commercial'),
      industrial: pick('industrial'),
    };
    const tp =
      o.transformerProfile === undefined
        ? [...this.profiles.values()].find((p) => p.meter.ctOperated)
        : this.profiles.get(o.transformerProfile);
    this.transformerProfile = tp ?? this.byClass.industrial;
  }

  get size(): number {
    return meterCount(this.topology);
  }

  profileFor(place: MeterPlace): DeviceProfile {
    return place.role === 'transformer' ? this.transformerProfile : this.byClass[place.loadClass];
  }

  state(index: number): MeterState | undefined {
    return this.states.get(index);
  }

  ensureState(index: number): MeterState {
    let s = this.states.get(index);
    if (s === undefined) {
      s = newMeterState();
      this.states.set(index, s);
    }
    return s;
  }

  /** Meters that hold command state. */
  get commanded(): number {
    return this.states.size;
  }

  supplyChanges(transformer: number): readonly number[] {
    return this.supplyLog.get(transformer) ?? NO_CHANGES;
  }

  supplyChanged(transformer: number, step: number): void {
    let log = this.supplyLog.get(transformer);
    if (log === undefined) {
      log = [];
      this.supplyLog.set(transformer, log);
    }
    log.push(step);
    this.supplyVersion++;
  }

  transformerOutages(transformer: number): readonly Window[] {
    const hit = this.outagesByTransformer.get(transformer);
    if (hit !== undefined) return hit;
    const w = backgroundOutages(this.seed, transformer, this.startAt);
    this.outagesByTransformer.set(transformer, w);
    return w;
  }

  defaultCalendar(): ActivityCalendar {
    return this.calendar;
  }

  /** Place and profile of a meter without materialising its truth (cheap: for listings). */
  identity(index: number): MeterIdentity & { place: MeterPlace } {
    const place = placeOf(this.topology, index);
    return { fleet: this, index, profile: this.profileFor(place), place };
  }

  meter(index: number): MeterTruth {
    if (!Number.isInteger(index) || index < 0 || index >= this.size)
      throw new RangeError(`no meter ${index}`);
    let m = this.meters.get(index);
    if (m === undefined) {
      if (this.meters.size >= METER_CACHE) this.meters.clear();
      m = new MeterTruth(this, index);
      this.meters.set(index, m);
    }
    return m;
  }

  private read(meter: number, obis: string, attribute: number, t: Instant, access?: undefined): DlmsData {
    const m = this.meter(meter);
    settle(m, t);
    const cat = catalogOf(m.profile);
    const e = cat.byObis.get(obis);
    if (e === undefined) throw new Error(`meter ${meter} (${m.profile.id}) has no object ${obis}`);
    const v = readAttribute(
      { m, cat, association: 'management', clientSap: 48, now: t },
      e,
      attribute,
      t,
      { live: true },
      access,
    );
    if (typeof v === 'number') throw new Error(`meter ${meter} ${obis} attribute ${attribute}: result ${v}`);
    return v;
  }

  /** The true instant at which meter `meter`'s clock reads `clock`: when it captured a row stamped so. */
  captureInstant(meter: number, clock: Instant): Instant {
    return captureInstant(this.meter(meter), clock);
  }

  /** Attribute 2 of a register or data object at t, exactly as the meter encodes it. */
  registerAt(meter: number, obis: string, t: Instant): DlmsData {
    return this.read(meter, obis, 2, t);
  }

  /** Any attribute at t. */
  attributeAt(meter: number, obis: string, attribute: number, t: Instant): DlmsData {
    return this.read(meter, obis, attribute, t);
  }

  /** Buffer rows captured in [from, to] that the meter holds at `now` (default: to). */
  profileRows(meter: number, obis: string, from: Instant, to: Instant, now: Instant = to): DlmsData[] {
    const m = this.meter(meter);
    settle(m, now);
    const cat = catalogOf(m.profile);
    const e = cat.byObis.get(obis);
    const p = e?.spec.profile;
    if (e === undefined || p === undefined) throw new Error(`meter ${meter} has no profile ${obis}`);
    const rc = { m, cat, association: 'management', clientSap: 48, now };
    return rows(m, p, now, from, to).map((r) => ({
      type: 'structure',
      value: p.capture.map((c) => {
        const ce = cat.byObis.get(c[1])!;
        const v = readAttribute(rc, ce, c[2], r.at, r.ctx);
        return typeof v === 'number' ? { type: 'null-data' } : v;
      }),
    }));
  }
}
