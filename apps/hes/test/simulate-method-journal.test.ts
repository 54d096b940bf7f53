import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runHes } from './helpers.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('hes simulate --method-journal', () => {
  it('is documented in the help', async () => {
    const r = await runHes(['simulate', '--help']);
    expect(r.stdout).toContain('--method-journal <file>');
  });

  it("opens the fleet's method journal (the file exists once the fleet serves)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hes-sim-journal-'));
    dirs.push(dir);
    const journal = join(dir, 'methods.jsonl');
    const r = await runHes([
      'simulate',
      '--meters',
      '1',
      '--port',
      '0',
      '--method-journal',
      journal,
      '--duration',
      '100ms',
    ]);
    expect(r.status).toBe(0);
    expect(existsSync(journal)).toBe(true);
  });
});
