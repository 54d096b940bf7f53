import { BillFlag } from '@openhes/core';
import { Type } from 'typebox';
import { Cursor, Limit, NullableString, PageOf, Timestamp } from '../common/schema.ts';

const literals = (values: readonly string[], description: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    { description: `${description}: ${values.join(', ')}` },
  );

export const CYCLE_PATTERN = '^\\d{4}-(0[1-9]|1[0-2])$';
export const Cycle = Type.String({
  pattern: CYCLE_PATTERN,
  description: 'Billing cycle YYYY-MM',
  example: '2026-11',
});
const TariffId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'Tariff code' });

export const TARIFF_EXAMPLE = {
  id: 'TOU-R1',
  name: 'Residential time of use',
  currency: 'EUR',
  minorDigits: 2,
  timeZone: 'Europe/Berlin',
  dayTypes: ['workday', 'weekend'],
  week: ['workday', 'workday', 'workday', 'workday', 'workday', 'weekend', 'weekend'],
  specialDays: [{ date: '12-25', dayType: 'weekend', name: 'Christmas' }],
  seasons: [
    {
      id: 'all-year',
      start: '01-01',
      days: [
        {
          dayType: 'workday',
          ranges: [
            { start: '00:00', end: '07:00', period: 'off-peak' },
            { start: '07:00', end: '22:00', period: 'peak' },
            { start: '22:00', end: '24:00', period: 'off-peak' },
          ],
        },
        { dayType: 'weekend', ranges: [{ start: '00:00', end: '24:00', period: 'off-peak' }] },
      ],
    },
  ],
  periods: [
    { id: 'peak', importRate: '0.3412', exportRate: '0.08', meterRate: 1 },
    { id: 'off-peak', importRate: '0.2210', exportRate: '0.08', meterRate: 2 },
  ],
  fixedCharges: [{ id: 'service', amount: '0.45', per: 'day' }],
  demandCharges: [],
  netMetering: 'separate',
  taxes: [{ id: 'vat', ratePct: '19' }],
};

export const TariffBody = Type.Record(Type.String(), Type.Unknown(), {
  description: [
    'A tariff as data: time-of-use periods by season × day type × time ranges (each day type of each season covers 00:00–24:00 exactly once), special days, rates per period (decimal text, major units per kWh), fixed charges (per cycle or day), demand charges (per kW of the highest interval demand), net metering (none, separate, netted) and taxes (percent).',
    'A fault is refused with 400 naming its place (`detail.field`, e.g. `seasons[0].days[1].ranges[2]`): overlapping or missing hours, unknown day types or periods, negative or absurd prices, bad dates or zones.',
  ].join(' '),
  example: TARIFF_EXAMPLE,
});

export const TariffSchema = Type.Record(Type.String(), Type.Unknown(), {
  description: 'The stored tariff (the input plus revision, retired, createdBy, createdAt)',
});

export const TariffList = Type.Object({ items: Type.Array(TariffSchema) });

export const TariffIdParams = Type.Object({ id: TariffId });

export const TariffListQuery = Type.Object(
  { includeRetired: Type.Optional(Type.Boolean({ description: 'List retired tariffs too' })) },
  { additionalProperties: false },
);

export const TariffGetQuery = Type.Object(
  { revision: Type.Optional(Type.Integer({ minimum: 1 })) },
  { additionalProperties: false },
);

export const RunBody = Type.Object(
  {
    cycle: Cycle,
    group: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'One billing group (default all)' }),
    ),
    meterIds: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 100_000 })),
    rebill: Type.Optional(
      Type.Boolean({
        description:
          'Default true: a meter whose data or tariff changed since its bill gets a new version showing the difference',
      }),
    ),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    final: Type.Optional(
      Type.Boolean({
        description:
          'The cycle’s final run: the billed values become final (estimates and edits refused from then on, 409)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const RunReply = Type.Object({
  cycle: Type.String(),
  groups: Type.Array(Type.String()),
  meters: Type.Integer(),
  created: Type.Integer(),
  rebilled: Type.Integer(),
  unchanged: Type.Integer(),
  estimated: Type.Integer({ description: 'Bills flagged estimated (never silent)' }),
  noData: Type.Integer({ description: 'Bills of a cycle without data: estimated and flagged no-data' }),
  registerMismatches: Type.Integer(),
  skipped: Type.Array(Type.Object({ meterId: Type.Integer(), reason: Type.String() })),
  failed: Type.Array(Type.Object({ meterId: Type.Integer(), code: Type.String(), message: Type.String() })),
  billIds: Type.Array(Type.Integer()),
});

export const BillListQuery = Type.Object(
  {
    cycle: Type.Optional(Cycle),
    meterId: Type.Optional(Type.Integer({ minimum: 1 })),
    groupId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    estimated: Type.Optional(Type.Boolean()),
    latestOnly: Type.Optional(Type.Boolean({ description: 'Default true: the newest version of each bill' })),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const ExportQuery = Type.Object(
  {
    format: Type.Optional(literals(['csv', 'json'], 'Export format (default csv)')),
    cycle: Type.Optional(Cycle),
    meterId: Type.Optional(Type.Integer({ minimum: 1 })),
    groupId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    estimated: Type.Optional(Type.Boolean()),
    latestOnly: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const BillLine = Type.Object({
  kind: Type.String(),
  code: Type.String(),
  description: Type.String(),
  quantity: Type.String(),
  unit: Type.String(),
  rate: Type.String(),
  amount: Type.Integer({ description: 'Minor units (negative for credits)' }),
});

export const BillSchema = Type.Object({
  id: Type.Integer(),
  meterId: Type.Integer(),
  cycle: Type.String(),
  version: Type.Integer(),
  groupId: Type.String(),
  from: Timestamp,
  to: Timestamp,
  tariffId: Type.String(),
  tariffRevision: Type.Integer(),
  currency: Type.String(),
  minorDigits: Type.Integer(),
  lines: Type.Array(BillLine),
  subtotal: Type.Integer(),
  tax: Type.Integer(),
  total: Type.Integer({ description: 'Minor units' }),
  estimated: Type.Boolean({ description: 'Some intervals were estimated or missing, or no data at all' }),
  flags: Type.Array(Type.String({ description: `Flag: ${Object.values(BillFlag).join(', ')}` })),
  determinants: Type.Record(Type.String(), Type.Unknown()),
  dataVersion: Type.String(),
  difference: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
    description: 'A rebill: the differences against the version it replaces',
  }),
  createdBy: Type.String(),
  reason: NullableString,
  createdAt: Timestamp,
});

export const BillPage = PageOf(BillSchema);
export const BillVersions = Type.Object({ items: Type.Array(BillSchema) });
export const VersionsQuery = Type.Object({ cycle: Cycle }, { additionalProperties: false });
export const GroupList = Type.Object({ items: Type.Array(Type.Record(Type.String(), Type.Unknown())) });
