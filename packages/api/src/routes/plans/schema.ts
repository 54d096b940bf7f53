import { READ_KINDS } from '@openhes/core';
import { Type } from 'typebox';
import { Timestamp } from '../common/schema.ts';

const CRON_FIELD = '[0-9*/,\\-A-Za-z?LW#]+';

export const SELECTION_RULE =
  'The criteria given combine with AND (a meter must match every one); a list matches any of its values (OR). ' +
  '{"profiles": ["a"], "ids": [5]} reads meter 5 only if its profile is a; to read the meters of profile a and ' +
  'meter 5, make two plans. Only active meters are read.';

const Selector = Type.Object(
  {
    profiles: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
        minItems: 1,
        maxItems: 100,
        description: 'Device profile ids: a meter of any of them (each must be a known profile)',
      }),
    ),
    ids: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1 }), {
        minItems: 1,
        maxItems: 100_000,
        description: 'Meter ids: any of them (each must be a stored meter that is not decommissioned)',
      }),
    ),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description: `Selected meters. ${SELECTION_RULE}`,
  },
);

const Meters = Type.Union([Type.Literal('all'), Selector], {
  description: `"all": every active meter; or a selector. ${SELECTION_RULE}`,
});

export const PlanBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    cron: Type.String({
      pattern: `^${CRON_FIELD}( ${CRON_FIELD}){4,5}$`,
      description:
        'Cron expression, UTC: 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, e.g. "*/15 * * * *". ' +
        'Values out of range (minute 99) are refused naming the field.',
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

export const Selection = Type.Object(
  {
    activeMeters: Type.Integer({ description: 'Active meters the plan selects now (what a run reads)' }),
    notes: Type.Array(Type.String(), {
      description: 'Why it reads fewer meters than may be meant: none selected, ids left out by the AND',
    }),
  },
  { description: 'What the plan selects at the time of the answer' },
);

export const Plan = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  cron: Type.String(),
  reads: Type.Array(Type.String()),
  meters: Meters,
  windowSeconds: Type.Integer(),
  enabled: Type.Boolean(),
  selection: Selection,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
