export {
  ACCESS_BY_ROUTE,
  type Access,
  accessKey,
  type HttpMethod,
  ROUTE_ACCESS,
  type RouteAccess,
  roleAllows,
} from './access.ts';
export { API_VERSION, type BuildApiOptions, buildApi } from './app.ts';
export { ADMIN_USER, type AdminBootstrap, ensureAdminUser } from './auth/bootstrap.ts';
export { hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from './auth/passwords.ts';
export { type Principal, resolveToken } from './auth/principal.ts';
export { DEFAULT_LOGIN_LIMIT, LoginLimiter, type LoginLimitOptions } from './auth/rate-limit.ts';
export { hashToken, newTokenSecret } from './auth/tokens.ts';
export type { AcquisitionPort, Api, OnDemandResult } from './context.ts';
export { ApiError, ApiErrorCode, toHttpError } from './errors.ts';
export { createMetrics, type HesMetrics, type MetricsRegistry } from './metrics.ts';
export { generateOpenApi, openApiJson } from './openapi.ts';
export { eventTextLookup, type ProfileEventNames } from './presenters/events.ts';
export { enabledAdmins, passwordResetAudit, resetPassword } from './routes/users/accounts.ts';
