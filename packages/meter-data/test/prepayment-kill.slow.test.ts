import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Store } from '@openhes/core';
import { openStore, type StoreConfig } from '@openhes/storage';
import { pgSchema } from '@openhes/testkit/pg';
import { describe, expect, it } from 'vitest';
import { wholeLedger } from './prepayment-harness.ts';

const CHILD = fileURLToPath(new URL('./prepayment-kill-child.ts', import.meta.url));
const T0 = Date.UTC(2026, 10, 2, 9);
const STEP = 900_000;

/** Runs the child from step `first`, SIGKILLs it after `acks` acknowledged steps (plus a random delay). */
function runAndKill(config: StoreConfig, meterId: number, accountId: number, first: number, acks: number) {
  return new Promise<number>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CHILD, JSON.stringify(config), String(meterId), String(accountId), String(first)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let last = first - 1;
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
      if (!killing && last + 1 - first >= acks) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 20));
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(last);
      else reject(new Error(`child exited ${code}/${signal} after ${last}: ${stderr}`));
    });
  });
}

async function setUp(config: StoreConfig): Promise<{ meterId: number; accountId: number }> {
  const store = await openStore(config);
  try {
    const meter = await store.meters.create({
      serial: `KILL-${process.pid}-${Date.now()}`,
      manufacturer: 'ACME',
      model: 'AM550',
      deviceProfile: 'acme',
      protocol: 'dlms-tcp',
      address: '10.0.0.9:4059',
      status: 'active',
    });
    await store.channels.ensure(meter.id, {
      obis: '1.0.1.29.0.255',
      attribute: 2,
      kind: 'interval',
      unit: 'Wh',
      scaler: 0,
      intervalSeconds: 900,
    });
    const account = await store.prepayment.createAccount({
      meterId: meter.id,
      currency: 'INR',
      minorDigits: 2,
      chargeFrom: T0,
      createdBy: 'kill-test',
    });
    return { meterId: meter.id, accountId: account.id };
  } finally {
    await store.close();
  }
}

async function verify(store: Store, accountId: number, lastAck: number): Promise<void> {
  const account = await store.prepayment.account(accountId);
  const entries = await wholeLedger(store, accountId);
  let sum = 0;
  for (const e of entries) {
    sum += e.amount;
    expect(e.balanceAfter).toBe(sum);
  }
  expect(account?.balance).toBe(sum);
  // Every acknowledged top-up credited exactly once, with its amount; none twice.
  const topUps = entries.filter((e) => e.kind === 'top-up');
  const refs = topUps.map((e) => e.ref);
  expect(new Set(refs).size).toBe(refs.length);
  for (let i = 0; i <= lastAck; i++) {
    const e = topUps.find((x) => x.ref === `K-${i}`);
    expect(e?.amount, `K-${i}`).toBe(100 + (i % 7));
  }
  // Charges cover exactly the intervals up to the charge cursor, each once: 1 per kWh,
  // (10 + i % 5) Wh each, summed exactly then rounded once.
  const charges = entries.filter((e) => e.kind === 'charge');
  const intervals = charges.reduce((s, e) => s + Number(e.detail?.intervals ?? 0), 0);
  const through = account?.chargedThrough ?? T0;
  expect(intervals).toBe((through - T0) / STEP);
  expect(intervals).toBeGreaterThanOrEqual(lastAck + 1);
  let wh = 0;
  for (let i = 0; i < intervals; i++) wh += 10 + (i % 5);
  // wh / 1000 kWh × 1 × 100 minor = wh / 10, rounded half up.
  expect(-charges.reduce((s, e) => s + e.amount, 0)).toBe(Math.round(wh / 10));
}

describe('prepayment ledger survives kill -9', () => {
  it('SQLite: repeated top-ups after restarts are credited once; balance = ledger sum; charges exact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hes-prepay-kill-'));
    const config: StoreConfig = { kind: 'sqlite', path: join(dir, 'hes.db'), durability: 'normal' };
    try {
      const { meterId, accountId } = await setUp(config);
      let last = await runAndKill(config, meterId, accountId, 0, 25);
      // Restart a few steps back: those references arrive again.
      last = Math.max(last, await runAndKill(config, meterId, accountId, Math.max(0, last - 4), 25));
      last = Math.max(last, await runAndKill(config, meterId, accountId, Math.max(0, last - 4), 10));
      const store = await openStore(config);
      try {
        await verify(store, accountId, last);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('PostgreSQL: the same after kills', async () => {
    const pg = pgSchema();
    await pg.create();
    const config: StoreConfig = {
      kind: 'postgres',
      url: pg.url,
      schema: pg.schema,
      poolSize: 2,
      periodsAhead: 0,
    };
    try {
      const { meterId, accountId } = await setUp(config);
      let last = await runAndKill(config, meterId, accountId, 0, 20);
      last = Math.max(last, await runAndKill(config, meterId, accountId, Math.max(0, last - 4), 20));
      const store = await openStore(config);
      try {
        await verify(store, accountId, last);
      } finally {
        await store.close();
      }
    } finally {
      await pg.drop();
    }
  }, 120_000);
});
