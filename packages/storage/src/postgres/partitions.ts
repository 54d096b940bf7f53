import type pg from 'pg';
import type { PeriodKind } from '../entities/context.ts';
import { type Period, type PeriodSize, periodOf, periodsBetween } from '../sql/periods.ts';
import { mapPgError, withPgTx } from './exec.ts';

const PARENT: Readonly<Record<PeriodKind, { table: string; prefix: string }>> = {
  readings: { table: 'readings', prefix: 'readings_p' },
  events: { table: 'events', prefix: 'events_p' },
  collection: { table: 'collection_outcomes', prefix: 'collection_p' },
};

/**
 * Range partitions by period. The maintenance task creates them ahead; writers create a
 * missing one on demand, so a late maintenance run never rejects data.
 */
export class PgPartitions {
  readonly #pool: pg.Pool;
  readonly #size: PeriodSize;
  readonly #known = new Map<PeriodKind, Set<number>>();

  constructor(pool: pg.Pool, size: PeriodSize) {
    this.#pool = pool;
    this.#size = size;
  }

  sizeOf(kind: PeriodKind): PeriodSize {
    return kind === 'readings' ? this.#size : 'month';
  }

  async load(): Promise<void> {
    const r = await this.#pool.query<{ kind: PeriodKind; start: string }>(
      'SELECT kind, (extract(epoch from start_ts) * 1000)::int8 AS start FROM store_periods',
    );
    this.#known.clear();
    for (const row of r.rows) this.#set(row.kind).add(Number(row.start));
  }

  #set(kind: PeriodKind): Set<number> {
    let s = this.#known.get(kind);
    if (!s) {
      s = new Set();
      this.#known.set(kind, s);
    }
    return s;
  }

  /** Ensures partitions for every period between the earliest and latest instant. */
  async ensure(kind: PeriodKind, instants: readonly number[]): Promise<void> {
    if (instants.length === 0) return;
    let min = instants[0]!;
    let max = min;
    for (const t of instants) {
      if (t < min) min = t;
      else if (t > max) max = t;
    }
    const known = this.#set(kind);
    const size = this.sizeOf(kind);
    for (let p = periodOf(min, size); p.start <= max; p = periodOf(p.end, size)) {
      if (!known.has(p.start)) await this.create(kind, p);
    }
  }

  async ensureRange(kind: PeriodKind, from: number, to: number): Promise<string[]> {
    const names: string[] = [];
    for (const p of periodsBetween(from, to, this.sizeOf(kind))) {
      if (!this.#set(kind).has(p.start)) await this.create(kind, p);
      names.push(`${PARENT[kind].prefix}${p.label}`);
    }
    return names;
  }

  async create(kind: PeriodKind, p: Period): Promise<void> {
    const { table, prefix } = PARENT[kind];
    const name = `${prefix}${p.label}`;
    const from = new Date(p.start).toISOString();
    const to = new Date(p.end).toISOString();
    try {
      await withPgTx(this.#pool, async (client) => {
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF ${table} FOR VALUES FROM ('${from}') TO ('${to}')`,
        );
        await client.query(
          `INSERT INTO store_periods (kind, start_ts, end_ts, name) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
          [kind, from, to, name],
        );
      });
    } catch (e) {
      // Another writer created it between our check and our DDL.
      const code = (e as { detail?: { reason?: string } }).detail?.reason;
      if (code !== '42P07' && code !== '23505') throw mapPgError(e);
    }
    this.#set(kind).add(p.start);
  }

  /** Drops every partition whose period ended at or before `cutoff`. */
  async dropBefore(kind: PeriodKind, cutoff: number): Promise<string[]> {
    const r = await this.#pool.query<{ name: string; start: string }>(
      `SELECT name, (extract(epoch from start_ts) * 1000)::int8 AS start FROM store_periods
       WHERE kind = $1 AND end_ts <= $2 ORDER BY start_ts`,
      [kind, new Date(cutoff).toISOString()],
    );
    for (const row of r.rows) {
      await withPgTx(this.#pool, async (client) => {
        await client.query(`DROP TABLE IF EXISTS ${row.name}`);
        await client.query('DELETE FROM store_periods WHERE name = $1', [row.name]);
      });
      this.#set(kind).delete(Number(row.start));
    }
    return r.rows.map((row) => row.name);
  }
}
