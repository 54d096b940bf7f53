import { type Instant, parseInstantText } from '@openhes/core';
import { ApiError, ApiErrorCode } from '../errors.ts';

export const iso = (t: Instant): string => new Date(t).toISOString();
export const isoOrNull = (t: Instant | null): string | null => (t === null ? null : iso(t));

/**
 * Parses an instant already checked by the schema (common/schema.ts DateTime): a date-time
 * with Z or an offset, or a date alone (00:00 UTC). `field` names it if it still fails.
 */
export const instant = (s: string, field = 'time'): Instant => parseInstantText(field, s);
export const instantOr = (s: string | undefined, field = 'time'): Instant | undefined =>
  s === undefined ? undefined : instant(s, field);

/**
 * An optional query range [from, to) as instants; `to` before `from` is refused as the
 * readings routes refuse it (400 naming the field).
 */
export function queryRange(
  from: string | undefined,
  to: string | undefined,
): { from?: Instant; to?: Instant } {
  const r = {
    ...(from === undefined ? {} : { from: instant(from, 'querystring/from') }),
    ...(to === undefined ? {} : { to: instant(to, 'querystring/to') }),
  };
  if (r.from !== undefined && r.to !== undefined) refuseBackwards(r.from, r.to);
  return r;
}

/** 400 naming `to` when a range runs backwards. */
export function refuseBackwards(from: Instant, to: Instant): void {
  if (to >= from) return;
  throw new ApiError(400, ApiErrorCode.ValidationFailed, 'querystring/to must not be before from', {
    errors: [{ field: 'querystring/to', message: 'must not be before from' }],
  });
}
