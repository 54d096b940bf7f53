import { Role } from '@openhes/core';
import { Type } from 'typebox';
import { MIN_PASSWORD_LENGTH } from '../../auth/passwords.ts';
import { Cursor, DateTime, Limit, NullableDateTime } from '../common/schema.ts';

export const RoleSchema = Type.Union(Object.values(Role).map((r) => Type.Literal(r)));

export const PageQuery = Type.Object(
  { limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
);

export const NewUserBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._@-]+$' }),
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    role: RoleSchema,
    password: Type.Optional(
      Type.String({
        minLength: MIN_PASSWORD_LENGTH,
        maxLength: 1024,
        description: 'Omit for token-only principals',
      }),
    ),
  },
  { additionalProperties: false },
);

export const UserPatch = Type.Object(
  {
    disabled: Type.Optional(Type.Boolean({ description: 'A disabled user’s tokens stop working' })),
    role: Type.Optional(RoleSchema),
    approver: Type.Optional(
      Type.Boolean({ description: "The approver right: may approve another user's command or campaign" }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const PasswordResetBody = Type.Object(
  {
    password: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1024,
        writeOnly: true,
        description: `The new password (at least ${MIN_PASSWORD_LENGTH} characters); omit for a generated one-time password`,
      }),
    ),
  },
  { additionalProperties: false },
);

export const PasswordResetReply = Type.Object({
  userId: Type.Integer(),
  name: Type.String(),
  oneTimePassword: Type.Union([Type.String(), Type.Null()], {
    description: 'The generated password, shown in this answer only; null when the request gave one',
  }),
  sessionsRevoked: Type.Integer({ description: "The user's login sessions ended by the reset" }),
});

export const User = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  displayName: Type.String(),
  role: Type.String(),
  disabled: Type.Boolean(),
  approver: Type.Boolean(),
  hasPassword: Type.Boolean(),
  createdAt: DateTime,
});

export const NewTokenBody = Type.Object(
  {
    userId: Type.Integer({ minimum: 1 }),
    name: Type.String({ minLength: 1, maxLength: 128 }),
    expiresAt: Type.Optional(DateTime),
  },
  { additionalProperties: false },
);

export const Token = Type.Object({
  id: Type.Integer(),
  userId: Type.Integer(),
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  createdAt: DateTime,
  expiresAt: NullableDateTime,
  revokedAt: NullableDateTime,
});

export const CreatedToken = Type.Intersect([
  Token,
  Type.Object({ token: Type.String({ description: 'Bearer secret; shown once, stored only as a hash' }) }),
]);

export const AuditQuery = Type.Object(
  {
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    target: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    from: Type.Optional(DateTime),
    to: Type.Optional(DateTime),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: DateTime,
  actor: Type.String(),
  action: Type.String(),
  target: Type.String(),
  outcome: Type.String(),
  detail: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
});
