import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DlmsClient } from '@openhes/transport';
import { afterAll, describe, expect, it } from 'vitest';
import { CounterFile } from '../src/fleet/counter-file.ts';
import { type Fleet, startFleet } from '../src/fleet/fleet.ts';
import { clientOptions } from './client-helpers.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sim-counters-'));
  dirs.push(d);
  return d;
}

const START = Date.UTC(2026, 2, 2, 6, 0, 0);

function fleetWith(state: string | undefined, block?: number): Promise<Fleet> {
  return startFleet({
    meters: 2,
    transformers: 1,
    seed: 5,
    port: 0,
    tickMs: 0,
    startAt: START,
    clock: () => START,
    background: false,
    ...(state === undefined ? {} : { state }),
    ...(block === undefined ? {} : { counterBlock: block }),
  });
}

/**
 * One management session (HLS-GMAC, auth+enc): every counter the meter sent in it, as its
 * authenticated responses carried them. The client's own counter is fresh per call.
 */
let clientCounter = 1;
async function session(f: Fleet, meter: number, reads = 3): Promise<number[]> {
  const seen: number[] = [];
  const o = clientOptions(f, meter, 'management', clientCounter);
  clientCounter += 10_000;
  o.security!.onReceived = (n) => seen.push(n);
  const c = await DlmsClient.connect(o);
  try {
    for (let i = 0; i < reads; i++) await c.get('0.0.1.0.0.255', 8, 2);
  } finally {
    await c.end();
  }
  return seen;
}

describe('simulated meters keep their invocation counters across restarts', () => {
  it('without a state file a restarted meter sends the same counters again (the nonce reuse the state file prevents)', async () => {
    const a = await fleetWith(undefined);
    const first = await session(a, 0).finally(() => a.close());
    const b = await fleetWith(undefined);
    const second = await session(b, 0).finally(() => b.close());
    expect(second[0]).toBe(first[0]);
  });

  it('with the same state file, a second run’s counters are above every counter of the first', async () => {
    const state = join(tempDir(), 'counters.json');
    const a = await fleetWith(state);
    let first: number[];
    try {
      first = [...(await session(a, 0)), ...(await session(a, 0))];
    } finally {
      await a.close();
    }
    const b = await fleetWith(state);
    let second: number[];
    try {
      second = await session(b, 0);
      // The counter object the head end reads for a resync serves the meter's own counter.
      const o = clientOptions(b, 0, 'management', clientCounter);
      clientCounter += 10_000;
      const c = await DlmsClient.connect(o);
      try {
        const v = (await c.get('0.0.43.1.3.255', 1, 2)) as { value: number };
        expect(v.value).toBeGreaterThan(Math.max(...second));
      } finally {
        await c.end();
      }
    } finally {
      await b.close();
    }
    expect(first.length).toBeGreaterThan(0);
    expect(Math.min(...second)).toBeGreaterThan(Math.max(...first));
    // Counters only rise within each run too.
    for (const run of [first, second])
      for (let i = 1; i < run.length; i++) expect(run[i]).toBeGreaterThan(run[i - 1]!);
  });

  it('a crash between writes never sends a counter twice: the reserved mark is on disk before a counter past it is used', async () => {
    const state = join(tempDir(), 'counters.json');
    // A block of 4: a session's few responses cross several marks.
    const a = await fleetWith(state, 4);
    let first: number[];
    try {
      first = await session(a, 1, 10);
      // What the file says right now (as a crash at this instant would leave it) covers every counter sent.
      const onDisk = JSON.parse(readFileSync(state, 'utf8')) as {
        counters: Record<string, { guek: number }>;
      };
      const marks = Object.values(onDisk.counters).map((k) => k.guek);
      expect(Math.max(...marks)).toBeGreaterThan(Math.max(...first));
    } finally {
      // No clean shutdown step writes anything: closing is the same as being killed here.
      await a.close();
    }
    const b = await fleetWith(state, 4);
    try {
      const second = await session(b, 1);
      expect(Math.min(...second)).toBeGreaterThan(Math.max(...first));
    } finally {
      await b.close();
    }
  });

  it('one running fleet per state file: a second is refused while the first runs; a lock left by a dead process is taken over', async () => {
    const state = join(tempDir(), 'counters.json');
    const a = await fleetWith(state);
    try {
      await expect(fleetWith(state)).rejects.toThrow(/in use by process \d+ \(this one\)/);
    } finally {
      await a.close();
    }
    const b = await fleetWith(state);
    await b.close();
    // A pid that no longer runs (the highest pid Linux hands out is below 2^22).
    writeFileSync(`${state}.lock`, '4194400\n');
    const c = await fleetWith(state);
    await c.close();
    expect(() => new CounterFile(state).close()).not.toThrow();
  });

  it('refuses a state file it cannot read rather than start counters from zero', async () => {
    const state = join(tempDir(), 'counters.json');
    writeFileSync(state, '{"version":1,"counters":');
    await expect(fleetWith(state)).rejects.toThrow(/not readable JSON/);
  });
});
