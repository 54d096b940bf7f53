import { READ_KINDS } from '@openhes/core';
import { Type } from 'typebox';
import { DateTime } from '../common/schema.ts';

const CRON_FIELD = '[0-9*/,\\-A-Za-z?LW#]+';

const Meters = Type.Union(
  [
    Type.Literal('all'),
    Type.Object(
      {
        profiles: Type.Optional(
          Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { minItems: 1, maxItems: 100 }),
        ),
        ids: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 100_000 })),
      },
      { additionalProperties: false },
    ),
  ],
  { description: '"all", or the meters of these device profiles and/or with these ids' },
);

export const PlanBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    cron: Type.String({
      pattern: `^${CRON_FIELD}( ${CRON_FIELD}){4,5}$`,
      description: 'Cron expression, 5 or 6 fields, UTC (e.g. "*/15 * * * *")',
    }),
    reads: Type.Array(Type.Union(READ_KINDS.map((k) => Type.Literal(k))), {
      minItems: 1,
      uniqueItems: true,
    }),
    meters: Meters,
    windowSeconds: Type.Integer({
      minimum: 0,
      maximum: 86_400,
      description: 'Each run is spread over this many seconds, each meter at a stable offset',
    }),
    enabled: Type.Boolean(),
  },
  { additionalProperties: false },
);

export const Plan = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  cron: Type.String(),
  reads: Type.Array(Type.String()),
  meters: Meters,
  windowSeconds: Type.Integer(),
  enabled: Type.Boolean(),
  createdAt: DateTime,
  updatedAt: DateTime,
});
