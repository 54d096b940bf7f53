import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Clock, Instant, MeterStatus } from '@openhes/core';

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

export interface PlanTarget {
  status?: MeterStatus;
  underNode?: number;
  meterIds?: number[];
}

export interface NewReadingPlan {
  name: string;
  /** Cron expression (5 or 6 fields) in UTC. */
  schedule: string;
  reads: PlanReadKind[];
  target: PlanTarget;
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

function planStore(clock: Clock, load: () => PlanFile, save: (f: PlanFile) => void): ReadingPlanStore {
  const state = load();
  const copy = (p: ReadingPlan): ReadingPlan => structuredClone(p);
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

export function memoryPlanStore(clock: Clock): ReadingPlanStore {
  return planStore(
    clock,
    () => ({ nextId: 1, plans: [] }),
    () => {},
  );
}

/** Plans in one JSON file, replaced atomically (write to a temporary file, then rename). */
export function filePlanStore(path: string, clock: Clock): ReadingPlanStore {
  return planStore(
    clock,
    () =>
      existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as PlanFile) : { nextId: 1, plans: [] },
    (f) => {
      const tmp = `${path}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(f, null, 2)}\n`);
      renameSync(tmp, path);
    },
  );
}
