import { DEFAULT_PREPAYMENT_SETTINGS, type PrepaymentSettings } from '@openhes/core';
import { validateFriendlyCalendar } from './calendar.ts';
import { PrepaymentError } from './errors.ts';

/** Largest amount anything may be set to (minor units): 10^12, far beyond any real account. */
export const MAX_AMOUNT = 1_000_000_000_000;

const KEYS = new Set(Object.keys(DEFAULT_PREPAYMENT_SETTINGS));

function amount(field: string, v: unknown, min = 0): number {
  if (!Number.isSafeInteger(v) || (v as number) < min || (v as number) > MAX_AMOUNT) {
    throw PrepaymentError.invalid(field, `must be an integer amount in minor units, ${min}..${MAX_AMOUNT}`);
  }
  return v as number;
}

/**
 * Checks settings (a patch over `base`, default DEFAULT_PREPAYMENT_SETTINGS) and returns the
 * whole set. Unknown keys are refused, each error names its field (`settings.maxTopUp`).
 */
export function validatePrepaymentSettings(
  patch: unknown,
  base: PrepaymentSettings = DEFAULT_PREPAYMENT_SETTINGS,
): PrepaymentSettings {
  if (patch === undefined || patch === null) return { ...base };
  if (typeof patch !== 'object' || Array.isArray(patch))
    throw PrepaymentError.invalid('settings', 'must be an object');
  const p = patch as Record<string, unknown>;
  for (const k of Object.keys(p)) {
    if (!KEYS.has(k))
      throw PrepaymentError.invalid(`settings.${k}`, `unknown setting (known: ${[...KEYS].join(', ')})`);
  }
  const s: PrepaymentSettings = { ...base };
  if (p.alertThresholdsPct !== undefined) {
    const v = p.alertThresholdsPct;
    if (!Array.isArray(v) || v.length > 9) {
      throw PrepaymentError.invalid('settings.alertThresholdsPct', 'must be a list of at most 9 percents');
    }
    v.forEach((x, i) => {
      if (typeof x !== 'number' || !Number.isFinite(x) || x < 0 || x > 100) {
        throw PrepaymentError.invalid(`settings.alertThresholdsPct[${i}]`, 'must be a percent 0..100');
      }
    });
    s.alertThresholdsPct = [...new Set(v as number[])].sort((a, b) => b - a);
  }
  if (p.emergencyCreditAmount !== undefined) {
    s.emergencyCreditAmount = amount('settings.emergencyCreditAmount', p.emergencyCreditAmount);
  }
  if (p.emergencyCreditThreshold !== undefined) {
    s.emergencyCreditThreshold = amount('settings.emergencyCreditThreshold', p.emergencyCreditThreshold);
  }
  if (p.emergencyCreditAuto !== undefined) {
    if (typeof p.emergencyCreditAuto !== 'boolean') {
      throw PrepaymentError.invalid('settings.emergencyCreditAuto', 'must be true or false');
    }
    s.emergencyCreditAuto = p.emergencyCreditAuto;
  }
  if (p.friendly !== undefined) s.friendly = validateFriendlyCalendar(p.friendly, 'settings.friendly');
  if (p.maxTopUp !== undefined) s.maxTopUp = amount('settings.maxTopUp', p.maxTopUp, 1);
  if (p.reconnectMinimum !== undefined)
    s.reconnectMinimum = amount('settings.reconnectMinimum', p.reconnectMinimum);
  if (p.disconnectAttempts !== undefined) {
    const v = p.disconnectAttempts;
    if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 100) {
      throw PrepaymentError.invalid('settings.disconnectAttempts', 'must be an integer 1..100');
    }
    s.disconnectAttempts = v as number;
  }
  if (p.retryDelayMs !== undefined) {
    const v = p.retryDelayMs;
    if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 86_400_000) {
      throw PrepaymentError.invalid('settings.retryDelayMs', 'must be an integer 0..86400000 (ms)');
    }
    s.retryDelayMs = v as number;
  }
  return s;
}
