import type { DecimalString, Instant, Store, TariffInput } from '@openhes/core';
import { CompiledTariff } from '../billing/tariff.ts';
import { PrepaymentError } from './errors.ts';

/**
 * The price of energy for one interval of one meter, in major units per kWh, taxes included
 * (a decimal string, e.g. "0.1234"). `period` names the TOU period it came from.
 */
export interface IntervalPrice {
  rate: DecimalString;
  period?: string;
}

/**
 * The pricing port the engine charges with: the price of the interval [from, to) of a meter.
 * `tariffPriceFor` prices at the meter's billing tariff; `flatPriceFor` at one rate (tests).
 */
export type PriceFor = (
  meterId: number,
  interval: { from: Instant; to: Instant },
) => Promise<IntervalPrice> | IntervalPrice;

const DECIMAL = /^\d{1,15}(\.\d{1,12})?$/;

/** A non-negative decimal as digits and scale (value = n / 10^scale). */
export function parseRate(field: string, v: unknown): { n: bigint; scale: number } {
  if (typeof v !== 'string' || !DECIMAL.test(v)) {
    throw PrepaymentError.invalid(
      field,
      `must be a non-negative decimal string like "0.1234" (got ${JSON.stringify(v)})`,
    );
  }
  const [int, frac = ''] = v.split('.');
  return { n: BigInt(`${int}${frac}`), scale: frac.length };
}

/**
 * Exact money of consumption: a cost in minor units scaled by 10^EXACT_SCALE, summed over
 * intervals without rounding. The ledger charges round(cumulative) − round(previous
 * cumulative), so the sum of all charges is the exact cost rounded once (to the cent).
 */
export const EXACT_SCALE = 24;

const pow10 = (k: number) => 10n ** BigInt(k);

/** Exact cost (minor units × 10^EXACT_SCALE) of `milliWh` at `rate` per kWh. */
export function exactCost(milliWh: number, rate: { n: bigint; scale: number }, minorDigits: number): bigint {
  // milliWh / 10^6 kWh × rate.n / 10^rate.scale × 10^minorDigits, scaled by 10^EXACT_SCALE.
  return BigInt(milliWh) * rate.n * pow10(minorDigits + EXACT_SCALE - 6 - rate.scale);
}

/** An exact cost rounded half away from zero to whole minor units. */
export function roundExact(exact: bigint): number {
  const den = pow10(EXACT_SCALE);
  const neg = exact < 0n;
  const a = neg ? -exact : exact;
  const q = a / den;
  const up = (a % den) * 2n >= den ? q + 1n : q;
  return Number(neg ? -up : up);
}

/** One rate for every meter and interval. */
export function flatPriceFor(rate: DecimalString): PriceFor {
  parseRate('rate', rate);
  return () => ({ rate });
}

/** `rate × (1 + Σ pct / 100)` as an exact decimal string. */
export function withTaxes(rate: DecimalString, taxPcts: readonly DecimalString[]): DecimalString {
  if (taxPcts.length === 0) return rate;
  const r = parseRate('rate', rate);
  const taxes = taxPcts.map((p, i) => parseRate(`taxes[${i}].ratePct`, p));
  const ts = Math.max(0, ...taxes.map((t) => t.scale));
  // factor = (100 × 10^ts + Σ pct scaled to ts) / (100 × 10^ts)
  const num = taxes.reduce((s, t) => s + t.n * pow10(ts - t.scale), 100n * pow10(ts));
  const scale = r.scale + ts + 2;
  const digits = (r.n * num).toString().padStart(scale + 1, '0');
  const out = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return out.replace(/0+$/, '').replace(/\.$/, '');
}

/** The import rate of the period in force at `at`, with the taxes that apply to energy. */
export function tariffRateAt(tariff: CompiledTariff, at: Instant): IntervalPrice {
  const t: TariffInput = tariff.tariff;
  const p = t.periods[tariff.periodIndexAt(at)];
  if (p === undefined) throw PrepaymentError.invalid('tariff', `tariff ${t.id} has no period at ${at}`);
  const taxes = t.taxes.filter((x) => x.appliesTo === undefined || x.appliesTo.includes('energy'));
  return {
    rate: withTaxes(
      p.importRate,
      taxes.map((x) => x.ratePct),
    ),
    period: p.id,
  };
}

/**
 * Prices at the meter's billing tariff (`Meter.tariff`, newest revision in store.billing):
 * the import rate of the TOU period in force at the interval's start, energy taxes included.
 * Fixed and demand charges are billing's, not prepayment's. Compiled tariffs are cached for
 * `cacheMs` (default 60 s) so a tariff change reaches prepayment within that time.
 */
export function tariffPriceFor(store: Pick<Store, 'meters' | 'billing'>, cacheMs = 60_000): PriceFor {
  const meters = new Map<number, { at: number; tariff: CompiledTariff }>();
  return async (meterId, interval) => {
    const now = Date.now();
    let hit = meters.get(meterId);
    if (hit === undefined || now - hit.at > cacheMs) {
      const meter = await store.meters.get(meterId);
      if (meter === null) throw PrepaymentError.notFound('meter', { meterId });
      if (meter.tariff === null) {
        throw PrepaymentError.invalid('tariff', `meter ${meterId} has no tariff to charge prepayment at`, {
          meterId,
        });
      }
      const t = await store.billing.tariff(meter.tariff);
      if (t === null) throw PrepaymentError.notFound('tariff', { meterId, tariff: meter.tariff });
      hit = { at: now, tariff: new CompiledTariff(t) };
      meters.set(meterId, hit);
    }
    return tariffRateAt(hit.tariff, interval.from);
  };
}
