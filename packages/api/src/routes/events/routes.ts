import { EventCategory } from '@openhes/core';
import { Type } from 'typebox';
import type { Api, ApiContext } from '../../context.ts';
import { presentEvent } from '../../presenters/records.ts';
import { instantOr } from '../../presenters/time.ts';
import { Cursor, DateTime, Limit, PageOf, replies } from '../common/schema.ts';

export const EventQuery = Type.Object(
  {
    meterId: Type.Optional(Type.Integer({ minimum: 1 })),
    category: Type.Optional(Type.Union(Object.values(EventCategory).map((c) => Type.Literal(c)))),
    from: Type.Optional(DateTime),
    to: Type.Optional(DateTime),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const Event = Type.Object({
  id: Type.Integer(),
  meterId: Type.Integer(),
  ts: DateTime,
  meterTime: DateTime,
  log: Type.String(),
  code: Type.Integer(),
  category: Type.String(),
  receivedAt: DateTime,
});

export function eventRoutes(app: Api, ctx: ApiContext): void {
  app.get(
    '/events',
    {
      schema: {
        operationId: 'listEvents',
        tags: ['events'],
        summary: 'Meter events in time order',
        querystring: EventQuery,
        response: replies(200, PageOf(Event)),
      },
    },
    async (req) => {
      const q = req.query;
      const page = await ctx.store.events.list({
        ...(q.meterId === undefined ? {} : { meterId: q.meterId }),
        ...(q.category === undefined ? {} : { category: q.category }),
        ...(q.from === undefined ? {} : { from: instantOr(q.from) }),
        ...(q.to === undefined ? {} : { to: instantOr(q.to) }),
        ...(q.limit === undefined ? {} : { limit: q.limit }),
        ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
      });
      return { items: page.items.map(presentEvent), nextCursor: page.nextCursor };
    },
  );
}
