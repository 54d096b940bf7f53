import { VeeResolution, VeeRule } from '@openhes/core';
import { Type } from 'typebox';
import { Cursor, DateTime, Limit, NullableString, PageOf, Timestamp } from '../common/schema.ts';
import { DAY_PATTERN } from './port.ts';

const literals = (values: readonly string[], description: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    { description: `${description}: ${values.join(', ')}` },
  );

export const RuleEnum = literals(Object.values(VeeRule), 'Validation rule');
export const ResolutionEnum = literals(Object.values(VeeResolution), 'How the exception was closed');
export const StatusEnum = literals(['open', 'resolved'], 'Exception status');
export const ViewEnum = literals(
  ['raw', 'validated'],
  'raw: the values as first read (no estimates, no edits); validated (default): the current values with estimates and edits, each marked, and the findings over them',
);
export const Day = Type.String({ pattern: DAY_PATTERN, description: 'Customer-local day YYYY-MM-DD' });

export const SeriesQuery = Type.Object(
  { from: DateTime, to: DateTime, view: Type.Optional(ViewEnum) },
  { additionalProperties: false },
);

export const SeriesPoint = Type.Object({
  ts: Timestamp,
  value: Type.Union([Type.Number(), Type.Null()], { description: 'null: an explicit gap (no value yet)' }),
  version: Type.Union([Type.Integer(), Type.Null()]),
  quality: Type.Integer({
    description: 'Bit set: 1 validated, 2 estimated, 4 edited, 8 suspect; 0 raw or gap',
  }),
  codes: Type.Array(Type.String(), {
    description:
      'IEC 61968-9 reading-quality codes, the value’s state first (3.0.1 validated, 3.8.0 estimated, 3.7.0 edited, 3.5.259 known missing read …), then the findings',
  }),
  gap: Type.Boolean(),
  estimated: Type.Boolean({ description: 'An estimate: always marked, never shown as a read' }),
  edited: Type.Boolean(),
  method: Type.Union([Type.String(), Type.Null()], { description: 'Estimation method of an estimate' }),
  rules: Type.Array(Type.String(), { description: 'Rules of open exceptions over this interval' }),
});

export const SeriesReply = Type.Object({
  channelId: Type.Integer(),
  view: Type.String(),
  unit: Type.String(),
  points: Type.Array(SeriesPoint),
  gaps: Type.Integer({ description: 'Points without a value' }),
  estimated: Type.Integer({ description: 'Points holding an estimate' }),
});

export const ExceptionQuery = Type.Object(
  {
    meterId: Type.Optional(Type.Integer({ minimum: 1 })),
    channelId: Type.Optional(Type.Integer({ minimum: 1 })),
    rule: Type.Optional(RuleEnum),
    status: Type.Optional(StatusEnum),
    groupId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    from: Type.Optional(DateTime),
    to: Type.Optional(DateTime),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const VeeExceptionSchema = Type.Object({
  id: Type.Integer(),
  meterId: Type.Integer(),
  channelId: Type.Integer(),
  rule: Type.String(),
  from: Timestamp,
  to: Timestamp,
  day: Type.String(),
  groupId: Type.String(),
  qualityCode: Type.String(),
  detail: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  status: Type.String(),
  resolution: NullableString,
  note: NullableString,
  resolvedBy: NullableString,
  resolvedAt: Type.Union([Timestamp, Type.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const ExceptionPage = PageOf(VeeExceptionSchema);

export const ResolveBody = Type.Object(
  {
    resolution: ResolutionEnum,
    note: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);

export const SummaryQuery = Type.Object(
  {
    fromDay: Day,
    toDay: Day,
    meterId: Type.Optional(Type.Integer({ minimum: 1 })),
    channelId: Type.Optional(Type.Integer({ minimum: 1 })),
    groupId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const DaySummary = Type.Object({
  meterId: Type.Integer(),
  channelId: Type.Integer(),
  groupId: Type.String(),
  day: Type.String(),
  dayStart: Timestamp,
  dayEnd: Timestamp,
  expected: Type.Integer({ description: '92 / 96 / 100 for 15 minutes on DST days' }),
  actual: Type.Integer(),
  estimated: Type.Integer(),
  edited: Type.Integer(),
  missing: Type.Integer({ description: 'Explicit gaps still without a value' }),
  suspect: Type.Integer(),
  exceptions: Type.Integer(),
  validated: Type.Integer(),
  validatedByDay1: Type.Integer(),
  validatedByDay2: Type.Integer(),
  validatedByFinal: Type.Integer(),
  firstRunAt: Timestamp,
  lastRunAt: Timestamp,
});

export const SummaryPage = PageOf(DaySummary);

export const TimelinessQuery = Type.Object(
  {
    fromDay: Day,
    toDay: Day,
    groupId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

const Share = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]);

export const TimelinessRow = Type.Object({
  groupId: Type.Union([Type.String(), Type.Null()], { description: 'null: the whole fleet' }),
  fromDay: Type.String(),
  toDay: Type.String(),
  days: Type.Integer(),
  channels: Type.Integer(),
  expected: Type.Integer(),
  validatedByDay1: Type.Integer(),
  validatedByDay2: Type.Integer(),
  validatedByFinal: Type.Integer(),
  shareByDay1: Share,
  shareByDay2: Share,
  shareByFinal: Share,
});

export const TimelinessReply = Type.Object({ items: Type.Array(TimelinessRow) });

export const EditBody = Type.Object(
  {
    ts: DateTime,
    value: Type.Number(),
    reason: Type.String({ minLength: 1, maxLength: 1000, description: 'Why (required, audited)' }),
  },
  { additionalProperties: false },
);

export const EditReply = Type.Object({
  edit: Type.Object({
    id: Type.Integer(),
    meterId: Type.Integer(),
    channelId: Type.Integer(),
    ts: Timestamp,
    oldValue: Type.Union([Type.Number(), Type.Null()]),
    newValue: Type.Number(),
    version: Type.Integer(),
    reason: Type.String(),
    actor: Type.String(),
    at: Timestamp,
  }),
});

export const RunBody = Type.Object(
  {
    from: DateTime,
    to: DateTime,
    meterIds: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 10_000 })),
  },
  { additionalProperties: false },
);

export const RunReply = Type.Object({
  meters: Type.Integer(),
  channels: Type.Integer(),
  slots: Type.Integer(),
  values: Type.Integer(),
  gaps: Type.Integer(),
  estimated: Type.Integer(),
  lateReal: Type.Integer(),
  exceptionsOpened: Type.Integer(),
  exceptionsCleared: Type.Integer(),
  byRule: Type.Record(Type.String(), Type.Integer()),
});
