import { BillingError } from './errors.ts';

/**
 * Exact decimal arithmetic for money: decimal strings are parsed into a BigInt and a scale,
 * products are formed exactly and rounded once, half away from zero, to an integer. No float
 * ever carries money.
 */
export interface Scaled {
  /** The digits as an integer: value = n / 10^scale. */
  n: bigint;
  scale: number;
}

const DECIMAL = /^-?\d{1,15}(\.\d{1,12})?$/;

export function isDecimal(v: unknown): v is string {
  return typeof v === 'string' && DECIMAL.test(v);
}

/** Parses a decimal string; throws a BillingError naming `field` when it is not one. */
export function parseDecimal(field: string, v: unknown): Scaled {
  if (!isDecimal(v)) {
    throw BillingError.invalid(field, `must be a decimal string like "0.1234" (got ${JSON.stringify(v)})`);
  }
  const neg = v.startsWith('-');
  const [int, frac = ''] = (neg ? v.slice(1) : v).split('.');
  const n = BigInt(`${int}${frac}`);
  return { n: neg ? -n : n, scale: frac.length };
}

export const pow10 = (k: number): bigint => 10n ** BigInt(k);

/** num / den rounded half away from zero (den > 0). */
export function roundDiv(num: bigint, den: bigint): bigint {
  const neg = num < 0n;
  const a = neg ? -num : num;
  const q = a / den;
  const r = a % den;
  const up = r * 2n >= den ? q + 1n : q;
  return neg ? -up : up;
}

/** `n / 10^scale` as a decimal string with exactly `scale` fraction digits. */
export function formatScaled(n: bigint | number, scale: number): string {
  const v = BigInt(n);
  const neg = v < 0n;
  const s = (neg ? -v : v).toString().padStart(scale + 1, '0');
  const out = scale === 0 ? s : `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
  return neg ? `-${out}` : out;
}

/** A decimal string without trailing fraction zeros ("0.120" → "0.12", "5.000" → "5"). */
export function trimDecimal(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** A safe integer from a BigInt, or a BillingError naming `field`. */
export function toSafe(field: string, v: bigint): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw BillingError.invalid(field, `amount ${v} is out of range`);
  return n;
}

/**
 * Minor units of `quantity × price`, where quantity is `q / 10^qScale` and price a decimal
 * string in major units; one rounding, half away from zero.
 */
export function priceMinor(q: bigint, qScale: number, price: Scaled, minorDigits: number): bigint {
  return roundDiv(q * price.n * pow10(minorDigits), pow10(qScale + price.scale));
}
