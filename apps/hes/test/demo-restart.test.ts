import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCollector, readMeterNow } from '@openhes/acquisition';
import { afterAll, describe, expect, it } from 'vitest';
import { type Demo, demoCounterFile, startDemo } from '../src/demo.ts';
import { type Wired, wire } from '../src/wire.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** One run of `hes start --demo` as far as collection goes: wiring, demo fleet, a collector. */
async function run(data: string): Promise<{ wired: Wired; demo: Demo }> {
  const wired = await wire({ data, env: { HES_MASTER_KEY: 'a'.repeat(64) } });
  try {
    return { wired, demo: await startDemo(wired, { meters: 3, seed: 7 }) };
  } catch (e) {
    await wired.close();
    throw e;
  }
}

async function readAll(wired: Wired): Promise<{ status: string; errorCode: string | null }[]> {
  const collector = createCollector(wired.store, wired.access, { sleep: async () => {} });
  const ids = (await wired.store.meters.list({ limit: 100 })).items.map((m) => m.id);
  const out = [];
  for (const id of ids) {
    const r = await readMeterNow(collector, id, ['registers']);
    out.push({ status: r.status, errorCode: r.errorCode });
  }
  await collector.drain();
  return out;
}

describe('restarting the demo against the same head-end store', () => {
  it('collection keeps working: the simulated meters continue their invocation counters, never from zero', async () => {
    const data = mkdtempSync(join(tmpdir(), 'hes-demo-restart-'));
    dirs.push(data);
    const first = await run(data);
    try {
      const r = await readAll(first.wired);
      expect(r.length).toBe(4);
      expect(r.every((x) => x.status === 'success')).toBe(true);
    } finally {
      await first.demo.fleet.close();
      await first.wired.close();
    }

    const second = await run(data);
    try {
      expect(second.demo.resumed || second.demo.imported > 0).toBe(true);
      // Before the counters were kept, every read failed here with DRIVER_REPLAY.
      const r = await readAll(second.wired);
      expect(r).toEqual(r.map(() => ({ status: 'success', errorCode: null })));
    } finally {
      await second.demo.fleet.close();
      await second.wired.close();
    }
    expect(demoCounterFile(data)).toMatch(/demo-counters\.json$/);
  }, 60_000);
});
