import type { Instant } from '@openhes/core';

export const iso = (t: Instant): string => new Date(t).toISOString();
export const isoOrNull = (t: Instant | null): string | null => (t === null ? null : iso(t));

/** Parses an ISO 8601 query value already checked by the schema. */
export const instant = (s: string): Instant => Date.parse(s);
export const instantOr = (s: string | undefined): Instant | undefined =>
  s === undefined ? undefined : Date.parse(s);
