import type { FastifyReply, FastifyRequest } from 'fastify';
import { ACCESS_BY_ROUTE, accessKey, type RouteAccess, roleAllows } from './access.ts';
import { FailedAuthAudit, type FailedAuthOptions } from './auth/failed-auth.ts';
import type { Principal } from './auth/principal.ts';
import { resolveToken } from './auth/principal.ts';
import { bearerToken } from './auth/tokens.ts';
import type { Api, ApiContext } from './context.ts';
import { ApiError, ApiErrorCode } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** Filled by write handlers: what was acted on and what changed. */
    audit: {
      actor?: string;
      target?: string;
      detail?: Record<string, unknown>;
      /** The real outcome when an answered request still failed (an on-demand read that failed). */
      outcome?: 'failed';
    };
    startedAt: number;
  }
}

function ruleOf(req: FastifyRequest): RouteAccess | undefined {
  const url = req.routeOptions.url;
  return url === undefined ? undefined : ACCESS_BY_ROUTE.get(accessKey(req.method, url));
}

/** Refuses to register a route the access table does not name. */
export function guardRoutes(app: Api): void {
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) {
      if (m === 'HEAD' || m === 'OPTIONS') continue;
      if (!ACCESS_BY_ROUTE.has(accessKey(m, route.url))) {
        throw new Error(`route ${m} ${route.url} has no entry in ROUTE_ACCESS`);
      }
    }
  });
}

/** The code a refused credential is tallied under (see {@link FailedAuthAudit}), or null. */
function failedAuthReason(req: FastifyRequest, status: number, rule: RouteAccess | undefined): string | null {
  const login = rule?.access === 'public' && rule.action === 'auth.login';
  if (login) {
    if (status === 401) return ApiErrorCode.InvalidCredentials;
    if (status === 429) return ApiErrorCode.RateLimited;
    return null;
  }
  if (status !== 401) return null;
  return bearerToken(req.headers.authorization) === null
    ? ApiErrorCode.Unauthenticated
    : ApiErrorCode.InvalidToken;
}

export function installHooks(app: Api, ctx: ApiContext, failedAuth: Partial<FailedAuthOptions> = {}): void {
  const refused = new FailedAuthAudit(
    () => ctx.store.audit,
    ctx.clock,
    failedAuth,
    (e) => app.log.warn({ err: e }, 'auditing refused credentials failed'),
  );
  const flushTimer = setInterval(() => void refused.flush(false), refused.periodMs);
  flushTimer.unref();
  app.addHook('onClose', async () => {
    clearInterval(flushTimer);
    await refused.flush();
  });

  app.decorateRequest('principal', null);
  app.decorateRequest('audit', null as unknown as FastifyRequest['audit']);
  app.decorateRequest('startedAt', 0);

  app.addHook('onRequest', async (req) => {
    req.startedAt = performance.now();
    req.audit = {};
    // No route matched: the not-found handler answers 404 naming the path (a missing token
    // does not hide a typo such as /auth/login/ behind 401 "bearer token required").
    if (req.routeOptions.url === undefined) return;
    const rule = ruleOf(req);
    const access = rule?.access ?? 'viewer';
    if (access === 'public') return;
    const secret = bearerToken(req.headers.authorization);
    if (secret === null) throw new ApiError(401, ApiErrorCode.Unauthenticated, 'bearer token required');
    const principal = await resolveToken(ctx.store, ctx.clock, secret);
    if (principal === null)
      throw new ApiError(401, ApiErrorCode.InvalidToken, 'token unknown, revoked or expired');
    req.principal = principal;
    if (!roleAllows(principal.role, access)) {
      throw new ApiError(
        403,
        ApiErrorCode.Forbidden,
        `role ${principal.role} may not call this route (needs ${access})`,
      );
    }
  });

  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload) => {
    const rule = ruleOf(req);
    const status = reply.statusCode;
    // Refused credentials are audited in aggregate per source, not one entry per request.
    const reason = failedAuthReason(req, status, rule);
    if (reason !== null) {
      refused.record(req.ip, reason, rule?.action === 'auth.login' ? req.audit?.actor : undefined);
      return payload;
    }
    if (rule?.action === undefined) return payload;
    try {
      await ctx.store.audit.append({
        actor: req.principal?.name ?? req.audit?.actor ?? 'anonymous',
        action: rule.action,
        target: req.audit?.target ?? rule.url,
        outcome: req.audit?.outcome ?? (status < 400 ? 'succeeded' : status === 403 ? 'denied' : 'failed'),
        detail: { ip: req.ip, method: req.method, url: req.url, status, ...req.audit?.detail },
      });
    } catch (e) {
      // A success is answered only once its audit entry is stored: the error replaces it
      // (a login's token is never handed out). An answer that is already an error keeps its
      // status when its audit entry cannot be stored either (the store cannot write).
      if (status < 400) throw e;
      req.log.error({ err: e }, 'auditing a failed request failed');
    }
    return payload;
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    ctx.metrics.httpRequest(route, req.method, reply.statusCode, (performance.now() - req.startedAt) / 1000);
  });
}
