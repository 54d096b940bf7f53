import swagger from '@fastify/swagger';
import swaggerUi, { type FastifySwaggerUiOptions } from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  BillingPort,
  BusMessage,
  Clock,
  ControlPort,
  EventBus,
  PrepaymentPort,
  SecretVault,
  Store,
  VeePort,
} from '@openhes/core';
import Fastify, { type FastifyBaseLogger, type FastifyServerOptions } from 'fastify';
import type { FailedAuthOptions } from './auth/failed-auth.ts';
import { LoginLimiter, type LoginLimitOptions } from './auth/rate-limit.ts';
import type { AcquisitionPort, Api, ApiContext, EventTextLookup } from './context.ts';
import {
  ApiError,
  ApiErrorCode,
  badPathReason,
  parseJsonBody,
  toHttpError,
  validatorCompiler,
} from './errors.ts';
import { guardRoutes, installHooks } from './hooks.ts';
import { createMetrics, type MetricsRegistry } from './metrics.ts';
import { authRoutes } from './routes/auth/routes.ts';
import { billingRoutes } from './routes/billing/routes.ts';
import { collectionRoutes } from './routes/collection/routes.ts';
import { controlRoutes } from './routes/control/routes.ts';
import { eventRoutes } from './routes/events/routes.ts';
import { meterRoutes } from './routes/meters/routes.ts';
import { planRoutes } from './routes/plans/routes.ts';
import { prepaymentRoutes } from './routes/prepayment/routes.ts';
import { readingRoutes } from './routes/readings/routes.ts';
import { securityRoutes } from './routes/security/routes.ts';
import { systemRoutes } from './routes/system/routes.ts';
import { userRoutes } from './routes/users/routes.ts';
import { veeRoutes } from './routes/vee/routes.ts';

export interface BuildApiOptions {
  store: Store;
  acquisition?: AcquisitionPort;
  /** Meter control; without it the control routes that write answer 503 CONTROL_UNAVAILABLE. */
  control?: ControlPort;
  /** Meter data (issue 14): VEE, billing, prepayment; without one its routes answer 503. */
  vee?: VeePort;
  billing?: BillingPort;
  prepayment?: PrepaymentPort;
  /** Where changes made through the API are announced (`meter.changed`, `plan.changed`). */
  bus?: EventBus;
  /** Device profiles the head end knows; meter imports naming another are refused. */
  deviceProfiles?: ReadonlySet<string>;
  /** Where meter secrets of an import go (password, ek, ak, kek columns); without it they are refused. */
  vault?: SecretVault;
  /** The device profiles' text for an event code (see presenters/events.ts eventTextLookup). */
  eventText?: EventTextLookup;
  clock?: Clock;
  /** A pino-compatible logger, or Fastify logger options; off by default. */
  logger?: FastifyBaseLogger | FastifyServerOptions['logger'];
  metrics?: MetricsRegistry;
  loginLimit?: Partial<LoginLimitOptions>;
  /** Lifetime of tokens issued by POST /auth/login; default 12 h. */
  sessionTtlMs?: number;
  /**
   * Whom to believe about the client address in X-Forwarded-For (behind a reverse proxy): off
   * by default, so the header is ignored and the socket's address is the client's (the login
   * limits and the audit key on it). `true` trusts every hop; a number, that many hops; a
   * string, the proxies' addresses or CIDRs, comma-separated. Strings as in HES_TRUST_PROXY:
   * '', '0', 'false' off; 'true'; a hop count; or the address list.
   */
  trustProxy?: boolean | number | string;
  /** Aggregated audit of refused credentials: one entry per source address per period. */
  failedAuthAudit?: Partial<FailedAuthOptions>;
  bodyLimit?: number;
}

export const API_VERSION = '0.1.0';

const API_DESCRIPTION = [
  'Head-end system for smart electricity meters.',
  '',
  '**Access.** This document, /docs and /health, /ready and POST /auth/login need no token; every',
  'other route needs a bearer token. On this page: open POST /auth/login, "Try it out" with your',
  'username and password, and the page keeps the token it returns and sends it with every call',
  '(Authorize shows it; it survives a reload; POST /auth/logout drops it).',
  '',
  '**Times.** Every time parameter takes an ISO 8601 date-time with `Z` or an offset',
  '(`2025-01-31T15:30:00+05:30`; in a URL write `+` as `%2B` — an unescaped `+` reads as a space,',
  'which is taken as `+` too) or a date alone (`2025-01-31`, 00:00 UTC). A date-time without a',
  'zone is refused. Ranges are half-open, [from, to); `to` before `from` is refused. Times in',
  'answers are UTC.',
  '',
  '**Errors.** Every 4xx/5xx answer is `{error: {code, message, detail?}}`; a refused field is named',
  'in the message (`querystring/category must be one of: …`) and in `detail.errors`.',
].join('\n');

/**
 * Swagger UI options of /docs. The response interceptor runs in the page: a successful
 * POST /auth/login hands its token to the page's bearer authorization, a logout drops it.
 * It is serialised as source into the page's initializer, where `ui` is the Swagger UI
 * instance (hence built from text: it refers to the page's scope, not this module's).
 */
const DOCS_UI_CONFIG = {
  persistAuthorization: true,
  displayRequestDuration: true,
  responseInterceptor: new Function(
    'res',
    `try {
      var url = String(res && res.url || '');
      if (res && res.ok && /\\/auth\\/login([?#]|$)/.test(url)) {
        var body = res.body || (typeof res.text === 'string' ? JSON.parse(res.text) : null);
        if (body && typeof body.token === 'string') ui.preauthorizeApiKey('bearer', body.token);
      } else if (res && res.ok && /\\/auth\\/logout([?#]|$)/.test(url)) {
        ui.authActions.logout(['bearer']);
      }
    } catch (e) {}
    return res;`,
  ) as NonNullable<FastifySwaggerUiOptions['uiConfig']>['responseInterceptor'],
};

const systemClock: Clock = { now: () => Date.now() };

/** The properties a route's body schema requires (an empty body is refused naming them). */
function requiredBodyFields(schema: unknown): string[] {
  const required = (schema as { required?: unknown } | undefined)?.required;
  return Array.isArray(required) ? required.filter((r): r is string => typeof r === 'string') : [];
}

/** `trustProxy` as Fastify takes it; see {@link BuildApiOptions.trustProxy}. */
export function parseTrustProxy(value: boolean | number | string | undefined): boolean | number | string[] {
  if (value === undefined) return false;
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (v === '' || v === '0' || v === 'false' || v === 'no' || v === 'off') return false;
  if (v === 'true' || v === 'yes' || v === 'on') return true;
  if (/^[0-9]+$/.test(v)) return Number(v);
  return v
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

function isLogger(l: unknown): l is FastifyBaseLogger {
  return typeof l === 'object' && l !== null && typeof (l as { info?: unknown }).info === 'function';
}

/** Builds the HTTP API; the caller listens and closes it. Does not touch the store until a request. */
export async function buildApi(options: BuildApiOptions): Promise<Api> {
  const clock = options.clock ?? systemClock;
  const { registry, metrics } = options.metrics ?? createMetrics();
  let announceFailed: (e: unknown) => void = () => {};
  const announce = (type: string, key: string, payload: unknown): void => {
    const bus = options.bus;
    if (bus === undefined) return;
    const message: BusMessage = { id: crypto.randomUUID(), type, key, at: clock.now(), payload };
    bus.publish([message]).catch((e: unknown) => announceFailed(e));
  };
  const ctx: ApiContext = {
    store: options.store,
    acquisition: options.acquisition,
    control: options.control,
    vee: options.vee,
    billing: options.billing,
    prepayment: options.prepayment,
    deviceProfiles: options.deviceProfiles,
    vault: options.vault,
    eventText: options.eventText,
    onMeterChange: (m) => announce('meter.changed', `meter:${m.id}`, { meterId: m.id, serial: m.serial }),
    onPlanChange: (id) => announce('plan.changed', `plan:${id}`, { planId: id }),
    clock,
    metrics,
    registry,
    limiter: new LoginLimiter(clock, options.loginLimit),
    sessionTtlMs: options.sessionTtlMs ?? 12 * 3_600_000,
  };
  const app = Fastify({
    ...(isLogger(options.logger) ? { loggerInstance: options.logger } : { logger: options.logger ?? false }),
    exposeHeadRoutes: false,
    // Fastify's overloads do not resolve on the union; every member is a valid trustProxy.
    trustProxy: parseTrustProxy(options.trustProxy) as boolean,
    bodyLimit: options.bodyLimit ?? 16 * 2 ** 20,
  })
    .withTypeProvider<TypeBoxTypeProvider>()
    .setValidatorCompiler(validatorCompiler);

  app.setErrorHandler((e, req, reply) => {
    const { status, body } = toHttpError(e);
    if (status >= 500) req.log.error({ err: e }, 'request failed');
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((req, reply) =>
    reply
      .status(404)
      .send({ error: { code: ApiErrorCode.RouteNotFound, message: `no route ${req.method} ${req.url}` } }),
  );
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, text, done) => {
    try {
      done(null, parseJsonBody(text as string, requiredBodyFields(req.routeOptions.schema?.body)));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
  // First of all hooks: a path with dot segments, backslashes or NUL never reaches a route
  // (the docs' static files answered 403 "BAD_REQUEST_BODY" to ../ before).
  app.addHook('onRequest', async (req) => {
    const reason = badPathReason(req.raw.url ?? req.url);
    if (reason !== null) throw new ApiError(400, ApiErrorCode.BadPath, `bad request path: ${reason}`);
  });
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_req, text, done) => done(null, text));

  announceFailed = (e) => app.log.warn({ err: e }, 'announcing a change on the bus failed');
  guardRoutes(app);
  installHooks(app, ctx, options.failedAuthAudit);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'OpenHES API', version: API_VERSION, description: API_DESCRIPTION },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'A token from POST /auth/login (or POST /tokens); the docs page takes it by itself',
          },
        },
      },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: DOCS_UI_CONFIG });

  systemRoutes(app, ctx);
  authRoutes(app, ctx);
  meterRoutes(app, ctx);
  securityRoutes(app, ctx);
  readingRoutes(app, ctx);
  eventRoutes(app, ctx);
  collectionRoutes(app, ctx);
  planRoutes(app, ctx);
  userRoutes(app, ctx);
  controlRoutes(app, ctx);
  veeRoutes(app, ctx);
  billingRoutes(app, ctx);
  prepaymentRoutes(app, ctx);
  await app.ready();
  return app;
}
