/** A row as the driver returns it. */
export type Row = Record<string, unknown>;

/**
 * The small SQL surface shared by both adapters. Statements use `?` placeholders; time
 * values cross this boundary as epoch milliseconds and are converted in SQL by the dialect.
 */
export interface SqlExec {
  readonly dialect: Dialect;
  all<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  get<T = Row>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  tx<T>(fn: (tx: SqlExec) => Promise<T>): Promise<T>;
}

export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  /** SQL expression turning an epoch-ms parameter into the column's time type. */
  t(param: string): string;
  /** SQL expression turning a time column into epoch ms. */
  ms(column: string): string;
  /** SQL expression turning a JSON text parameter into the column's JSON type. */
  json(param: string): string;
  bool(v: boolean): unknown;
  /** SQL predicate: `column` is one of the integers in a parameter holding a JSON array. */
  inIds(column: string, param: string): string;
  /** The value of a JSON column as read (SQLite returns its text, PostgreSQL the parsed value). */
  fromJson<T>(v: unknown): T;
}

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  t: (p) => p,
  ms: (c) => c,
  json: (p) => p,
  bool: (v) => (v ? 1 : 0),
  inIds: (c, p) => `${c} IN (SELECT value FROM json_each(${p}))`,
  fromJson: <T>(v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v) as T,
};

export const postgresDialect: Dialect = {
  name: 'postgres',
  t: (p) => `to_timestamp(${p}::float8 / 1000)`,
  ms: (c) => `(extract(epoch from ${c}) * 1000)::int8`,
  json: (p) => `${p}::jsonb`,
  bool: (v) => v,
  inIds: (c, p) => `${c} = ANY(ARRAY(SELECT jsonb_array_elements_text(${p}::jsonb)::int8))`,
  fromJson: <T>(v: unknown) => v as T,
};

export function parseJson<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

export function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

export function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}

export function bytes(v: unknown): Uint8Array | null {
  if (v === null || v === undefined) return null;
  const b = v as Uint8Array;
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice();
}
