import { AggregateFn, Bucket } from '@openhes/core';
import { Type } from 'typebox';
import { Cursor, DateTime, Limit, PageOf } from '../common/schema.ts';

export const SeriesQuery = Type.Object(
  {
    from: DateTime,
    to: DateTime,
    versions: Type.Optional(Type.Union([Type.Literal('latest'), Type.Literal('all')])),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const AggregateQuery = Type.Object(
  {
    from: DateTime,
    to: DateTime,
    bucket: Type.Union(Object.values(Bucket).map((b) => Type.Literal(b))),
    fn: Type.Union(Object.values(AggregateFn).map((f) => Type.Literal(f))),
  },
  { additionalProperties: false },
);

export const Reading = Type.Object({
  ts: DateTime,
  value: Type.Number(),
  quality: Type.Integer({ description: 'Bit set: 1 validated, 2 estimated, 4 edited, 8 suspect; 0 raw' }),
  reasons: Type.Array(Type.String()),
  source: Type.String(),
  version: Type.Integer(),
  receivedAt: DateTime,
});

export const SeriesReply = Type.Intersect([Type.Object({ channelId: Type.Integer() }), PageOf(Reading)]);

export const AggregateReply = Type.Object({
  channelId: Type.Integer(),
  bucket: Type.String(),
  fn: Type.String(),
  points: Type.Array(Type.Object({ bucketStart: DateTime, value: Type.Number(), count: Type.Integer() })),
});
