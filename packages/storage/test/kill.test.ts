import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Store } from '@openhes/core';
import { describe, expect, it } from 'vitest';
import { openStore, type StoreConfig } from '../src/index.ts';
import { addMeter, DAY, energy, T0 } from './helpers.ts';
import { PG_URL, pgHarness } from './pg-harness.ts';

const CHILD = fileURLToPath(new URL('./fixtures/ingest-child.ts', import.meta.url));
const CHANNELS = 8;

/** Spawns the child, waits for `acks` acknowledged batches plus a random delay, then SIGKILLs it. */
function runAndKill(
  config: StoreConfig,
  channels: number[],
  firstDay: number,
  acks: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CHILD, JSON.stringify(config), channels.join(','), String(firstDay)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let last = -1;
    let buf = '';
    let stderr = '';
    let killing = false;
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    child.stdout.on('data', (d) => {
      buf += String(d);
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^ACK (\d+)$/.exec(line);
        if (m) last = Number(m[1]);
      }
      if (!killing && last + 1 - firstDay >= acks) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 15));
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(last);
      else
        reject(
          new Error(`child exited with ${code}/${signal} after ack ${last} (first ${firstDay}): ${stderr}`),
        );
    });
  });
}

async function verify(store: Store, channels: number[], firstDay: number, lastAck: number): Promise<void> {
  for (let day = firstDay; day <= lastAck + 3; day++) {
    const stored = await store.readings.isBatchStored(`k${day}`);
    let rows = 0;
    for (const channelId of channels) {
      const page = await store.readings.series({
        channelId,
        from: T0 + day * DAY,
        to: T0 + (day + 1) * DAY + 1,
        limit: 200,
      });
      const mine = page.items.filter((r) => r.value === day);
      rows += mine.length;
    }
    if (day <= lastAck) expect(stored, `acknowledged batch ${day}`).toBe(true);
    expect(rows, `batch ${day} stored=${stored}`).toBe(stored ? CHANNELS * 96 : 0);
  }
}

async function scenario(config: StoreConfig): Promise<void> {
  const setup = await openStore(config);
  const meter = await addMeter(setup);
  const channels: number[] = [];
  for (let i = 0; i < CHANNELS; i++) {
    channels.push((await setup.channels.ensure(meter.id, { ...energy, obis: `1.0.${i + 1}.29.0.255` })).id);
  }
  await setup.close();
  // Each round kills a fresh child at a random point and checks what it left behind.
  for (let round = 0; round < 3; round++) {
    const firstDay = round * 100;
    const lastAck = await runAndKill(config, channels, firstDay, 10);
    expect(lastAck).toBeGreaterThanOrEqual(firstDay + 9);
    const store = await openStore(config);
    try {
      await verify(store, channels, firstDay, lastAck);
    } finally {
      await store.close();
    }
  }
}

describe('SIGKILL in the middle of ingest', () => {
  it('sqlite: keeps every acknowledged batch whole and no partial batch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hes-kill-'));
    try {
      await scenario({ kind: 'sqlite', path: join(dir, 'hes.db') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('postgres: keeps every acknowledged batch whole and no partial batch', async () => {
    const h = pgHarness();
    try {
      await scenario({ kind: 'postgres', url: PG_URL, schema: h.schema });
    } finally {
      await h.cleanup();
    }
  }, 60_000);
});
