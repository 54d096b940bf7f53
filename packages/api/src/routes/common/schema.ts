import { INSTANT_TEXT_PATTERN } from '@openhes/core';
import { type TSchema, Type } from 'typebox';

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable machine-readable code' }),
      message: Type.String(),
      detail: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
  { title: 'Error' },
);

/**
 * An instant as requests give it: an ISO 8601 date-time with `Z` or an offset (`+05:30`; in a
 * URL query an unescaped `+` arrives as a space and is taken as `+`) or a date alone (00:00
 * UTC). Parse it with presenters/time.ts `instant` (core's parseInstantText), never Date.parse.
 */
export const DateTime = Type.String({
  pattern: INSTANT_TEXT_PATTERN,
  maxLength: 64,
  description:
    'ISO 8601 date-time with Z or an offset (2025-01-31T15:30:00+05:30), or a date (2025-01-31 = 00:00 UTC)',
  example: '2025-01-31T15:30:00+05:30',
});
/** An instant as answers give it: ISO 8601, UTC, milliseconds. */
export const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601 instant, UTC' });
/** Order of a time-ordered list. */
export const Order = Type.Union([Type.Literal('asc'), Type.Literal('desc')], {
  description: 'asc: oldest first (default); desc: newest first. A cursor continues in its own order.',
});
export const NullableDateTime = Type.Union([DateTime, Type.Null()]);
export const NullableString = Type.Union([Type.String(), Type.Null()]);
export const NullableInteger = Type.Union([Type.Integer(), Type.Null()]);

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });

export const Limit = Type.Integer({ minimum: 1, maximum: 10_000, description: 'Page size (default 500)' });
export const Cursor = Type.String({
  minLength: 1,
  maxLength: 1024,
  description: 'Opaque cursor from nextCursor',
});

export function PageOf<T extends TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'null on the last page' }),
  });
}

/** Success schema plus the error envelope for every 4xx/5xx answer. */
export function replies<T extends TSchema>(status: 200 | 201, ok: T) {
  return { [status]: ok, '4xx': ErrorResponse, '5xx': ErrorResponse } as const;
}

export const NoContent = Type.Null({ description: 'No content' });
