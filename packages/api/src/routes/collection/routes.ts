import { CollectionStatus } from '@openhes/core';
import { Type } from 'typebox';
import type { Api, ApiContext } from '../../context.ts';
import { presentOutcome } from '../../presenters/records.ts';
import { iso, queryRange, refuseBackwards } from '../../presenters/time.ts';
import { Cursor, DateTime, Limit, Order, PageOf, replies, Timestamp } from '../common/schema.ts';
import { successRate } from './commands.ts';

const OutcomeQuery = Type.Object(
  {
    meterId: Type.Optional(Type.Integer({ minimum: 1 })),
    taskId: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    status: Type.Optional(Type.Union(Object.values(CollectionStatus).map((s) => Type.Literal(s)))),
    from: Type.Optional(DateTime),
    to: Type.Optional(DateTime),
    order: Type.Optional(Order),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

const Outcome = Type.Object({
  meterId: Type.Integer(),
  taskId: Type.String(),
  startedAt: Timestamp,
  finishedAt: Timestamp,
  status: Type.String(),
  errorCode: Type.Union([Type.String(), Type.Null()]),
  readingsStored: Type.Integer(),
  attempt: Type.Integer(),
});

const RateQuery = Type.Object(
  {
    from: Type.Optional(DateTime),
    to: Type.Optional(DateTime),
  },
  { additionalProperties: false },
);

const Rate = Type.Object({
  from: Timestamp,
  to: Timestamp,
  outcomes: Type.Integer(),
  byStatus: Type.Object({
    success: Type.Integer(),
    partial: Type.Integer(),
    failed: Type.Integer(),
    skipped: Type.Integer(),
  }),
  rate: Type.Union([Type.Number(), Type.Null()]),
  metersAttempted: Type.Integer(),
  metersRead: Type.Integer(),
  meterRate: Type.Union([Type.Number(), Type.Null()]),
  truncated: Type.Boolean(),
});

export function collectionRoutes(app: Api, ctx: ApiContext): void {
  app.get(
    '/collection/outcomes',
    {
      schema: {
        operationId: 'listCollectionOutcomes',
        tags: ['acquisition'],
        summary: 'Collection outcomes with from <= startedAt < to, oldest first (order=desc: newest first)',
        querystring: OutcomeQuery,
        response: replies(200, PageOf(Outcome)),
      },
    },
    async (req) => {
      const q = req.query;
      const page = await ctx.store.collection.list({
        ...(q.meterId === undefined ? {} : { meterId: q.meterId }),
        ...(q.taskId === undefined ? {} : { taskId: q.taskId }),
        ...(q.status === undefined ? {} : { status: q.status }),
        ...queryRange(q.from, q.to),
        ...(q.order === undefined ? {} : { order: q.order }),
        ...(q.limit === undefined ? {} : { limit: q.limit }),
        ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
      });
      return { items: page.items.map(presentOutcome), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/collection/success-rate',
    {
      schema: {
        operationId: 'fleetSuccessRate',
        tags: ['acquisition'],
        summary: "The fleet's read success rate over outcomes started in [from, to)",
        description: '`to` defaults to now, `from` to 24 h before `to`.',
        querystring: RateQuery,
        response: replies(200, Rate),
      },
    },
    async (req) => {
      const given = queryRange(req.query.from, req.query.to);
      const to = given.to ?? ctx.clock.now();
      const from = given.from ?? to - 86_400_000;
      refuseBackwards(from, to);
      return { from: iso(from), to: iso(to), ...(await successRate(ctx.store.collection, from, to)) };
    },
  );
}
