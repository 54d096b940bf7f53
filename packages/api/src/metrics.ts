import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { CollectionOutcome } from '@openhes/core';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * What other layers report to the metrics endpoint. Acquisition, ingest and the queue call
 * these; the API only exposes the registry.
 */
export interface HesMetrics {
  collectionOutcome(outcome: Pick<CollectionOutcome, 'status' | 'errorCode'>): void;
  sessionLatency(seconds: number, status: string): void;
  storeWrites(kind: 'readings' | 'events' | 'outcomes', rows: number): void;
  queueDepth(depth: number): void;
  httpRequest(route: string, method: string, status: number, seconds: number): void;
  /** A push refused (forged, replayed, below its setup's protection …), by reason. */
  pushRefused(reason: string): void;
}

export interface MetricsRegistry {
  registry: Registry;
  metrics: HesMetrics;
}

export function createMetrics(registry: Registry = new Registry()): MetricsRegistry {
  const outcomes = new Counter({
    name: 'hes_collection_outcomes_total',
    help: 'Collection outcomes by status',
    labelNames: ['status'],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'hes_collection_failures_total',
    help: 'Failed or partial collections by stable error code',
    labelNames: ['code'],
    registers: [registry],
  });
  const sessions = new Histogram({
    name: 'hes_session_duration_seconds',
    help: 'Meter session latency',
    labelNames: ['status'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  const writes = new Counter({
    name: 'hes_store_writes_total',
    help: 'Rows written to the store',
    labelNames: ['kind'],
    registers: [registry],
  });
  const queue = new Gauge({
    name: 'hes_queue_depth',
    help: 'Collection tasks waiting in the queue',
    registers: [registry],
  });
  const http = new Histogram({
    name: 'hes_http_request_duration_seconds',
    help: 'API request latency',
    labelNames: ['route', 'method', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const pushRefused = new Counter({
    name: 'hes_push_refused_total',
    help: 'Pushes refused by the push listener, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  // How late the event loop ran since the previous scrape: the API, collection and push
  // reception share it, so this is what a slow /health is read against.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  new Gauge({
    name: 'hes_event_loop_delay_seconds',
    help: 'Event-loop delay since the previous scrape, by quantile (1 = the longest)',
    labelNames: ['quantile'],
    registers: [registry],
    collect() {
      const s = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
      this.set({ quantile: '0.5' }, s(loop.percentile(50)));
      this.set({ quantile: '0.99' }, s(loop.percentile(99)));
      this.set({ quantile: '1' }, s(loop.max));
      loop.reset();
    },
  });
  queue.set(0);
  return {
    registry,
    metrics: {
      collectionOutcome(o) {
        outcomes.inc({ status: o.status });
        if (o.errorCode !== null && o.status !== 'success') failures.inc({ code: o.errorCode });
      },
      sessionLatency(seconds, status) {
        sessions.observe({ status }, seconds);
      },
      storeWrites(kind, rows) {
        if (rows > 0) writes.inc({ kind }, rows);
      },
      queueDepth(depth) {
        queue.set(depth);
      },
      httpRequest(route, method, status, seconds) {
        http.observe({ route, method, status: String(status) }, seconds);
      },
      pushRefused(reason) {
        pushRefused.inc({ reason });
      },
    },
  };
}

/** Local days the timeliness gauges cover: the last 30 whole UTC days before today. */
export const TIMELINESS_METRIC_DAYS = 30;

type TimelinessSource = (query: { fromDay: string; toDay: string }) => Promise<
  {
    groupId: string | null;
    shareByDay1: number | null;
    shareByDay2: number | null;
    shareByFinal: number | null;
    expected: number;
  }[]
>;

const timelinessSources = new WeakMap<Registry, { source: TimelinessSource; now: () => number }>();

/**
 * VEE timeliness (issue 14) as gauges: `hes_vee_timeliness_ratio{group, deadline}` is the share
 * of the interval data of the last {@link TIMELINESS_METRIC_DAYS} days validated by day 1,
 * day 2 and the final deadline (group `fleet` for all), `hes_vee_expected_intervals{group}`
 * what the share is of. Read from the VEE service at each scrape; registering again on the
 * same registry replaces the source.
 */
export function registerTimelinessMetrics(
  registry: Registry,
  source: TimelinessSource,
  clock: { now(): number },
): void {
  const had = timelinessSources.has(registry);
  timelinessSources.set(registry, { source, now: () => clock.now() });
  if (had || registry.getSingleMetric('hes_vee_timeliness_ratio') !== undefined) return;
  // One read per scrape shared by both gauges (a scrape collects them at the same time).
  let shared: { at: number; rows: ReturnType<TimelinessSource> } | undefined;
  const rows = (): ReturnType<TimelinessSource> => {
    const s = timelinessSources.get(registry);
    if (s === undefined) return Promise.resolve([]);
    const at = Date.now();
    if (shared !== undefined && at - shared.at < 1000) return shared.rows;
    const today = new Date(s.now()).toISOString().slice(0, 10);
    const from = new Date(Date.parse(today) - TIMELINESS_METRIC_DAYS * 86_400_000).toISOString().slice(0, 10);
    // A store that cannot answer leaves the gauges empty rather than failing the scrape.
    shared = { at, rows: s.source({ fromDay: from, toDay: today }).catch(() => []) };
    return shared.rows;
  };
  new Gauge({
    name: 'hes_vee_timeliness_ratio',
    help: `Share of interval data of the last ${TIMELINESS_METRIC_DAYS} days validated by each deadline (day1, day2, final), by VEE group (fleet: all)`,
    labelNames: ['group', 'deadline'],
    registers: [registry],
    async collect() {
      const got = await rows();
      this.reset();
      for (const row of got) {
        const group = row.groupId ?? 'fleet';
        for (const [deadline, share] of [
          ['day1', row.shareByDay1],
          ['day2', row.shareByDay2],
          ['final', row.shareByFinal],
        ] as const) {
          if (share !== null) this.set({ group, deadline }, share);
        }
      }
    },
  });
  new Gauge({
    name: 'hes_vee_expected_intervals',
    help: `Interval values expected over the last ${TIMELINESS_METRIC_DAYS} days, by VEE group (fleet: all)`,
    labelNames: ['group'],
    registers: [registry],
    async collect() {
      const got = await rows();
      this.reset();
      for (const row of got) this.set({ group: row.groupId ?? 'fleet' }, row.expected);
    },
  });
}
