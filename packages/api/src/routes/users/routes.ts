import type { User as UserRecord } from '@openhes/core';
import { hashPassword } from '../../auth/passwords.ts';
import { hashToken, newTokenSecret } from '../../auth/tokens.ts';
import type { Api, ApiContext } from '../../context.ts';
import { ApiError, ApiErrorCode, notFound } from '../../errors.ts';
import { presentAudit, presentToken, presentUser } from '../../presenters/records.ts';
import { instant, instantOr } from '../../presenters/time.ts';
import { IdParams, NoContent, PageOf, replies } from '../common/schema.ts';
import { checkPassword, enabledAdmins, resetPassword } from './accounts.ts';
import {
  AuditEntry,
  AuditQuery,
  CreatedToken,
  NewTokenBody,
  NewUserBody,
  PageQuery,
  PasswordResetBody,
  PasswordResetReply,
  Token,
  User,
  UserPatch,
} from './schema.ts';

const present = (u: UserRecord) => ({ ...presentUser(u), approver: u.approver });

const page = (q: { limit?: number; cursor?: string }) => ({
  ...(q.limit === undefined ? {} : { limit: q.limit }),
  ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
});

export function userRoutes(app: Api, ctx: ApiContext): void {
  const { store } = ctx;

  app.get(
    '/users',
    {
      schema: {
        operationId: 'listUsers',
        tags: ['admin'],
        querystring: PageQuery,
        response: replies(200, PageOf(User)),
      },
    },
    async (req) => {
      const p = await store.users.list(page(req.query));
      return { items: p.items.map(present), nextCursor: p.nextCursor };
    },
  );

  app.post(
    '/users',
    {
      schema: { operationId: 'createUser', tags: ['admin'], body: NewUserBody, response: replies(201, User) },
    },
    async (req, reply) => {
      const b = req.body;
      req.audit.target = `user:${b.name}`;
      req.audit.detail = { role: b.role };
      if (await store.users.getByName(b.name)) {
        throw new ApiError(409, ApiErrorCode.Conflict, `user ${b.name} exists`);
      }
      if (b.password !== undefined) checkPassword('password', b.password);
      const u = await store.users.create({
        name: b.name,
        displayName: b.displayName ?? b.name,
        role: b.role,
        passwordHash: b.password === undefined ? null : await hashPassword(b.password),
      });
      return reply.status(201).send(present(u));
    },
  );

  app.patch(
    '/users/:id',
    {
      schema: {
        operationId: 'updateUser',
        tags: ['admin'],
        summary:
          'Disable or re-enable a user (a disabled user’s tokens stop working), change the role, grant or withdraw the approver right; the last enabled admin stays one',
        params: IdParams,
        body: UserPatch,
        response: replies(200, User),
      },
    },
    async (req) => {
      const id = req.params.id;
      const b = req.body;
      req.audit.target = `user:${id}`;
      const user = await store.users.get(id);
      if (!user) throw notFound(`user ${id}`);
      req.audit.detail = {
        name: user.name,
        ...(b.disabled === undefined ? {} : { disabled: b.disabled }),
        ...(b.role === undefined ? {} : { role: { from: user.role, to: b.role } }),
        ...(b.approver === undefined ? {} : { approver: { from: user.approver, to: b.approver } }),
      };
      if (id === req.principal?.userId && b.disabled) {
        throw new ApiError(409, ApiErrorCode.Conflict, 'an administrator cannot disable their own user');
      }
      const losesAdmin =
        user.role === 'admin' && !user.disabled && (b.disabled === true || (b.role ?? 'admin') !== 'admin');
      if (losesAdmin) {
        const admins = await enabledAdmins(store.users);
        if (admins.every((a) => a.id === id)) {
          throw new ApiError(
            409,
            ApiErrorCode.Conflict,
            `user ${user.name} is the last enabled admin: make another user admin first`,
            { reason: 'LAST_ADMIN' },
          );
        }
      }
      let u = user;
      if (b.role !== undefined && b.role !== u.role) u = await store.users.setRole(id, b.role);
      if (b.approver !== undefined && b.approver !== u.approver)
        u = await store.users.setApprover(id, b.approver);
      if (b.disabled !== undefined && b.disabled !== u.disabled)
        u = await store.users.setDisabled(id, b.disabled);
      return present(u);
    },
  );

  app.post(
    '/users/:id/password',
    {
      schema: {
        operationId: 'resetUserPassword',
        tags: ['admin'],
        summary:
          "Set a user's password (the one given) or a generated one-time password returned once; ends the user's login sessions",
        params: IdParams,
        body: PasswordResetBody,
        response: replies(200, PasswordResetReply),
      },
      // No body at all asks for a generated password, as `{}` does.
      preValidation: async (req) => {
        req.body ??= {};
      },
    },
    async (req) => {
      const id = req.params.id;
      req.audit.target = `user:${id}`;
      const user = await store.users.get(id);
      if (!user) throw notFound(`user ${id}`);
      const r = await resetPassword(store, id, req.body?.password);
      // Never the password itself.
      req.audit.detail = {
        name: user.name,
        generated: r.generated !== null,
        sessionsRevoked: r.sessionsRevoked,
      };
      return {
        userId: id,
        name: user.name,
        oneTimePassword: r.generated,
        sessionsRevoked: r.sessionsRevoked,
      };
    },
  );

  app.get(
    '/users/:id/tokens',
    {
      schema: {
        operationId: 'listUserTokens',
        tags: ['admin'],
        params: IdParams,
        querystring: PageQuery,
        response: replies(200, PageOf(Token)),
      },
    },
    async (req) => {
      if (!(await store.users.get(req.params.id))) throw notFound(`user ${req.params.id}`);
      const p = await store.tokens.forUser(req.params.id, page(req.query));
      return { items: p.items.map(presentToken), nextCursor: p.nextCursor };
    },
  );

  app.post(
    '/tokens',
    {
      schema: {
        operationId: 'createToken',
        tags: ['admin'],
        summary: 'Issue an API token for a user; the secret is in this answer only',
        body: NewTokenBody,
        response: replies(201, CreatedToken),
      },
    },
    async (req, reply) => {
      const b = req.body;
      const user = await store.users.get(b.userId);
      if (!user) throw notFound(`user ${b.userId}`);
      const expiresAt = b.expiresAt === undefined ? null : instant(b.expiresAt);
      if (expiresAt !== null && expiresAt <= ctx.clock.now()) {
        throw new ApiError(400, ApiErrorCode.ValidationFailed, 'body/expiresAt must be in the future');
      }
      const secret = newTokenSecret();
      const t = await store.tokens.create({
        userId: user.id,
        name: b.name,
        tokenHash: hashToken(secret),
        scopes: ['api'],
        expiresAt,
      });
      req.audit.target = `token:${t.id}`;
      req.audit.detail = { userId: user.id, name: b.name };
      return reply.status(201).send({ ...presentToken(t), token: secret });
    },
  );

  app.delete(
    '/tokens/:id',
    {
      schema: { operationId: 'revokeToken', tags: ['admin'], params: IdParams, response: { 204: NoContent } },
    },
    async (req, reply) => {
      req.audit.target = `token:${req.params.id}`;
      await store.tokens.revoke(req.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/audit',
    {
      schema: {
        operationId: 'listAudit',
        tags: ['admin'],
        summary: 'Audit log, oldest first',
        querystring: AuditQuery,
        response: replies(200, PageOf(AuditEntry)),
      },
    },
    async (req) => {
      const q = req.query;
      const p = await store.audit.list({
        ...(q.actor === undefined ? {} : { actor: q.actor }),
        ...(q.target === undefined ? {} : { target: q.target }),
        ...(q.from === undefined ? {} : { from: instantOr(q.from) }),
        ...(q.to === undefined ? {} : { to: instantOr(q.to) }),
        ...page(q),
      });
      return { items: p.items.map(presentAudit), nextCursor: p.nextCursor };
    },
  );
}
