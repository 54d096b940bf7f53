import { CustomerClass, MeterProtocol, MeterStatus, PaymentMode } from '@openhes/core';
import { Type } from 'typebox';
import { Cursor, DateTime, Limit, NullableInteger, NullableString, PageOf } from '../common/schema.ts';

const literals = <T extends string>(values: Record<string, T>) =>
  Type.Union(Object.values(values).map((v) => Type.Literal(v)));

export const Status = literals(MeterStatus);
export const Protocol = literals(MeterProtocol);
export const Customer = literals(CustomerClass);
export const Payment = literals(PaymentMode);

const KeyRefs = Type.Object(
  {
    guek: Type.Optional(Type.String({ maxLength: 256 })),
    gbek: Type.Optional(Type.String({ maxLength: 256 })),
    gak: Type.Optional(Type.String({ maxLength: 256 })),
    kek: Type.Optional(Type.String({ maxLength: 256 })),
    'hls-secret': Type.Optional(Type.String({ maxLength: 256 })),
    'lls-password': Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);

const text = (max = 256) => Type.String({ minLength: 1, maxLength: max });

export const Meter = Type.Object(
  {
    id: Type.Integer(),
    serial: Type.String(),
    manufacturer: Type.String(),
    model: Type.String(),
    deviceProfile: Type.String(),
    protocol: Type.String(),
    address: Type.String(),
    keyRefs: Type.Record(Type.String(), Type.String()),
    status: Type.String(),
    customerClass: Type.String(),
    tariff: NullableString,
    paymentMode: Type.String(),
    servicePointId: NullableInteger,
    sectionId: NullableInteger,
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { title: 'Meter' },
);

export const MeterPage = PageOf(Meter);

export const MeterListQuery = Type.Object(
  {
    status: Type.Optional(Status),
    underNode: Type.Optional(Type.Integer({ minimum: 1, description: 'Topology node id' })),
    serial: Type.Optional(text(128)),
    manufacturer: Type.Optional(text()),
    model: Type.Optional(text()),
    protocol: Type.Optional(Protocol),
    deviceProfile: Type.Optional(text()),
    customerClass: Type.Optional(Customer),
    search: Type.Optional(
      Type.String({ minLength: 1, maxLength: 128, description: 'Case-insensitive substring of the serial' }),
    ),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const NewMeter = Type.Object(
  {
    serial: text(128),
    manufacturer: text(),
    model: text(),
    deviceProfile: text(),
    protocol: Protocol,
    address: text(),
    keyRefs: Type.Optional(KeyRefs),
    status: Type.Optional(Status),
    customerClass: Type.Optional(Customer),
    tariff: Type.Optional(Type.Union([text(), Type.Null()])),
    paymentMode: Type.Optional(Payment),
    servicePointId: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    sectionId: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
  },
  { additionalProperties: false },
);

export const ImportBody = Type.Array(NewMeter, { minItems: 1, maxItems: 100_000 });

export const ImportCsv = Type.String({
  minLength: 1,
  description:
    'CSV with a header row naming NewMeter fields (serial, manufacturer, model, deviceProfile, protocol, address, …)',
});

export const ImportReply = Type.Object({
  created: Type.Integer(),
  existing: Type.Integer({
    description: 'Rows whose serial is already registered: updated from the row (status unchanged)',
  }),
  failed: Type.Array(
    Type.Object({
      row: Type.Integer({ description: 'Data row, from 1 (the CSV header is not counted)' }),
      line: Type.Integer({ description: 'Source line where the row starts (CSV); the row number for JSON' }),
      field: Type.Optional(Type.String({ description: 'The offending column, when one is to blame' })),
      code: Type.String(),
      message: Type.String(),
    }),
  ),
  ids: Type.Array(Type.Integer(), { description: 'Ids of created meters, in row order' }),
});

export const MeterPatch = Type.Object(
  {
    manufacturer: Type.Optional(text()),
    model: Type.Optional(text()),
    deviceProfile: Type.Optional(text()),
    protocol: Type.Optional(Protocol),
    address: Type.Optional(text()),
    keyRefs: Type.Optional(KeyRefs),
    customerClass: Type.Optional(Customer),
    tariff: Type.Optional(Type.Union([text(), Type.Null()])),
    paymentMode: Type.Optional(Payment),
    servicePointId: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    sectionId: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const Channel = Type.Object({
  id: Type.Integer(),
  meterId: Type.Integer(),
  obis: Type.String(),
  attribute: Type.Integer(),
  kind: Type.String(),
  unit: Type.String(),
  scaler: Type.Integer(),
  intervalSeconds: NullableInteger,
});

export const ReadNowQuery = Type.Object(
  {
    reads: Type.Optional(
      Type.String({
        pattern:
          '^(registers|instantaneous|block|daily|billing|events)(,(registers|instantaneous|block|daily|billing|events))*$',
        description: 'Comma-separated read kinds; default: what the meter profile reads on demand',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ReadNowReply = Type.Object({
  meterId: Type.Integer(),
  status: Type.String(),
  errorCode: NullableString,
  readingsStored: Type.Integer(),
  eventsStored: Type.Integer(),
  durationMs: Type.Number(),
});
