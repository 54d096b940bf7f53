/**
 * Tiny benchmark harness: runs a function repeatedly for a time budget after a warm-up and
 * reports operations per second (median of several rounds). Every figure is printed beside a
 * baseline measured in the same run, because this machine is shared and noisy.
 */
export interface Measured {
  name: string;
  opsPerSec: number;
  rounds: number[];
}

export function measure(
  name: string,
  fn: () => void,
  opts: { rounds?: number; roundMs?: number } = {},
): Measured {
  const rounds = opts.rounds ?? 5;
  const roundMs = opts.roundMs ?? 400;
  const warmEnd = performance.now() + roundMs;
  while (performance.now() < warmEnd) fn();
  const results: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const start = performance.now();
    let now = start;
    while (now - start < roundMs) {
      fn();
      n++;
      now = performance.now();
    }
    results.push((n * 1000) / (now - start));
  }
  results.sort((a, b) => a - b);
  return { name, opsPerSec: results[Math.floor(results.length / 2)]!, rounds: results };
}

export async function measureAsync(
  name: string,
  fn: () => Promise<void>,
  opts: { rounds?: number; roundMs?: number } = {},
): Promise<Measured> {
  const rounds = opts.rounds ?? 5;
  const roundMs = opts.roundMs ?? 1000;
  const warmEnd = performance.now() + roundMs / 2;
  while (performance.now() < warmEnd) await fn();
  const results: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const start = performance.now();
    let now = start;
    while (now - start < roundMs) {
      await fn();
      n++;
      now = performance.now();
    }
    results.push((n * 1000) / (now - start));
  }
  results.sort((a, b) => a - b);
  return { name, opsPerSec: results[Math.floor(results.length / 2)]!, rounds: results };
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function printTable(title: string, rows: Array<Record<string, string>>): void {
  console.log(`\n${title}`);
  const cols = Object.keys(rows[0] ?? {});
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(cols));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => r[c] ?? '')));
}

/** p50 / p99 / max of latencies in ms (sorted in place). */
export function latencyQuantiles(ms: number[]): { p50: number; p99: number; max: number } {
  ms.sort((a, b) => a - b);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] ?? Number.NaN;
  return { p50: q(0.5), p99: q(0.99), max: ms[ms.length - 1] ?? Number.NaN };
}
