import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LedgerEntry, MeterEvent, PrepaymentAccount, Store, TariffInput } from '@openhes/core';
import {
  flatPriceFor,
  lowCreditCode,
  PrepaymentEngine,
  PrepaymentEventCode,
  PrepaymentService,
} from '@openhes/meter-data';
import { relayState } from '@openhes/simulator';
import { openStore } from '@openhes/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMeterData, type MeterData } from '../src/services/meter-data.ts';
import { type ControlHarness, controlHarness } from './control-harness.ts';

/**
 * Prepayment end to end (issue 14, "Proof") on simulated meters: a simulator fleet, the control
 * service of `hes start` (control-harness.ts) and the meter-data services wired as the head end
 * wires them (services/meter-data.ts). The meter's consumption is read from the simulator's
 * truth (its total register at quarter-hour ends), ingested as block readings and charged at
 * the tariff; relay states are read from the simulated meter, not from our own records.
 */
const STEP = 900_000;
const HOUR = 3_600_000;

const tariff: TariffInput = {
  id: 'PREPAY-FLAT',
  name: 'Prepaid flat (a high price, so an hour of a home empties the credit)',
  currency: 'INR',
  minorDigits: 2,
  timeZone: 'UTC',
  dayTypes: ['all'],
  week: ['all', 'all', 'all', 'all', 'all', 'all', 'all'],
  specialDays: [],
  seasons: [
    {
      id: 'year',
      start: '01-01',
      days: [{ dayType: 'all', ranges: [{ start: '00:00', end: '24:00', period: 'all' }] }],
    },
  ],
  periods: [{ id: 'all', importRate: '250.00', meterRate: 1 }],
  fixedCharges: [],
  demandCharges: [],
  netMetering: 'none',
  taxes: [],
};

const hhmm = (t: number) => new Date(t).toISOString().slice(11, 16);

describe('prepayment end to end on a simulated meter', () => {
  let h: ControlHarness;
  let md: MeterData;
  let store: Store;
  let meterId: number;
  let index: number;
  let account: PrepaymentAccount;

  const relay = () => relayState(h.fleet.truth, index, h.fleet.now());
  async function events(): Promise<MeterEvent[]> {
    const page = await store.events.list({ meterId, limit: 1000 });
    return page.items.filter((e) => e.log === '0.0.99.98.128.255');
  }
  async function ledger(): Promise<LedgerEntry[]> {
    const out: LedgerEntry[] = [];
    let cursor: string | null = null;
    do {
      const page = await md.prepayment.ledger({ accountId: account.id, limit: 500, cursor });
      out.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return out;
  }
  /** What the meter registered in each quarter hour ending in (from, to], as the collector stores it. */
  async function consume(from: number, to: number): Promise<void> {
    const channel = (await store.channels.forMeter(meterId)).find((c) => c.obis === '1.0.1.29.0.255')!;
    const wh = (t: number) => {
      const d = h.fleet.truth.registerAt(index, '1.0.1.8.0.255', t);
      return 'value' in d && typeof d.value === 'number' ? d.value : Number.NaN;
    };
    const readings = [];
    for (let t = from + STEP; t <= to; t += STEP)
      readings.push({ channelId: channel.id, ts: t, value: wh(t) - wh(t - STEP) });
    await store.readings.ingest({ readings });
  }
  /** Waits for the account's pending command to settle, then lets the engine see the outcome. */
  async function settle(): Promise<PrepaymentAccount> {
    const a = await md.prepayment.account(account.id);
    if (a.pending !== null && a.pending.commandId > 0) await h.settled(a.pending.commandId);
    await md.engine.evaluate(account.id);
    return md.prepayment.account(account.id);
  }

  beforeAll(async () => {
    h = await controlHarness({ meters: 3 });
    store = h.wired.store;
    md = createMeterData(store, { control: h.control });
    index = [0, 1, 2, 3].find((i) => {
      const id = h.fleet.truth.identity(i);
      return id.place.role === 'consumer' && id.place.loadClass === 'residential';
    })!;
    meterId = h.idOf(index);
    await md.billing.putTariff(tariff, 'test');
    await store.meters.update(meterId, { tariff: tariff.id });
    await store.channels.ensure(meterId, {
      obis: '1.0.1.29.0.255',
      attribute: 2,
      kind: 'interval',
      unit: 'Wh',
      scaler: 0,
      intervalSeconds: 900,
    });
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  it('top-up → consumption → alerts → held in friendly hours → disconnect → top-up → reconnect confirmed on the meter', async () => {
    const now = Date.now();
    const start = Math.floor(now / STEP) * STEP - 12 * HOUR;
    // Friendly hours: now is inside a window (two hours around it) at first.
    const friendly = {
      timeZone: 'UTC',
      windows: [{ start: hhmm(now - HOUR), end: hhmm(now + HOUR) }],
      weekdays: [],
      holidays: [],
    };
    account = await md.prepayment.createAccount(
      { meterId, currency: 'INR', chargeFrom: start, settings: { friendly } },
      'alice',
    );
    expect(relay().output).toBe(true);

    const first = await md.prepayment.topUp({ accountId: account.id, ref: 'PAY-1', amount: 5_000 }, 'alice');
    expect(first).toMatchObject({ duplicate: false, account: { balance: 5_000, state: 'connected' } });
    const again = await md.prepayment.topUp({ accountId: account.id, ref: 'PAY-1', amount: 5_000 }, 'alice');
    expect(again).toMatchObject({ duplicate: true, account: { balance: 5_000 } });

    // Consumption arrives a quarter hour at a time, the engine runs after each ingest.
    let t = start;
    const seen: number[] = [];
    while ((await md.prepayment.account(account.id)).balance > 0 && t < now - STEP) {
      await consume(t, t + STEP);
      t += STEP;
      const step = await md.engine.evaluate(account.id);
      seen.push(...(step?.events ?? []));
    }
    const a1 = await md.prepayment.account(account.id);
    expect(a1.balance).toBeLessThanOrEqual(0);
    // The three tiers (30 %, 10 %, 0 % of the last top-up), each once, in order.
    const tiers = [1, 2, 3].map(lowCreditCode);
    expect(seen.filter((c) => tiers.includes(c))).toEqual(tiers);
    expect((await events()).filter((e) => tiers.includes(e.code)).map((e) => e.code)).toEqual(tiers);
    // Inside friendly hours: supply kept, the disconnection held; the meter's relay still closed.
    expect(a1).toMatchObject({ state: 'connected', pending: null });
    expect(a1.heldUntil).not.toBeNull();
    expect(seen).toContain(PrepaymentEventCode.disconnectHeld);
    expect(relay().output).toBe(true);

    // The window no longer covers now: disconnect (non-payment) through the command engine.
    await md.prepayment.updateSettings(account.id, { friendly: { ...friendly, windows: [] } }, 'alice');
    await md.engine.evaluate(account.id);
    const pendingOff = await md.prepayment.account(account.id);
    expect(pendingOff).toMatchObject({ state: 'disconnect-pending', pending: { kind: 'disconnect' } });
    const off = await settle();
    expect(off.state).toBe('disconnected');
    expect(relay().output).toBe(false);

    // A top-up that makes the balance positive: reconnect requested at once (urgent), visible while pending.
    const paidAt = Date.now();
    const second = await md.prepayment.topUp(
      { accountId: account.id, ref: 'PAY-2', amount: 10_000 },
      'alice',
    );
    expect(second.account).toMatchObject({ state: 'reconnect-pending', pending: { kind: 'connect' } });
    const cmd = await store.commands.get(second.account.pending!.commandId);
    expect(cmd).toMatchObject({ kind: 'connect', priority: 'urgent' });
    const on = await settle();
    expect(on).toMatchObject({ state: 'connected', pending: null });
    expect(relay().output).toBe(true);
    const change = h.fleet.truth.state(index)!.relay.at(-1)!;
    expect(change.connected).toBe(true);
    // The bound: confirmed on the meter within a minute of the top-up.
    console.log(`prepay-e2e: relay closed on the meter ${change.at - paidAt} ms after the top-up`);
    expect(change.at - paidAt).toBeLessThan(60_000);

    // A repeated top-up is credited once; the ledger is the balance.
    const dup = await md.prepayment.topUp({ accountId: account.id, ref: 'PAY-2', amount: 10_000 }, 'alice');
    expect(dup.duplicate).toBe(true);
    const entries = await ledger();
    const final = await md.prepayment.account(account.id);
    expect(entries.reduce((s, e) => s + e.amount, 0)).toBe(final.balance);
    expect(entries.filter((e) => e.kind === 'top-up').map((e) => e.ref)).toEqual(['PAY-1', 'PAY-2']);
    expect(entries.at(-1)!.balanceAfter).toBe(final.balance);
  }, 120_000);
});

describe('prepayment ledger across kill -9', () => {
  it('a process killed between posts leaves the ledger exact: balance = sum, each reference once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hes-prepay-kill-'));
    const path = join(dir, 'hes.db');
    try {
      let store = await openStore({ kind: 'sqlite', path });
      const meter = await store.meters.create({
        serial: 'KILL-1',
        manufacturer: 'OpenHES',
        model: 'sim',
        deviceProfile: 'is15959-1ph',
        protocol: 'dlms-tcp',
        address: '127.0.0.1:4059',
      });
      let service = new PrepaymentService(
        store,
        new PrepaymentEngine({ store, priceFor: flatPriceFor('1') }),
      );
      const account = await service.createAccount({ meterId: meter.id, currency: 'INR' }, 'test');
      await store.close();

      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          fileURLToPath(new URL('./prepay-child.ts', import.meta.url)),
          path,
          String(account.id),
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const done: string[] = [];
      let err = '';
      child.stderr.on('data', (b: Buffer) => {
        err += b.toString();
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.once('exit', (_c, s) => resolve(s)),
      );
      await new Promise<void>((resolve, reject) => {
        let rest = '';
        child.stdout.on('data', (b: Buffer) => {
          const parts = (rest + b.toString()).split('\n');
          rest = parts.pop() ?? '';
          for (const p of parts) if (p.startsWith('done ')) done.push(p.split(' ')[1]!);
          if (done.length >= 40) {
            child.kill('SIGKILL');
            resolve();
          }
        });
        child.once('exit', () =>
          done.length >= 40 ? resolve() : reject(new Error(`child exited early: ${err}`)),
        );
      });
      expect(await exited).toBe('SIGKILL');

      store = await openStore({ kind: 'sqlite', path });
      service = new PrepaymentService(store, new PrepaymentEngine({ store, priceFor: flatPriceFor('1') }));
      const entries: LedgerEntry[] = [];
      let cursor: string | null = null;
      do {
        const page = await service.ledger({ accountId: account.id, limit: 500, cursor });
        entries.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor !== null);
      const after = await service.account(account.id);
      const refs = entries.filter((e) => e.kind === 'top-up').map((e) => e.ref!);
      // Every acknowledged top-up is there, once; at most the one in flight besides.
      expect(new Set(refs).size).toBe(refs.length);
      for (const r of done) expect(refs).toContain(r);
      expect(refs.length - done.length).toBeLessThanOrEqual(1);
      // The balance is the sum of the ledger, and each entry's running balance follows.
      expect(entries.reduce((s, e) => s + e.amount, 0)).toBe(after.balance);
      let running = 0;
      for (const e of entries) {
        running += e.amount;
        expect(e.balanceAfter).toBe(running);
      }
      // Replaying every reference after the restart credits only the ones not yet credited.
      const n = refs.length + 3;
      for (let k = 0; k < n; k++) {
        const r = await service.topUp({ accountId: account.id, ref: `KILL-${k}`, amount: 100 + k }, 'replay');
        expect(r.duplicate).toBe(k < refs.length);
      }
      const replayed = await service.account(account.id);
      const extra = [refs.length, refs.length + 1, refs.length + 2].reduce((s, k) => s + 100 + k, 0);
      expect(replayed.balance).toBe(after.balance + extra);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
