import { AggregateFn, Bucket } from '@openhes/core';
import { Type } from 'typebox';
import { Cursor, DateTime, Limit, PageOf, Timestamp } from '../common/schema.ts';

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
  ts: Timestamp,
  value: Type.Number({
    description: 'In the channel’s unit, without floating-point noise (15 significant digits)',
  }),
  quality: Type.Integer({ description: 'Bit set: 1 validated, 2 estimated, 4 edited, 8 suspect; 0 raw' }),
  reasons: Type.Array(Type.String()),
  source: Type.String(),
  version: Type.Integer(),
  receivedAt: Timestamp,
});

export const SeriesReply = Type.Intersect([Type.Object({ channelId: Type.Integer() }), PageOf(Reading)]);

export const AGGREGATE_DESCRIPTION = [
  'Buckets are UTC; one point per bucket that holds readings, for buckets starting in [from, to).',
  '',
  '**Interval-ending convention.** Readings are stamped with the end of the interval they',
  'measure (the energy of 00:00–00:15 is at 00:15), so the bucket [bucketStart, bucketEnd) holds',
  'the readings with bucketStart < ts <= bucketEnd: the reading at 00:00 belongs to the previous',
  'day, the one at 24:00 to this day.',
  '',
  '**Rounding.** sum, min and max are given at the channel’s resolution (10^scaler of the channel,',
  'e.g. 0.1 V); avg with three more decimal places (249.825 V, never 249.82500000000002).',
  '',
  '**Estimates.** The value includes estimated readings (VEE fills gaps with estimates as new',
  'versions); `estimated` gives per point how many of its `count` readings are estimates.',
].join('\n');

export const AggregateReply = Type.Object({
  channelId: Type.Integer(),
  bucket: Type.String(),
  fn: Type.String(),
  unit: Type.String({ description: 'Unit of the values (the channel’s)' }),
  points: Type.Array(
    Type.Object({
      bucketStart: Timestamp,
      bucketEnd: Timestamp,
      value: Type.Number({
        description: 'sum/min/max at the channel’s resolution, avg with three more decimal places',
      }),
      count: Type.Integer({ description: 'Readings in the bucket' }),
      estimated: Type.Integer({
        description:
          'How many of the bucket’s readings are estimates (current version flagged estimated, quality bit 2): ' +
          'the value includes them; 0 when all are real',
      }),
    }),
  ),
});
