import type { BillLine, BillLineKind, Determinants, TariffInput, TaxBase } from '@openhes/core';
import { formatScaled, parseDecimal, priceMinor, toSafe, trimDecimal } from './decimal.ts';

/**
 * Pricing of determinants at a tariff. Rounding rules (the only ones):
 * - each line is computed exactly (BigInt) from its quantity and its decimal price and rounded
 *   once, half away from zero, to the currency's minor unit;
 * - energy quantities are whole mWh (kWh with 6 decimals), demand whole mW (kW with 6
 *   decimals), days whole days;
 * - a tax line is its percent of the sum of the already rounded lines it applies to, rounded
 *   the same way; the subtotal is the sum of the non-tax lines, the total the sum of all lines.
 */
export interface Priced {
  lines: BillLine[];
  subtotal: number;
  tax: number;
  total: number;
}

const KIND_BASE: Readonly<Record<BillLineKind, TaxBase | null>> = {
  energy: 'energy',
  'export-credit': 'energy',
  fixed: 'fixed',
  demand: 'demand',
  tax: null,
};

const kWh = (milliWh: number) => trimDecimal(formatScaled(milliWh, 6));

export function priceDeterminants(t: TariffInput, d: Determinants, days: number): Priced {
  const lines: BillLine[] = [];
  const md = t.minorDigits;
  const energy = (code: string, period: string, qMilliWh: number, rate: string, credit: boolean) => {
    const name = t.periods.find((p) => p.id === period)?.name ?? period;
    const amount = toSafe(code, priceMinor(BigInt(qMilliWh), 6, parseDecimal(code, rate), md));
    lines.push({
      kind: credit ? 'export-credit' : 'energy',
      code,
      description: credit ? `Export credit ${name}` : `Energy ${name}`,
      quantity: kWh(qMilliWh),
      unit: 'kWh',
      rate,
      amount: credit ? -amount : amount,
    });
  };
  for (const p of t.periods) {
    const pd = d.periods.find((x) => x.period === p.id);
    const imp = pd?.importMilliWh ?? 0;
    const exp = pd?.exportMilliWh ?? 0;
    const exportRate = p.exportRate ?? '0';
    if (t.netMetering === 'netted') {
      const net = imp - exp;
      if (net >= 0) energy(`energy:${p.id}`, p.id, net, p.importRate, false);
      else energy(`export:${p.id}`, p.id, -net, exportRate, true);
    } else {
      energy(`energy:${p.id}`, p.id, imp, p.importRate, false);
      if (t.netMetering === 'separate') energy(`export:${p.id}`, p.id, exp, exportRate, true);
    }
  }
  for (const c of t.fixedCharges) {
    const qty = c.per === 'day' ? days : 1;
    const code = `fixed:${c.id}`;
    lines.push({
      kind: 'fixed',
      code,
      description: c.name ?? c.id,
      quantity: String(qty),
      unit: c.per,
      rate: c.amount,
      amount: toSafe(code, priceMinor(BigInt(qty), 0, parseDecimal(code, c.amount), md)),
    });
  }
  for (const c of t.demandCharges) {
    let max = 0;
    for (const pd of d.periods) {
      if (c.periods !== undefined && !c.periods.includes(pd.period)) continue;
      if (pd.maxDemandMilliW !== null && pd.maxDemandMilliW > max) max = pd.maxDemandMilliW;
    }
    const code = `demand:${c.id}`;
    lines.push({
      kind: 'demand',
      code,
      description: c.name ?? c.id,
      quantity: trimDecimal(formatScaled(max, 6)),
      unit: 'kW',
      rate: c.rate,
      amount: toSafe(code, priceMinor(BigInt(max), 6, parseDecimal(code, c.rate), md)),
    });
  }
  const subtotal = lines.reduce((s, l) => s + l.amount, 0);
  let tax = 0;
  for (const x of t.taxes) {
    const bases = x.appliesTo ?? ['energy', 'fixed', 'demand'];
    const base = lines.reduce((s, l) => {
      const b = KIND_BASE[l.kind];
      return b !== null && bases.includes(b) ? s + l.amount : s;
    }, 0);
    const code = `tax:${x.id}`;
    // base is in minor units: percent / 100 → scale 2 more.
    const amount = toSafe(code, priceMinor(BigInt(base), 2, parseDecimal(code, x.ratePct), 0));
    lines.push({
      kind: 'tax',
      code,
      description: x.name ?? x.id,
      quantity: formatScaled(base, md),
      unit: t.currency,
      rate: x.ratePct,
      amount,
    });
    tax += amount;
  }
  return { lines, subtotal, tax, total: subtotal + tax };
}
