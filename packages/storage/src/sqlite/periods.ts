import type Database from 'better-sqlite3';
import { type Period, type PeriodSize, periodOf } from '../sql/periods.ts';

export interface ReadingTable {
  name: string;
  start: number;
  end: number;
  insertFirst: Database.Statement;
  insertVersion: Database.Statement;
  newest: Database.Statement;
}

const COLS = 'channel_id, ts, version, value, quality, reasons, source, received_at';

/**
 * Readings live in one WITHOUT ROWID table per period, keyed (channel_id, ts, version):
 * a channel's series is one contiguous range of one B-tree, and inserts only ever touch the
 * current period's tree, so ingest cost does not grow with the years stored.
 */
export class SqliteReadingTables {
  readonly size: PeriodSize;
  readonly #db: Database.Database;
  readonly #byStart = new Map<number, ReadingTable>();
  #last: ReadingTable | null = null;

  constructor(db: Database.Database, size: PeriodSize) {
    this.#db = db;
    this.size = size;
    const rows = db
      .prepare("SELECT start_ts, end_ts, name FROM store_periods WHERE kind = 'readings'")
      .all() as {
      start_ts: number;
      end_ts: number;
      name: string;
    }[];
    for (const r of rows) this.#register(r.name, r.start_ts, r.end_ts);
  }

  #register(name: string, start: number, end: number): ReadingTable {
    const t: ReadingTable = {
      name,
      start,
      end,
      insertFirst: this.#db.prepare(
        `INSERT OR IGNORE INTO ${name} (${COLS}) VALUES (?, ?, 1, ?, ?, ?, ?, ?)`,
      ),
      insertVersion: this.#db.prepare(`INSERT INTO ${name} (${COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      newest: this.#db
        .prepare(
          `SELECT version, value, quality, reasons FROM ${name} WHERE channel_id = ? AND ts = ?
           ORDER BY version DESC LIMIT 1`,
        )
        .raw(),
    };
    this.#byStart.set(start, t);
    return t;
  }

  /** Table for an instant, creating it (inside the caller's transaction) when missing. */
  forInstant(ts: number): ReadingTable {
    const last = this.#last;
    if (last && ts >= last.start && ts < last.end) return last;
    const p = periodOf(ts, this.size);
    const t = this.#byStart.get(p.start) ?? this.create(p);
    this.#last = t;
    return t;
  }

  existing(ts: number): ReadingTable | undefined {
    return this.#byStart.get(periodOf(ts, this.size).start);
  }

  create(p: Period): ReadingTable {
    const found = this.#byStart.get(p.start);
    if (found) return found;
    const name = `readings_${p.label}`;
    this.#db.exec(`CREATE TABLE IF NOT EXISTS ${name} (
      channel_id INTEGER NOT NULL,
      ts INTEGER NOT NULL,
      version INTEGER NOT NULL,
      value REAL NOT NULL,
      quality INTEGER NOT NULL,
      reasons TEXT,
      source INTEGER NOT NULL,
      received_at INTEGER NOT NULL,
      PRIMARY KEY (channel_id, ts, version)
    ) WITHOUT ROWID`);
    this.#db
      .prepare(
        "INSERT OR IGNORE INTO store_periods (kind, start_ts, end_ts, name) VALUES ('readings', ?, ?, ?)",
      )
      .run(p.start, p.end, name);
    return this.#register(name, p.start, p.end);
  }

  /** Existing tables overlapping [from, to), oldest first. */
  overlapping(from: number, to: number): ReadingTable[] {
    return [...this.#byStart.values()]
      .filter((t) => t.end > from && t.start < to)
      .sort((a, b) => a.start - b.start);
  }

  /** Drops every table whose period ended at or before `cutoff`; runs inside a transaction. */
  dropBefore(cutoff: number): string[] {
    const dropped: string[] = [];
    for (const t of [...this.#byStart.values()]) {
      if (t.end > cutoff) continue;
      this.#db.exec(`DROP TABLE IF EXISTS ${t.name}`);
      this.#db.prepare("DELETE FROM store_periods WHERE kind = 'readings' AND start_ts = ?").run(t.start);
      this.#byStart.delete(t.start);
      dropped.push(t.name);
    }
    this.#last = null;
    return dropped;
  }

  /** Forgets cached tables after a rolled-back transaction may have undone their creation. */
  reload(): void {
    this.#byStart.clear();
    this.#last = null;
    const rows = this.#db
      .prepare("SELECT start_ts, end_ts, name FROM store_periods WHERE kind = 'readings'")
      .all() as {
      start_ts: number;
      end_ts: number;
      name: string;
    }[];
    for (const r of rows) this.#register(r.name, r.start_ts, r.end_ts);
  }
}
