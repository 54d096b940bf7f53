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
    firmwareVersion: NullableString,
    tags: Type.Array(Type.String()),
    segment: NullableString,
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
    firmwareVersion: Type.Optional(text(128)),
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Meters carrying this tag' })),
    segment: Type.Optional(text(128)),
    search: Type.Optional(
      Type.String({ minLength: 1, maxLength: 128, description: 'Case-insensitive substring of the serial' }),
    ),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

const Tags = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 32, uniqueItems: true });
const secret = (description: string) =>
  Type.Optional(Type.String({ minLength: 1, maxLength: 256, writeOnly: true, description }));

/**
 * One row of a meter list, as the one importer (core `importMeters`) takes it from the API and
 * from `hes meters import`: the registry's fields, or the simulator's export columns
 * (`host, port, framing, serverAddress, profile, loadClass, systemTitle`, keys), or both.
 * Unknown columns are refused by the importer with the column named.
 */
export const ImportRow = Type.Object(
  {
    serial: text(128),
    manufacturer: Type.Optional(text()),
    model: Type.Optional(text()),
    deviceProfile: Type.Optional(text()),
    protocol: Type.Optional(
      Type.String({ description: 'dlms-tcp (default), dlms-udp or dlms-hdlc: the protocols with a driver' }),
    ),
    address: Type.Optional(text()),
    keyRefs: Type.Optional(KeyRefs),
    status: Type.Optional(
      Type.String({
        description:
          'Status of a created meter: active (default, read by the plans), registered, commissioned or suspended',
      }),
    ),
    customerClass: Type.Optional(Customer),
    tariff: Type.Optional(Type.Union([text(), Type.Null()])),
    paymentMode: Type.Optional(Payment),
    servicePointId: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    sectionId: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    firmwareVersion: Type.Optional(text(128)),
    tags: Type.Optional(Tags),
    segment: Type.Optional(text(128)),
    host: Type.Optional(text()),
    port: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 65_535 }), Type.String()])),
    framing: Type.Optional(Type.String({ description: 'wrapper (dlms-tcp) or hdlc (dlms-hdlc)' })),
    serverAddress: Type.Optional(Type.Union([Type.Integer(), Type.String()])),
    profile: Type.Optional(text()),
    loadClass: Type.Optional(Customer),
    systemTitle: Type.Optional(Type.String({ description: '8 bytes of hex' })),
    password: secret('LLS password; stored encrypted at once, never returned'),
    ek: secret('Global unicast encryption key, 16 bytes of hex; stored encrypted at once, never returned'),
    ak: secret('Authentication key, 16 bytes of hex; stored encrypted at once, never returned'),
    kek: secret('Master key (KEK), 16 bytes of hex; stored encrypted at once, never returned'),
  },
  { additionalProperties: true },
);

export const ImportBody = Type.Array(ImportRow, { minItems: 1, maxItems: 100_000 });

export const ImportCsv = Type.String({
  minLength: 1,
  description:
    "CSV with a header row naming ImportRow columns: the registry's fields or the simulator's export (hes simulate --export); tags separated by ;",
});

export const ImportReply = Type.Object({
  created: Type.Integer(),
  keysStored: Type.Integer({ description: 'Keys and passwords stored encrypted (never returned)' }),
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
    protocol: Type.Optional(
      Type.String({ minLength: 1, maxLength: 32, description: 'dlms-tcp, dlms-udp or dlms-hdlc' }),
    ),
    address: Type.Optional(text()),
    keyRefs: Type.Optional(KeyRefs),
    customerClass: Type.Optional(Customer),
    tariff: Type.Optional(Type.Union([text(), Type.Null()])),
    paymentMode: Type.Optional(Payment),
    servicePointId: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    sectionId: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    firmwareVersion: Type.Optional(Type.Union([text(128), Type.Null()])),
    tags: Type.Optional(Tags),
    segment: Type.Optional(Type.Union([text(128), Type.Null()])),
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

export const RemoveReply = Type.Object({
  id: Type.Integer(),
  serial: Type.String(),
  removed: Type.Literal(true),
});
