import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runHes } from './helpers.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const marks = (path: string): number[] =>
  Object.values(
    (JSON.parse(readFileSync(path, 'utf8')) as { counters: Record<string, { guek: number }> }).counters,
  ).map((k) => k.guek);

describe('hes simulate --state', () => {
  it("keeps the meters' invocation counters in the file: each run continues above the last", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hes-sim-state-'));
    dirs.push(dir);
    const state = join(dir, 'counters.json');
    const args = ['simulate', '--meters', '2', '--port', '0', '--state', state, '--duration', '200ms'];
    expect((await runHes(args)).status).toBe(0);
    const first = marks(state);
    expect(first).toHaveLength(3);
    expect((await runHes(args)).status).toBe(0);
    const second = marks(state);
    for (const [i, m] of second.entries()) expect(m).toBeGreaterThan(first[i]!);
  });
});
