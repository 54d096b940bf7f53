import { statfs } from 'node:fs/promises';
import type { MetricsRegistry } from '@openhes/api';
import { type AuditStore, CodedError, ErrorKind, type RetentionPolicy, type Store } from '@openhes/core';
import { Cron } from 'croner';
import type { RunningService, ServiceContext } from './context.ts';

const DAY = 86_400_000;

/** Retention when neither options nor environment say otherwise (days kept per kind). */
export const DEFAULT_RETENTION = {
  readingsDays: 1095,
  eventsDays: 1095,
  collectionDays: 90,
  auditDays: 2555,
};
/** Storage periods are created this far ahead of now. */
export const PERIODS_AHEAD_MS = 62 * DAY;
/** Outbox entries every relay has passed are kept this long. */
export const OUTBOX_KEEP_MS = 7 * DAY;
/** Daily at 03:17 UTC. */
export const DEFAULT_MAINTENANCE_CRON = '17 3 * * *';

const ENV: Readonly<Record<keyof typeof DEFAULT_RETENTION, string>> = {
  readingsDays: 'HES_RETENTION_READINGS_DAYS',
  eventsDays: 'HES_RETENTION_EVENTS_DAYS',
  collectionDays: 'HES_RETENTION_COLLECTION_DAYS',
  auditDays: 'HES_RETENTION_AUDIT_DAYS',
};

/** The retention policy: an option given wins, then the environment, then the default. */
export function retentionPolicy(
  given: Partial<Record<keyof typeof DEFAULT_RETENTION, string | undefined>>,
  env: NodeJS.ProcessEnv,
): typeof DEFAULT_RETENTION {
  const out = { ...DEFAULT_RETENTION };
  for (const k of Object.keys(DEFAULT_RETENTION) as (keyof typeof DEFAULT_RETENTION)[]) {
    const text = given[k] ?? env[ENV[k]];
    if (text === undefined || text === '') continue;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`retention ${k} (${ENV[k]}) must be a positive number of days, got "${text}"`);
    out[k] = n;
  }
  return out;
}

export interface MaintenanceReport {
  periodsEnsured: string[];
  droppedPeriods: string[];
  outboxPruned: number;
}

/** One maintenance round: periods ahead, retention, outbox prune. */
export async function runMaintenance(ctx: ServiceContext, now = Date.now()): Promise<MaintenanceReport> {
  const { store } = ctx.wired;
  const periodsEnsured = await store.maintenance.ensurePeriods({ from: now, to: now + PERIODS_AHEAD_MS });
  const policy: RetentionPolicy = ctx.options.retention;
  const { droppedPeriods } = await store.maintenance.applyRetention(policy, now);
  const outboxPruned = await store.outbox.prune(now - OUTBOX_KEEP_MS);
  ctx.io.out(
    `maintenance: retention (days) readings ${policy.readingsDays} events ${policy.eventsDays} collection ${policy.collectionDays} audit ${policy.auditDays}; dropped ${droppedPeriods.length} period(s)${droppedPeriods.length > 0 ? ` (${droppedPeriods.join(', ')})` : ''}; ${periodsEnsured.length} period(s) ensured ahead; outbox pruned ${outboxPruned}`,
  );
  return { periodsEnsured, droppedPeriods, outboxPruned };
}

/**
 * The maintenance service: retention and period housekeeping once at start and then on its
 * cron (UTC), so stored data stops growing without bound.
 */
export async function startMaintenance(
  ctx: ServiceContext,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningService & { last: MaintenanceReport; disk: DiskWatch }> {
  // The disk watch first: a start on an almost full disk raises its alarm before anything else.
  const disk = diskWatchFor(ctx, env);
  await disk.check();
  const timer = setInterval(() => void disk.check().catch((e: unknown) => ctx.warn(e)), disk.intervalMs);
  timer.unref();
  let state: { last: MaintenanceReport };
  try {
    state = { last: await runMaintenance(ctx) };
  } catch (e) {
    clearInterval(timer);
    throw e;
  }
  const job = new Cron(ctx.options.maintenanceCron, { timezone: 'UTC', protect: true }, async () => {
    try {
      state.last = await runMaintenance(ctx);
    } catch (e) {
      ctx.warn(e);
    }
  });
  return {
    get last() {
      return state.last;
    },
    disk,
    async stop() {
      job.stop();
      clearInterval(timer);
    },
  };
}

// ── the disk watch: free space of the data directory, alarmed before it runs out ─────────────

export type DiskLevel = 'ok' | 'warning' | 'critical';

/** Free space below any of `bytes` / `percent` (of the file system's size) reaches the level. */
export interface FreeSpaceThreshold {
  bytes?: number;
  percent?: number;
}

export interface DiskWatchOptions {
  /** The directory whose file system holds the store (the data directory). */
  path: string;
  warning: FreeSpaceThreshold;
  critical: FreeSpaceThreshold;
  /** How often the maintenance service looks. */
  intervalMs: number;
}

export interface DiskReport {
  level: DiskLevel;
  freeBytes: number;
  totalBytes: number;
  freePercent: number;
  at: number;
}

/** Warning below 10 % or 1 GiB free, critical below 2 % or 256 MiB; checked every 30 s. */
export const DEFAULT_DISK_WATCH = {
  warning: { percent: 10, bytes: 2 ** 30 },
  critical: { percent: 2, bytes: 256 * 2 ** 20 },
  intervalMs: 30_000,
} as const;

const DISK_ENV = {
  warning: 'HES_DISK_WARNING_FREE',
  critical: 'HES_DISK_CRITICAL_FREE',
  interval: 'HES_DISK_CHECK_SECONDS',
} as const;

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 2 ** 20,
  mb: 1e6,
  mib: 2 ** 20,
  g: 2 ** 30,
  gb: 1e9,
  gib: 2 ** 30,
  t: 2 ** 40,
  tb: 1e12,
  tib: 2 ** 40,
};

/** Parses `10%`, `512MiB`, `2GB`, `1048576` or a comma-separated pair such as `10%,1GiB`. */
export function parseFreeSpace(text: string, name: string): FreeSpaceThreshold {
  const out: FreeSpaceThreshold = {};
  for (const part of text.split(',').map((p) => p.trim())) {
    const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(part);
    if (pct) {
      const n = Number(pct[1]);
      if (n <= 0 || n >= 100)
        throw new Error(`${name}: a percentage must be between 0 and 100, got "${part}"`);
      out.percent = n;
      continue;
    }
    const size = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(part);
    const unit = size ? UNITS[size[2]!.toLowerCase()] : undefined;
    if (!size || unit === undefined || Number(size[1]) <= 0)
      throw new Error(`${name}: expected free space as "10%", "512MiB", "2GB" or bytes, got "${part}"`);
    out.bytes = Math.round(Number(size[1]) * unit);
  }
  return out;
}

/** Disk watch options: the environment (HES_DISK_WARNING_FREE, …) over the defaults. */
export function diskWatchOptions(path: string, env: NodeJS.ProcessEnv): DiskWatchOptions {
  const opts: DiskWatchOptions = {
    path,
    warning: { ...DEFAULT_DISK_WATCH.warning },
    critical: { ...DEFAULT_DISK_WATCH.critical },
    intervalMs: DEFAULT_DISK_WATCH.intervalMs,
  };
  const w = env[DISK_ENV.warning];
  if (w) opts.warning = parseFreeSpace(w, DISK_ENV.warning);
  const c = env[DISK_ENV.critical];
  if (c) opts.critical = parseFreeSpace(c, DISK_ENV.critical);
  const i = env[DISK_ENV.interval];
  if (i) {
    const n = Number(i);
    if (!Number.isFinite(n) || n < 1)
      throw new Error(`${DISK_ENV.interval} must be a number of seconds ≥ 1, got "${i}"`);
    opts.intervalMs = n * 1000;
  }
  return opts;
}

function below(t: FreeSpaceThreshold, free: number, total: number): boolean {
  return (
    (t.bytes !== undefined && free < t.bytes) ||
    (t.percent !== undefined && total > 0 && (free / total) * 100 < t.percent)
  );
}

type Registry = MetricsRegistry['registry'];

export interface DiskWatchDeps {
  audit: AuditStore;
  registry: Registry;
  clock?: () => number;
  /** Free and total bytes of the file system holding `path` (default `fs.statfs`). */
  statfs?: (path: string) => Promise<{ freeBytes: number; totalBytes: number }>;
  /** Where alarms are said (the service's output and warnings). */
  say(line: string): void;
}

const LEVEL_VALUE: Readonly<Record<DiskLevel, number>> = { ok: 0, warning: 1, critical: 2 };

async function nodeStatfs(path: string): Promise<{ freeBytes: number; totalBytes: number }> {
  const s = await statfs(path);
  // bavail: what an unprivileged writer may still use (the store does not count on root's reserve).
  return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
}

interface SimpleGauge {
  set(value: number): void;
}

/** One unlabelled gauge in the registry (the one already there under that name, if any). */
function gauge(registry: Registry, name: string, help: string): SimpleGauge {
  const existing = registry.getSingleMetric(name) as unknown as Partial<SimpleGauge> | undefined;
  if (typeof existing?.set === 'function') return existing as SimpleGauge;
  let value = 0;
  const metric = {
    name,
    help,
    type: 'gauge',
    aggregator: 'sum',
    set(v: number) {
      value = v;
    },
    get: async () => ({ name, help, type: 'gauge', aggregator: 'sum', values: [{ value, labels: {} }] }),
    reset() {
      value = 0;
    },
  };
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
  return metric;
}

/**
 * Watches the free space of the data directory's file system. Each change of level is
 * alarmed once: said in the service output, written to the audit log (actor `system`,
 * action `disk.warning` / `disk.critical` / `disk.ok`; an entry that cannot be stored on a
 * full disk is said instead) and shown in the metrics `hes_disk_free_bytes`,
 * `hes_disk_total_bytes` and `hes_disk_level` (0 ok, 1 warning, 2 critical). At critical the
 * API's readiness is false (see {@link withDiskReadiness}).
 */
export class DiskWatch {
  readonly options: DiskWatchOptions;
  readonly #deps: DiskWatchDeps;
  readonly #free: SimpleGauge;
  readonly #total: SimpleGauge;
  readonly #level: SimpleGauge;
  #last: DiskReport | null = null;

  constructor(options: DiskWatchOptions, deps: DiskWatchDeps) {
    this.options = options;
    this.#deps = deps;
    this.#free = gauge(
      deps.registry,
      'hes_disk_free_bytes',
      'Free bytes on the file system of the data directory',
    );
    this.#total = gauge(
      deps.registry,
      'hes_disk_total_bytes',
      'Size of the file system of the data directory',
    );
    this.#level = gauge(
      deps.registry,
      'hes_disk_level',
      'Free space level of the data directory: 0 ok, 1 warning, 2 critical',
    );
  }

  get intervalMs(): number {
    return this.options.intervalMs;
  }

  /** The last report, null before the first check. */
  get last(): DiskReport | null {
    return this.#last;
  }

  /** Looks at the file system now; alarms when the level changed. */
  async check(): Promise<DiskReport> {
    const { freeBytes, totalBytes } = await (this.#deps.statfs ?? nodeStatfs)(this.options.path);
    const level: DiskLevel = below(this.options.critical, freeBytes, totalBytes)
      ? 'critical'
      : below(this.options.warning, freeBytes, totalBytes)
        ? 'warning'
        : 'ok';
    const report: DiskReport = {
      level,
      freeBytes,
      totalBytes,
      freePercent: totalBytes > 0 ? Math.round((freeBytes / totalBytes) * 10_000) / 100 : 0,
      at: (this.#deps.clock ?? Date.now)(),
    };
    const before = this.#last?.level ?? 'ok';
    this.#last = report;
    this.#free.set(freeBytes);
    this.#total.set(totalBytes);
    this.#level.set(LEVEL_VALUE[level]);
    if (level !== before) await this.#alarm(before, report);
    return report;
  }

  async #alarm(before: DiskLevel, r: DiskReport): Promise<void> {
    const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
    const what =
      r.level === 'ok'
        ? 'free space is back above the warning level'
        : r.level === 'warning'
          ? 'free space is running low'
          : 'free space is critical: the head end reports not ready; free space now';
    this.#deps.say(
      `disk ${r.level.toUpperCase()}: ${what} (${mib(r.freeBytes)} of ${mib(r.totalBytes)} free, ${r.freePercent}%, on ${this.options.path})`,
    );
    try {
      await this.#deps.audit.append({
        actor: 'system',
        action: `disk.${r.level}`,
        target: `disk:${this.options.path}`,
        outcome: r.level === 'ok' ? 'succeeded' : 'failed',
        detail: {
          from: before,
          level: r.level,
          freeBytes: r.freeBytes,
          totalBytes: r.totalBytes,
          freePercent: r.freePercent,
          warning: this.options.warning,
          critical: this.options.critical,
        },
      });
    } catch (e) {
      this.#deps.say(
        `disk ${r.level.toUpperCase()}: the audit entry could not be stored (${(e as Error).message})`,
      );
    }
  }
}

const watches = new WeakMap<object, DiskWatch>();

/** The one disk watch of this process's wiring (shared by the maintenance and API services). */
export function diskWatchFor(ctx: ServiceContext, env: NodeJS.ProcessEnv = process.env): DiskWatch {
  let w = watches.get(ctx.wired);
  if (!w) {
    w = new DiskWatch(diskWatchOptions(ctx.wired.data, env), {
      audit: ctx.wired.store.audit,
      registry: ctx.wired.metrics.registry,
      say: (line) => ctx.io.err(line),
    });
    watches.set(ctx.wired, w);
  }
  return w;
}

/**
 * The store as the API sees it for readiness: its write probe fails (kind `unavailable`, code
 * `DISK_CRITICAL`) while free space is at the critical level, before trying a write.
 */
export function withDiskReadiness(store: Store, disk: DiskWatch): Store {
  const probe = store.maintenance.probeWrite?.bind(store.maintenance);
  return {
    ...store,
    maintenance: {
      ensurePeriods: (range) => store.maintenance.ensurePeriods(range),
      applyRetention: (policy, now) => store.maintenance.applyRetention(policy, now),
      async probeWrite() {
        const r = await disk.check();
        if (r.level === 'critical') {
          throw new CodedError(
            ErrorKind.unavailable,
            'DISK_CRITICAL',
            `free space on ${disk.options.path} is critical: ${r.freeBytes} bytes (${r.freePercent}%) left`,
            { retryable: false, detail: { ...r } },
          );
        }
        await probe?.();
      },
    },
  };
}
