import { MeterStatus } from '@openhes/core';
import { Type } from 'typebox';
import { PlanReadKind } from '../../plans.ts';
import { DateTime } from '../common/schema.ts';

const CRON_FIELD = '[0-9*/,\\-A-Za-z?LW#]+';

export const PlanBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    schedule: Type.String({
      pattern: `^${CRON_FIELD}( ${CRON_FIELD}){4,5}$`,
      description: 'Cron expression, 5 or 6 fields, UTC (e.g. "*/15 * * * *")',
    }),
    reads: Type.Array(Type.Union(Object.values(PlanReadKind).map((k) => Type.Literal(k))), {
      minItems: 1,
      uniqueItems: true,
    }),
    target: Type.Object(
      {
        status: Type.Optional(Type.Union(Object.values(MeterStatus).map((s) => Type.Literal(s)))),
        underNode: Type.Optional(Type.Integer({ minimum: 1 })),
        meterIds: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 100_000 })),
      },
      { additionalProperties: false },
    ),
    enabled: Type.Boolean(),
  },
  { additionalProperties: false },
);

export const Plan = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  schedule: Type.String(),
  reads: Type.Array(Type.String()),
  target: Type.Object({
    status: Type.Optional(Type.String()),
    underNode: Type.Optional(Type.Integer()),
    meterIds: Type.Optional(Type.Array(Type.Integer())),
  }),
  enabled: Type.Boolean(),
  createdAt: DateTime,
  updatedAt: DateTime,
});
