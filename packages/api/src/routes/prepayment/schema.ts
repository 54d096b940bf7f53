import { AccountState, LedgerKind } from '@openhes/core';
import { Type } from 'typebox';
import { Cursor, DateTime, Limit, NullableString, Order, PageOf, Timestamp } from '../common/schema.ts';

const literals = (values: readonly string[], description: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    { description: `${description}: ${values.join(', ')}` },
  );

export const StateEnum = literals(Object.values(AccountState), 'Supply state');
export const KindEnum = literals(Object.values(LedgerKind), 'Ledger entry kind');

/** Minor units (cents): money never travels as a float. */
const Minor = (description: string) =>
  Type.Integer({ minimum: -1_000_000_000_000, maximum: 1_000_000_000_000, description });

export const AccountListQuery = Type.Object(
  {
    state: Type.Optional(StateEnum),
    meterId: Type.Optional(Type.Integer({ minimum: 1 })),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const NewAccountBody = Type.Object(
  {
    meterId: Type.Integer({ minimum: 1 }),
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code', example: 'INR' }),
    minorDigits: Type.Optional(Type.Integer({ minimum: 0, maximum: 4, description: 'Default 2' })),
    chargeFrom: Type.Optional(DateTime),
    settings: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description:
          'Overrides of the engine settings: alertThresholdsPct (default 30, 10, 0), emergencyCreditAmount, emergencyCreditThreshold, emergencyCreditAuto, friendly {timeZone, windows [{start, end}], weekdays, holidays}, maxTopUp, reconnectMinimum, disconnectAttempts, retryDelayMs',
      }),
    ),
  },
  { additionalProperties: false },
);

const Pending = Type.Union([
  Type.Object({
    kind: Type.String({ description: 'connect or disconnect' }),
    commandId: Type.Integer(),
    attempt: Type.Integer(),
    requestedAt: Timestamp,
    retryAt: Type.Union([Timestamp, Type.Null()]),
    lastError: NullableString,
  }),
  Type.Null(),
]);

export const AccountSchema = Type.Object({
  id: Type.Integer(),
  meterId: Type.Integer(),
  currency: Type.String(),
  minorDigits: Type.Integer(),
  balance: Minor('Sum of the ledger (minor units)'),
  state: Type.String({ description: `Supply state: ${Object.values(AccountState).join(', ')}` }),
  reconnectPending: Type.Boolean({
    description: 'A reconnect is requested and not yet confirmed by the meter',
  }),
  disconnectPending: Type.Boolean(),
  pending: Pending,
  heldUntil: Type.Union([Timestamp, Type.Null()], {
    description: 'Balance at zero inside friendly hours: disconnection held until then',
  }),
  lastTopUp: Type.Union([Type.Integer(), Type.Null()]),
  lastTopUpAt: Type.Union([Timestamp, Type.Null()]),
  alertsSent: Type.Array(Type.Number()),
  emergencyOutstanding: Type.Integer(),
  chargedThrough: Timestamp,
  provisional: Type.Boolean({ description: 'Charges include estimates, or data stopped' }),
  settings: Type.Record(Type.String(), Type.Unknown()),
  createdBy: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const AccountPage = PageOf(AccountSchema);

export const TopUpBody = Type.Object(
  {
    amount: Type.Integer({ minimum: 1, maximum: 1_000_000_000_000, description: 'Minor units, > 0' }),
    reference: Type.String({
      minLength: 1,
      maxLength: 128,
      description: 'Payment reference: a repeat credits nothing and answers the original top-up',
    }),
    note: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const AdjustmentBody = Type.Object(
  {
    amount: Type.Integer({
      minimum: -1_000_000_000_000,
      maximum: 1_000_000_000_000,
      description: 'Minor units, either sign, not 0',
    }),
    reason: Type.String({ minLength: 1, maxLength: 500, description: 'Why (required, audited)' }),
  },
  { additionalProperties: false },
);

export const EntrySchema = Type.Object({
  id: Type.Integer(),
  accountId: Type.Integer(),
  kind: Type.String(),
  amount: Minor('Minor units'),
  ref: NullableString,
  reason: NullableString,
  actor: Type.String(),
  detail: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  balanceAfter: Minor('Balance right after this entry'),
  at: Timestamp,
});

export const PostReply = Type.Object({
  entry: EntrySchema,
  account: AccountSchema,
  duplicate: Type.Boolean({ description: 'The reference was already credited: nothing was added' }),
});

export const LedgerQuery = Type.Object(
  {
    kind: Type.Optional(KindEnum),
    order: Type.Optional(Order),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const LedgerPage = PageOf(EntrySchema);
