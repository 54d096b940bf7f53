import type { ControlPort, NewReadingPlan, ReadingPlan } from '@openhes/core';
import type { Io } from '../io.ts';
import type { Wired } from '../wire.ts';
import type { Collection } from './collector.ts';

/** What `hes start` and `hes collect` were told, as the services need it. */
export interface ServiceOptions {
  /** API listening address and port (0 = any). */
  host: string;
  port: number;
  logLevel: string;
  /** Push listener address and port (0 = any); undefined = the push service does not listen. */
  pushHost: string;
  pushPort: number | undefined;
  /** Sessions at once in the collector. */
  concurrency: number;
  /** Session policy overrides (e.g. a shorter first backfill for the demo). */
  blockBackfillMs?: number;
  /** Plans run by the scheduler instead of the stored ones (hes collect --plan). */
  plans?: readonly NewReadingPlan[];
  /** Names of stored plans run once as soon as this scheduler leads (the demo plan). */
  runAtStart?: readonly string[];
  /** Print alarms of pushes (hes collect). */
  printAlarms?: boolean;
  /** Maintenance: retention in days per kind, and its cron. */
  retention: { readingsDays: number; eventsDays: number; collectionDays: number; auditDays: number };
  maintenanceCron: string;
}

/** Shared by the services of one process; the collector service fills `collection`. */
export interface ServiceContext {
  wired: Wired;
  io: Io;
  options: ServiceOptions;
  collection?: Collection;
  /** Meter control as the API calls it; the control service fills it. */
  control?: ControlPort;
  /** Plans as the scheduler reads them (the stored ones unless `options.plans`). */
  plans(): Promise<readonly (NewReadingPlan | ReadingPlan)[]>;
  warn(e: unknown): void;
}

/** A running service: `stop` ends what it started (given `drainMs` to finish work under way). */
export interface RunningService {
  stop(drainMs: number): Promise<void>;
}
