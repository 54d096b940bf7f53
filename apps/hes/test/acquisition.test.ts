import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportMeters, type Fleet, startFleet } from '@openhes/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHes } from './helpers.ts';

let dir: string;
let fleet: Fleet;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hes-cli-acq-'));
  fleet = await startFleet({ meters: 3, transformers: 1, seed: 9, port: 0, tickMs: 0 });
  writeFileSync(join(dir, 'meters.csv'), [...exportMeters(fleet, 'csv')].join(''));
  writeFileSync(
    join(dir, 'plan.json'),
    JSON.stringify({
      plans: [{ name: 'day', cron: '0 0 * * *', reads: ['block', 'registers', 'events'], windowSeconds: 60 }],
    }),
  );
});

afterAll(async () => {
  await fleet?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('hes meters import, read-meter, collect', () => {
  it('imports the simulator export', async () => {
    const r = await runHes(['meters', 'import', join(dir, 'meters.csv'), '--data', join(dir, 'data')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`imported ${fleet.size} meters: ${fleet.size} created`));
  });

  it('refuses a malformed meter list with a coded error', async () => {
    writeFileSync(join(dir, 'bad.csv'), 'serial,host\nX,127.0.0.1\n');
    const r = await runHes(['meters', 'import', join(dir, 'bad.csv'), '--data', join(dir, 'data')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/ACQ_INVALID_METER_LIST/);
  });

  it('reads one meter now and prints its registers as JSON', async () => {
    const r = await runHes(['read-meter', '1', '--data', join(dir, 'data'), '--json', '--timeout', '5000']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { status: string; values: { obis: string; unit: string }[] };
    expect(out.status).toBe('success');
    expect(out.values.some((v) => v.obis === '1.0.1.8.0.255' && v.unit === 'Wh')).toBe(true);
  });

  it('runs a plan once over every meter and prints a summary', async () => {
    const r = await runHes([
      'collect',
      '--data',
      join(dir, 'data'),
      '--plan',
      join(dir, 'plan.json'),
      '--once',
      '--no-push',
      '--max-response',
      '60000',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`summary: meters done ${fleet.size} failed 0 skipped 0 pending 0`));
  });

  it('refuses a timeout, response cap or concurrency that is not a positive integer', async () => {
    for (const [option, value] of [
      ['--timeout', 'soon'],
      ['--max-response', '0'],
      ['--concurrency', '-3'],
    ]) {
      const r = await runHes([
        'collect',
        '--data',
        join(dir, 'data'),
        '--once',
        '--no-push',
        option!,
        value!,
      ]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`${option} must be a positive integer, got '${value}'`);
    }
  });
});
