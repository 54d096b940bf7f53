import type { LedgerEntry, PrepaymentAccount } from '@openhes/core';
import type { Command } from 'commander';
import type { Io } from '../io.ts';
import type { MeterData } from '../services/meter-data.ts';
import { cliActor, meterDataOptions, positiveInt, type StoreOptions, withMeterData } from './bill.ts';

interface AccountOptions extends StoreOptions {
  account?: string;
  meter?: string;
}

/** Minor units as major-unit text: 12345 with 2 digits is 123.45. */
export function formatMoney(minor: number, digits: number): string {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  if (digits === 0) return `${sign}${abs}`;
  const s = String(abs).padStart(digits + 1, '0');
  return `${sign}${s.slice(0, -digits)}.${s.slice(-digits)}`;
}

/** Major-unit decimal text (at most `digits` decimals) as minor units: "150.5" with 2 digits is 15050. */
export function parseMoney(field: string, text: string, digits: number): number {
  const m = /^(\d{1,13})(?:\.(\d+))?$/.exec(text.trim());
  if (m === null) throw new Error(`${field} must be an amount such as 150 or 150.50 (got ${text})`);
  const frac = m[2] ?? '';
  if (frac.length > digits) {
    throw new Error(
      `${field} has more than ${digits} decimal place(s) (got ${text}; money has no fractions of a cent)`,
    );
  }
  return Number(m[1]) * 10 ** digits + Number(frac.padEnd(digits, '0') || '0');
}

function accountOptions(cmd: Command): Command {
  return meterDataOptions(
    cmd.option('--account <id>', 'prepayment account id').option('--meter <id>', "the meter's open account"),
  );
}

async function accountOf(md: MeterData, o: AccountOptions): Promise<PrepaymentAccount> {
  if (o.account !== undefined) return md.prepayment.account(positiveInt('--account', o.account));
  if (o.meter !== undefined) return md.prepayment.accountForMeter(positiveInt('--meter', o.meter));
  throw new Error('name the account: --account <id> or --meter <id>');
}

function describe(a: PrepaymentAccount): string[] {
  const money = (v: number) => `${formatMoney(v, a.minorDigits)} ${a.currency}`;
  const lines = [
    `account ${a.id} meter ${a.meterId}: balance ${money(a.balance)}${a.provisional ? ' (provisional)' : ''}`,
    `state ${a.state}${a.pending === null ? '' : ` — ${a.pending.kind} command ${a.pending.commandId} attempt ${a.pending.attempt}${a.pending.lastError === null ? '' : ` (last error: ${a.pending.lastError})`}`}`,
  ];
  if (a.heldUntil !== null)
    lines.push(`disconnection held (friendly hours) until ${new Date(a.heldUntil).toISOString()}`);
  if (a.emergencyOutstanding > 0) lines.push(`emergency credit outstanding ${money(a.emergencyOutstanding)}`);
  if (a.lastTopUp !== null && a.lastTopUpAt !== null)
    lines.push(`last top-up ${money(a.lastTopUp)} at ${new Date(a.lastTopUpAt).toISOString()}`);
  lines.push(`charged through ${new Date(a.chargedThrough).toISOString()}`);
  return lines;
}

function entryLine(e: LedgerEntry, digits: number): string {
  return [
    e.id,
    new Date(e.at).toISOString(),
    e.kind,
    formatMoney(e.amount, digits),
    formatMoney(e.balanceAfter, digits),
    e.ref ?? '',
    e.reason ?? '',
    e.actor,
  ].join('\t');
}

/** `hes prepay topup|balance|ledger`. */
export function registerPrepayCommands(program: Command, io: Io): void {
  const prepay = program.command('prepay').description('prepayment: top up, balance and state, ledger');

  accountOptions(
    prepay
      .command('topup')
      .description(
        'credit a payment, once per reference (a repeat credits nothing and shows the original); the running head end reconnects a disconnected meter whose balance turns positive',
      )
      .requiredOption('--amount <major>', 'amount in major units, e.g. 150 or 150.50')
      .requiredOption('--ref <reference>', 'payment reference (idempotency key)'),
  ).action(async (o: AccountOptions & { amount: string; ref: string }) =>
    withMeterData(io, o, async (md) => {
      const a = await accountOf(md, o);
      const amount = parseMoney('--amount', o.amount, a.minorDigits);
      const r = await md.ports.prepayment.topUp(
        { accountId: a.id, amount, reference: o.ref },
        { name: cliActor(o), address: 'cli', approver: false },
      );
      if (o.json) {
        io.out(JSON.stringify(r, null, 2));
        return;
      }
      io.out(
        r.duplicate
          ? `reference ${o.ref} was already credited (entry ${r.entry.id}, ${formatMoney(r.entry.amount, a.minorDigits)} ${a.currency}): nothing added`
          : `credited ${formatMoney(amount, a.minorDigits)} ${a.currency} (entry ${r.entry.id})`,
      );
      for (const l of describe(r.account)) io.out(l);
    }),
  );

  accountOptions(
    prepay.command('balance').description('balance, supply state (pending reconnect or disconnect), holds'),
  ).action(async (o: AccountOptions) =>
    withMeterData(io, o, async (md) => {
      const a = await accountOf(md, o);
      if (o.json) io.out(JSON.stringify(a, null, 2));
      else for (const l of describe(a)) io.out(l);
    }),
  );

  accountOptions(
    prepay
      .command('ledger')
      .description(
        'the ledger: every charge, top-up, adjustment and emergency credit with the running balance',
      )
      .option('--limit <n>', 'entries (default 50)', '50')
      .option('--order <asc|desc>', 'desc (default): newest first', 'desc'),
  ).action(async (o: AccountOptions & { limit: string; order: string }) =>
    withMeterData(io, o, async (md) => {
      const a = await accountOf(md, o);
      if (o.order !== 'asc' && o.order !== 'desc')
        throw new Error(`--order must be asc or desc (got ${o.order})`);
      const page = await md.prepayment.ledger({
        accountId: a.id,
        order: o.order,
        limit: positiveInt('--limit', o.limit),
      });
      if (o.json) {
        io.out(JSON.stringify(page, null, 2));
        return;
      }
      io.out(`account ${a.id} (${a.currency}): balance ${formatMoney(a.balance, a.minorDigits)}`);
      io.out('id\tat\tkind\tamount\tbalance\tref\treason\tactor');
      for (const e of page.items) io.out(entryLine(e, a.minorDigits));
      if (page.nextCursor !== null) io.out(`(more: raise --limit)`);
    }),
  );
}
