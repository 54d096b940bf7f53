import type { Api, ApiContext } from '../../context.ts';
import { notFound } from '../../errors.ts';
import { presentPoint, presentReading } from '../../presenters/records.ts';
import { instant, refuseBackwards } from '../../presenters/time.ts';
import { IdParams, replies } from '../common/schema.ts';
import { AGGREGATE_DESCRIPTION, AggregateQuery, AggregateReply, SeriesQuery, SeriesReply } from './schema.ts';

function range(from: string, to: string): { from: number; to: number } {
  const r = { from: instant(from, 'querystring/from'), to: instant(to, 'querystring/to') };
  refuseBackwards(r.from, r.to);
  return r;
}

export function readingRoutes(app: Api, ctx: ApiContext): void {
  const { store } = ctx;
  const channelOr404 = async (id: number) => {
    const c = await store.channels.get(id);
    if (!c) throw notFound(`channel ${id}`);
    return c;
  };

  app.get(
    '/channels/:id/readings',
    {
      schema: {
        operationId: 'readingSeries',
        tags: ['readings'],
        summary: 'Raw readings with from <= ts < to, newest version per instant unless versions=all',
        params: IdParams,
        querystring: SeriesQuery,
        response: replies(200, SeriesReply),
      },
    },
    async (req) => {
      const { id } = req.params;
      const q = req.query;
      const r = range(q.from, q.to);
      await channelOr404(id);
      const page = await store.readings.series({
        channelId: id,
        ...r,
        ...(q.versions === undefined ? {} : { versions: q.versions }),
        ...(q.limit === undefined ? {} : { limit: q.limit }),
        ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
      });
      return { channelId: id, items: page.items.map(presentReading), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/channels/:id/readings/aggregate',
    {
      schema: {
        operationId: 'readingAggregate',
        tags: ['readings'],
        summary: 'UTC buckets (15m, hour, day, month) starting in [from, to)',
        description: AGGREGATE_DESCRIPTION,
        params: IdParams,
        querystring: AggregateQuery,
        response: replies(200, AggregateReply),
      },
    },
    async (req) => {
      const { id } = req.params;
      const channel = await channelOr404(id);
      const { bucket, fn } = req.query;
      const points = await store.readings.aggregate({
        channelId: id,
        bucket,
        fn,
        ...range(req.query.from, req.query.to),
      });
      return {
        channelId: id,
        bucket,
        fn,
        unit: channel.unit,
        points: points.map((p) => ({
          ...presentPoint(p, bucket, fn, channel.scaler),
          estimated: p.estimated ?? 0,
        })),
      };
    },
  );
}
