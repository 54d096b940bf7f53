import { hashPassword, verifyPassword } from '../../auth/passwords.ts';
import { hashToken, newTokenSecret } from '../../auth/tokens.ts';
import type { Api, ApiContext } from '../../context.ts';
import { ApiError, ApiErrorCode } from '../../errors.ts';
import { iso } from '../../presenters/time.ts';
import { NoContent, replies } from '../common/schema.ts';
import { checkPassword, revokeSessions } from '../users/accounts.ts';
import { LoginBody, LoginReply, Me, PasswordChangeBody, PasswordChangeReply } from './schema.ts';

export function authRoutes(app: Api, ctx: ApiContext): void {
  app.post(
    '/auth/login',
    {
      schema: {
        operationId: 'login',
        tags: ['auth'],
        summary: 'Exchange a username and password for a bearer token',
        security: [],
        body: LoginBody,
        response: replies(200, LoginReply),
      },
    },
    async (req, reply) => {
      const { username, password } = req.body;
      req.audit.actor = username;
      req.audit.target = `user:${username}`;
      const wait = ctx.limiter.check(username, req.ip).retryAfterMs;
      if (wait > 0) {
        reply.header('retry-after', String(Math.ceil(wait / 1000)));
        throw new ApiError(429, ApiErrorCode.RateLimited, 'too many failed logins; try again later', {
          retryAfterSeconds: Math.ceil(wait / 1000),
        });
      }
      const user = await ctx.store.users.getByName(username);
      const ok = await verifyPassword(user?.passwordHash ?? null, password);
      if (!user || !ok || user.disabled) {
        ctx.limiter.failed(username, req.ip);
        throw new ApiError(401, ApiErrorCode.InvalidCredentials, 'unknown user or wrong password');
      }
      ctx.limiter.succeeded(username, req.ip);
      const secret = newTokenSecret();
      const expiresAt = ctx.clock.now() + ctx.sessionTtlMs;
      const token = await ctx.store.tokens.create({
        userId: user.id,
        name: 'login',
        tokenHash: hashToken(secret),
        scopes: ['session'],
        expiresAt,
      });
      req.audit.detail = { tokenId: token.id };
      return {
        token: secret,
        tokenType: 'Bearer' as const,
        expiresAt: iso(expiresAt),
        user: { userId: user.id, name: user.name, role: user.role, tokenId: token.id },
      };
    },
  );

  app.post(
    '/auth/logout',
    {
      schema: {
        operationId: 'logout',
        tags: ['auth'],
        summary: 'Revoke the token used for this request',
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      const p = req.principal!;
      req.audit.target = `token:${p.tokenId}`;
      await ctx.store.tokens.revoke(p.tokenId);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/auth/password',
    {
      schema: {
        operationId: 'changePassword',
        tags: ['auth'],
        summary:
          'Change your own password (the current one and a new one of at least 12 characters); your other login sessions end',
        body: PasswordChangeBody,
        response: replies(200, PasswordChangeReply),
      },
    },
    async (req) => {
      const p = req.principal!;
      const { currentPassword, newPassword } = req.body;
      req.audit.target = `user:${p.userId}`;
      // Guessing the current password here counts as failed logins (the same limiter).
      const wait = ctx.limiter.check(p.name, req.ip).retryAfterMs;
      if (wait > 0)
        throw new ApiError(429, ApiErrorCode.RateLimited, 'too many failed attempts; try again later', {
          retryAfterSeconds: Math.ceil(wait / 1000),
        });
      const user = await ctx.store.users.get(p.userId);
      if (user === null || user.passwordHash === null)
        throw new ApiError(
          409,
          ApiErrorCode.Conflict,
          `user ${p.name} has no password (token-only principal)`,
        );
      if (!(await verifyPassword(user.passwordHash, currentPassword))) {
        ctx.limiter.failed(p.name, req.ip);
        throw new ApiError(403, ApiErrorCode.InvalidCredentials, 'currentPassword: wrong password', {
          field: 'currentPassword',
        });
      }
      checkPassword('newPassword', newPassword);
      if (newPassword === currentPassword)
        throw new ApiError(
          400,
          ApiErrorCode.ValidationFailed,
          'newPassword: must differ from the current one',
          {
            field: 'newPassword',
            reason: 'PASSWORD_POLICY',
          },
        );
      await ctx.store.users.setPasswordHash(user.id, await hashPassword(newPassword));
      const sessionsRevoked = await revokeSessions(ctx.store.tokens, user.id, p.tokenId);
      req.audit.detail = { sessionsRevoked };
      return { userId: user.id, sessionsRevoked };
    },
  );

  app.get(
    '/auth/me',
    {
      schema: {
        operationId: 'me',
        tags: ['auth'],
        summary: 'Who the token belongs to',
        response: replies(200, Me),
      },
    },
    async (req) => req.principal!,
  );
}
