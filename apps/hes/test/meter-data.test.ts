import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryEventBus, createMemoryLeases } from '@openhes/bus';
import {
  type Actor,
  type ChannelDef,
  type Command,
  type CommandRequest,
  type ControlPort,
  QualityFlag,
  type ReadingInput,
  type Store,
  type TariffInput,
} from '@openhes/core';
import { openStore } from '@openhes/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceContext } from '../src/services/context.ts';
import { meterDataFor, startMeterData } from '../src/services/meter-data.ts';
import type { Wired } from '../src/wire.ts';
import { runHes } from './helpers.ts';

const I = 900_000;
const DAY = 86_400_000;
const NOV = Date.UTC(2026, 10, 1);
const DEC = Date.UTC(2026, 11, 1);

const ENERGY: ChannelDef = {
  obis: '1-0:1.29.0.255',
  attribute: 2,
  kind: 'interval',
  unit: 'Wh',
  scaler: 0,
  intervalSeconds: 900,
};

const FLAT: TariffInput = {
  id: 'FLAT',
  name: 'Flat',
  currency: 'INR',
  minorDigits: 2,
  timeZone: 'UTC',
  dayTypes: ['all'],
  week: ['all', 'all', 'all', 'all', 'all', 'all', 'all'],
  specialDays: [],
  seasons: [
    {
      id: 'y',
      start: '01-01',
      days: [{ dayType: 'all', ranges: [{ start: '00:00', end: '24:00', period: 'A' }] }],
    },
  ],
  periods: [{ id: 'A', importRate: '0.10' }],
  fixedCharges: [{ id: 'service', amount: '5.00', per: 'cycle' }],
  demandCharges: [],
  netMetering: 'none',
  taxes: [],
};

/** A smooth daily load, Wh per quarter hour. */
const load = (end: number) =>
  Math.round(400 + 250 * Math.sin(((((end - I) % DAY) / 3_600_000 - 8) / 24) * 2 * Math.PI));

function day(channelId: number, start: number, skip: (i: number) => boolean = () => false): ReadingInput[] {
  const out: ReadingInput[] = [];
  for (let i = 0; i < 96; i++)
    if (!skip(i)) out.push({ channelId, ts: start + (i + 1) * I, value: load(start + (i + 1) * I) });
  return out;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function seed(data: string, fn: (s: Store) => Promise<void>): Promise<void> {
  const s = await openStore({ kind: 'sqlite', path: join(data, 'hes.db') });
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

describe('hes bill, hes vee, hes prepay (issue 14)', () => {
  const data = mkdtempSync(join(tmpdir(), 'hes-md-cli-'));
  dirs.push(data);
  let channelId = 0;

  beforeAll(async () => {
    await seed(data, async (s) => {
      await s.billing.putTariff(FLAT, 'test');
      const m = await s.meters.create({
        serial: 'MD1',
        manufacturer: 'ACME',
        model: 'AM550',
        deviceProfile: 'is15959-1ph',
        protocol: 'dlms-tcp',
        address: '127.0.0.1:4059',
        status: 'active',
        tariff: 'FLAT',
      });
      channelId = (await s.channels.ensure(m.id, ENERGY)).id;
      // November with one 30-minute gap on the 10th (intervals 40 and 41).
      for (let d = 0; d < 30; d++) {
        const skip = d === 9 ? (i: number) => i === 40 || i === 41 : () => false;
        await s.readings.ingest({ id: `nov-${d}`, readings: day(channelId, NOV + d * DAY, skip) });
      }
    });
  });

  it('hes vee run estimates the gap as a new version, leaving the read values alone', async () => {
    const r = await runHes(['vee', 'run', '--from', '2026-11-01', '--to', '2026-12-01', '--data', data]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/meters 1 channels 1 \| intervals 2880 values 2878 gaps 2 estimated 2/);
    await seed(data, async (s) => {
      const gap = await s.readings.history(channelId, NOV + 9 * DAY + 41 * I);
      expect(gap.map((x) => [x.version, (x.quality & QualityFlag.estimated) !== 0])).toEqual([[1, true]]);
      const read = await s.readings.history(channelId, NOV + 9 * DAY + 10 * I);
      expect(read.map((x) => [x.version, x.quality, x.value])).toEqual([
        [1, 0, load(NOV + 9 * DAY + 10 * I)],
      ]);
    });
    const bad = await runHes(['vee', 'run', '--from', 'yesterday', '--to', '2026-12-01', '--data', data]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--from');
  });

  it('hes bill run --cycle 2026-11 bills the meter once; a rerun leaves it; a bad cycle exits 1 naming it', async () => {
    const r = await runHes(['bill', 'run', '--cycle', '2026-11', '--data', data, '--actor', 'billing-clerk']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('cycle 2026-11 groups default: 1 meter(s)');
    expect(r.stdout).toContain('created 1 rebilled 0 unchanged 0');
    let total = 0;
    await seed(data, async (s) => {
      const bills = await s.billing.bills({ cycle: '2026-11' });
      expect(bills.items).toHaveLength(1);
      const b = bills.items[0]!;
      expect(b).toMatchObject({ createdBy: 'billing-clerk', estimated: true });
      // Energy at 0.10 per kWh of every current value (2 estimates included) plus the 5.00 service charge.
      const series = await s.readings.series({ channelId, from: NOV + 1, to: DEC + 1, limit: 10_000 });
      const wh = series.items.reduce((sum, x) => sum + x.value, 0);
      expect(series.items).toHaveLength(2880);
      expect(b.total).toBe(Math.round(wh / 100) + 500);
      total = b.total;
    });
    const again = await runHes(['bill', 'run', '--cycle', '2026-11', '--final', '--data', data]);
    expect(again.stdout).toContain('created 0 rebilled 0 unchanged 1');
    await seed(data, async (s) => {
      // --final: the billed values are final for VEE (no more estimates or edits).
      const locks = await s.vee.locks(channelId, NOV + I, DEC);
      expect(locks.map((l) => l.label)).toEqual(['bill 2026-11 v1']);
    });
    const bad = await runHes(['bill', 'run', '--cycle', '2026-13', '--data', data]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('cycle');
    const out = join(data, 'bills.csv');
    const exp = await runHes(['bill', 'export', '--cycle', '2026-11', '--out', out, '--data', data]);
    expect(exp.status).toBe(0);
    const csv = readFileSync(out, 'utf8').trim().split('\r\n');
    expect(csv[0]!.startsWith('bill_id,meter_id,cycle,version')).toBe(true);
    const totalRow = csv.find((l) => l.includes(',total,total,'))!;
    expect(totalRow).toContain(`,${total},INR`);
    expect(totalRow.split(',')[8]).toBe('true');
    const json = await runHes(['bill', 'export', '--cycle', '2026-11', '--format', 'json', '--data', data]);
    expect(JSON.parse(json.stdout).bills[0].total).toBe(total);
  });

  it('hes prepay topup credits once per reference; balance and ledger show it', async () => {
    await seed(data, async (s) => {
      await s.prepayment.createAccount({
        meterId: 1,
        currency: 'INR',
        minorDigits: 2,
        chargeFrom: DEC,
        createdBy: 'test',
      });
    });
    const t = await runHes([
      'prepay',
      'topup',
      '--meter',
      '1',
      '--amount',
      '150.50',
      '--ref',
      'UPI-1',
      '--data',
      data,
    ]);
    expect(t.stderr).toBe('');
    expect(t.stdout).toContain('credited 150.50 INR');
    expect(t.stdout).toContain('balance 150.50 INR');
    const again = await runHes([
      'prepay',
      'topup',
      '--meter',
      '1',
      '--amount',
      '150.50',
      '--ref',
      'UPI-1',
      '--data',
      data,
    ]);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('reference UPI-1 was already credited');
    const frac = await runHes([
      'prepay',
      'topup',
      '--meter',
      '1',
      '--amount',
      '1.005',
      '--ref',
      'UPI-2',
      '--data',
      data,
    ]);
    expect(frac.status).toBe(1);
    expect(frac.stderr).toContain('decimal place');
    const ref = await runHes([
      'prepay',
      'topup',
      '--meter',
      '1',
      '--amount',
      '1',
      '--ref',
      'bad ref',
      '--data',
      data,
    ]);
    expect(ref.status).toBe(1);
    expect(ref.stderr).toContain('field reference');
    const b = await runHes(['prepay', 'balance', '--meter', '1', '--data', data]);
    expect(b.stdout).toContain('balance 150.50 INR');
    expect(b.stdout).toContain('state connected');
    const l = await runHes(['prepay', 'ledger', '--account', '1', '--data', data]);
    const rows = l.stdout.trim().split('\n').slice(2);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.split('\t').slice(2, 6)).toEqual(['top-up', '150.50', '150.50', 'UPI-1']);
    const none = await runHes(['prepay', 'balance', '--data', data]);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('--account');
  });
});

/** The command engine as prepayment sees it: requests stored as commands. */
function storedCommands(store: Store): ControlPort {
  return {
    requestCommand: (r: CommandRequest, a: Actor): Promise<Command> =>
      store.commands.create({
        kind: r.kind,
        meterId: r.meterId,
        parameters: r.parameters ?? {},
        reason: r.reason,
        priority: r.priority ?? 'normal',
        deadline: r.deadline ?? null,
        requestedBy: a.name,
        requestedFrom: a.address,
      }),
    cancelCommand: (id: number, a: Actor) => store.commands.transition(id, 'queued', 'cancelled', a.name),
  } as unknown as ControlPort;
}

describe('meter data after ingest in the head end', () => {
  const data = mkdtempSync(join(tmpdir(), 'hes-md-ingest-'));
  dirs.push(data);
  let store: Store;
  let ctx: ServiceContext;
  const warnings: unknown[] = [];

  beforeAll(async () => {
    store = await openStore({ kind: 'sqlite', path: join(data, 'hes.db') });
    writeFileSync(
      join(data, 'meter-data.json'),
      JSON.stringify({ billing: { groups: [{ id: 'all', timeZone: 'UTC' }] } }),
    );
    const wired = {
      data,
      store,
      bus: createMemoryEventBus(),
      leaderLock: createMemoryLeases().leader,
      holder: 'meter-data-test',
    } as unknown as Wired;
    ctx = {
      wired,
      io: { out: () => {}, err: () => {}, readStdin: async () => '' },
      options: {} as ServiceContext['options'],
      control: storedCommands(store),
      plans: async () => [],
      warn: (e) => warnings.push(e),
    };
  });
  afterAll(async () => store.close());

  it('runs VEE over the batch first, then charges prepayment from the validated values (the gap estimated, not skipped)', async () => {
    await store.billing.putTariff(FLAT, 'test');
    const m = await store.meters.create({
      serial: 'MD2',
      manufacturer: 'ACME',
      model: 'AM550',
      deviceProfile: 'is15959-1ph',
      protocol: 'dlms-tcp',
      address: '127.0.0.1:4059',
      status: 'active',
      tariff: 'FLAT',
    });
    const ch = (await store.channels.ensure(m.id, ENERGY)).id;
    const start = NOV + DAY;
    await store.prepayment.createAccount({
      meterId: m.id,
      currency: 'INR',
      minorDigits: 2,
      chargeFrom: start,
      createdBy: 't',
    });
    const running = await startMeterData(ctx, { tickMs: 0 });
    try {
      expect(running.meterData.billing.groups.map((g) => g.id)).toEqual(['all']);
      const readings = day(ch, start, (i) => i === 40 || i === 41);
      await store.readings.ingest({ id: 'b1', readings });
      // Nobody publishes here: the store's outbox row for the batch reaches meter data through
      // the relay startMeterData runs, as in hes start.
      const deadline = Date.now() + 15_000;
      while ((await store.prepayment.accountForMeter(m.id))!.chargedThrough !== start + DAY) {
        if (Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 100));
        await running.idle();
      }
      await running.idle();
      expect(warnings).toEqual([]);
      const est = await store.readings.history(ch, start + 41 * I);
      expect(est.map((r) => (r.quality & QualityFlag.estimated) !== 0)).toEqual([true]);
      const account = (await store.prepayment.accountForMeter(m.id))!;
      // Charged through the day's end: the gap was estimated before the engine charged.
      expect(account.chargedThrough).toBe(start + DAY);
      expect(account.provisional).toBe(true);
      const charges = await store.prepayment.ledger({ accountId: account.id, kind: 'charge' });
      expect(charges.items.reduce((n, e) => n + Number(e.detail?.intervals ?? 0), 0)).toBe(96);
      expect(charges.items.reduce((n, e) => n + Number(e.detail?.estimated ?? 0), 0)).toBe(2);
      const series = await store.readings.series({
        channelId: ch,
        from: start + 1,
        to: start + DAY + 1,
        limit: 200,
      });
      const wh = series.items.reduce((s, r) => s + r.value, 0);
      expect(account.balance).toBe(-Math.round(wh / 100));
      // Below zero: held in friendly hours, else a disconnect requested (the real clock decides).
      expect(['connected', 'disconnect-pending']).toContain(account.state);
    } finally {
      await running.stop(1000);
    }
  });

  it('the API port names the payment reference as `reference`', async () => {
    const port = meterDataFor(ctx).ports.prepayment;
    const a = (await store.prepayment.accounts({})).items[0]!;
    await expect(
      port.topUp(
        { accountId: a.id, amount: 100, reference: 'not valid' },
        { name: 't', address: null, approver: false },
      ),
    ).rejects.toMatchObject({ kind: 'invalid', detail: { field: 'reference' } });
    const ok = await port.topUp(
      { accountId: a.id, amount: 100, reference: 'R-1' },
      { name: 't', address: null, approver: false },
    );
    expect(ok.entry).toMatchObject({ kind: 'top-up', amount: 100, ref: 'R-1' });
  });
});
