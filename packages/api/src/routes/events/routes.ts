import { EventCategory, type MeterEvent } from '@openhes/core';
import { Type } from 'typebox';
import type { Api, ApiContext } from '../../context.ts';
import { presentEvent } from '../../presenters/records.ts';
import { queryRange } from '../../presenters/time.ts';
import { Cursor, DateTime, Limit, Order, PageOf, replies, Timestamp } from '../common/schema.ts';

export const EventQuery = Type.Object(
  {
    meterId: Type.Optional(Type.Integer({ minimum: 1 })),
    category: Type.Optional(Type.Union(Object.values(EventCategory).map((c) => Type.Literal(c)))),
    from: Type.Optional(DateTime),
    to: Type.Optional(DateTime),
    order: Type.Optional(Order),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const Event = Type.Object({
  id: Type.Integer(),
  meterId: Type.Integer(),
  ts: Timestamp,
  meterTime: Timestamp,
  log: Type.String({ description: 'OBIS code of the event log' }),
  code: Type.Integer(),
  text: Type.Union([Type.String(), Type.Null()], {
    description: "What the code means in the meter's device profile; null when the profile does not say",
  }),
  category: Type.String(),
  receivedAt: Timestamp,
});

/** The device profiles' texts for a page of events (one meter lookup per meter on the page). */
async function textsOf(ctx: ApiContext, events: readonly MeterEvent[]): Promise<(string | null)[]> {
  const lookup = ctx.eventText;
  if (lookup === undefined) return events.map(() => null);
  const ids = [...new Set(events.map((e) => e.meterId))];
  const meters = await Promise.all(ids.map((id) => ctx.store.meters.get(id)));
  const profileOf = new Map(ids.map((id, i) => [id, meters[i]?.deviceProfile]));
  return events.map((e) => {
    const profile = profileOf.get(e.meterId);
    return profile === undefined ? null : (lookup(profile, e.log, e.code) ?? null);
  });
}

export function eventRoutes(app: Api, ctx: ApiContext): void {
  app.get(
    '/events',
    {
      schema: {
        operationId: 'listEvents',
        tags: ['events'],
        summary: 'Meter events with from <= ts < to, oldest first (order=desc: newest first)',
        description:
          "Each event carries its numeric code and the text the meter's device profile gives it. `to` before `from` is refused.",
        querystring: EventQuery,
        response: replies(200, PageOf(Event)),
      },
    },
    async (req) => {
      const q = req.query;
      const page = await ctx.store.events.list({
        ...(q.meterId === undefined ? {} : { meterId: q.meterId }),
        ...(q.category === undefined ? {} : { category: q.category }),
        ...queryRange(q.from, q.to),
        ...(q.order === undefined ? {} : { order: q.order }),
        ...(q.limit === undefined ? {} : { limit: q.limit }),
        ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
      });
      const texts = await textsOf(ctx, page.items);
      return {
        items: page.items.map((e, i) => presentEvent(e, texts[i] ?? null)),
        nextCursor: page.nextCursor,
      };
    },
  );
}
