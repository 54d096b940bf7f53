import { Type } from 'typebox';
import { DateTime } from '../common/schema.ts';

export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 128 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

export const Me = Type.Object({
  userId: Type.Integer(),
  name: Type.String(),
  role: Type.String(),
  tokenId: Type.Integer(),
});

export const LoginReply = Type.Object({
  token: Type.String({ description: 'Bearer secret; shown once' }),
  tokenType: Type.Literal('Bearer'),
  expiresAt: DateTime,
  user: Me,
});

export const PasswordChangeBody = Type.Object(
  {
    currentPassword: Type.String({ minLength: 1, maxLength: 1024, writeOnly: true }),
    newPassword: Type.String({
      minLength: 1,
      maxLength: 1024,
      writeOnly: true,
      description: 'At least 12 characters',
    }),
  },
  { additionalProperties: false },
);

export const PasswordChangeReply = Type.Object({
  userId: Type.Integer(),
  sessionsRevoked: Type.Integer({ description: 'Your other login sessions, ended by the change' }),
});
