import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Clock, Instant } from '@openhes/core';

/** What a plan reads; the names are the acquisition layer's read kinds. */
export const PlanReadKind = {
  registers: 'registers',
  instantaneous: 'instantaneous',
  block: 'block',
  daily: 'daily',
  billing: 'billing',
  events: 'events',
} as const;
export type PlanReadKind = (typeof PlanReadKind)[keyof typeof PlanReadKind];

/** Which meters a plan reads: all, or those of some device profiles and/or ids. */
export interface PlanMeters {
  profiles?: string[];
  ids?: number[];
}

/** The acquisition layer's reading plan plus `enabled`; the scheduler runs these as stored. */
export interface NewReadingPlan {
  name: string;
  /** Cron expression (5 or 6 fields) in UTC. */
  cron: string;
  reads: PlanReadKind[];
  meters: PlanMeters | 'all';
  /** Each run is spread over this many seconds, each meter at a stable offset. */
  windowSeconds: number;
  enabled: boolean;
}

export interface ReadingPlan extends NewReadingPlan {
  id: number;
  createdAt: Instant;
  updatedAt: Instant;
}

/**
 * Port for reading plans. The storage package has no plan table yet; until it does, the
 * head end keeps plans in a JSON file next to the database (`filePlanStore`).
 */
export interface ReadingPlanStore {
  list(): Promise<ReadingPlan[]>;
  get(id: number): Promise<ReadingPlan | null>;
  create(plan: NewReadingPlan): Promise<ReadingPlan>;
  replace(id: number, plan: NewReadingPlan): Promise<ReadingPlan | null>;
  delete(id: number): Promise<boolean>;
}

interface PlanFile {
  nextId: number;
  plans: ReadingPlan[];
}

export interface PlanStoreOptions {
  /** Called after every change with all plans (the head end reschedules from it). */
  onChange?: (plans: ReadingPlan[]) => void;
}

interface LegacyPlan {
  schedule?: string;
  target?: { meterIds?: number[] };
}

/** Plans written before the shape matched acquisition's: `schedule` → `cron`, `target.meterIds` → `meters.ids`. */
function upgrade(p: ReadingPlan & LegacyPlan): ReadingPlan {
  if (typeof p.cron === 'string') return p;
  const { schedule, target, ...rest } = p;
  return {
    ...rest,
    cron: schedule ?? '0 0 * * *',
    meters: target?.meterIds === undefined ? 'all' : { ids: target.meterIds },
    windowSeconds: 0,
  };
}

function planStore(
  clock: Clock,
  load: () => PlanFile,
  persist: (f: PlanFile) => void,
  options: PlanStoreOptions,
): ReadingPlanStore {
  const state = load();
  state.plans = state.plans.map(upgrade);
  const copy = (p: ReadingPlan): ReadingPlan => structuredClone(p);
  const save = (f: PlanFile): void => {
    persist(f);
    options.onChange?.(f.plans.map(copy));
  };
  return {
    async list() {
      return state.plans.map(copy);
    },
    async get(id) {
      const p = state.plans.find((x) => x.id === id);
      return p ? copy(p) : null;
    },
    async create(plan) {
      const now = clock.now();
      const p: ReadingPlan = { ...structuredClone(plan), id: state.nextId, createdAt: now, updatedAt: now };
      state.nextId += 1;
      state.plans.push(p);
      save(state);
      return copy(p);
    },
    async replace(id, plan) {
      const i = state.plans.findIndex((x) => x.id === id);
      const old = state.plans[i];
      if (!old) return null;
      const p: ReadingPlan = {
        ...structuredClone(plan),
        id,
        createdAt: old.createdAt,
        updatedAt: clock.now(),
      };
      state.plans[i] = p;
      save(state);
      return copy(p);
    },
    async delete(id) {
      const i = state.plans.findIndex((x) => x.id === id);
      if (i < 0) return false;
      state.plans.splice(i, 1);
      save(state);
      return true;
    },
  };
}

export function memoryPlanStore(clock: Clock, options: PlanStoreOptions = {}): ReadingPlanStore {
  return planStore(
    clock,
    () => ({ nextId: 1, plans: [] }),
    () => {},
    options,
  );
}

/** Plans in one JSON file, replaced atomically (write to a temporary file, then rename). */
export function filePlanStore(path: string, clock: Clock, options: PlanStoreOptions = {}): ReadingPlanStore {
  return planStore(
    clock,
    () =>
      existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as PlanFile) : { nextId: 1, plans: [] },
    (f) => {
      const tmp = `${path}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(f, null, 2)}\n`);
      renameSync(tmp, path);
    },
    options,
  );
}
