import type { Role } from '@openhes/core';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** `public` routes take no token; every other entry names the least role allowed. */
export type Access = Role | 'public';

export interface RouteAccess {
  method: HttpMethod;
  url: string;
  access: Access;
  /** Audit action recorded for writes. */
  action?: string;
}

/**
 * The one table of who may call what. `buildApi` refuses to start when a registered route
 * has no entry here, so a new route cannot ship unprotected.
 */
export const ROUTE_ACCESS: readonly RouteAccess[] = [
  { method: 'GET', url: '/health', access: 'public' },
  { method: 'GET', url: '/ready', access: 'public' },
  { method: 'POST', url: '/auth/login', access: 'public', action: 'auth.login' },
  { method: 'POST', url: '/auth/logout', access: 'viewer', action: 'auth.logout' },
  { method: 'GET', url: '/auth/me', access: 'viewer' },

  { method: 'GET', url: '/meters', access: 'viewer' },
  { method: 'GET', url: '/meters/:id', access: 'viewer' },
  { method: 'POST', url: '/meters/import', access: 'operator', action: 'meter.import' },
  { method: 'PATCH', url: '/meters/:id', access: 'operator', action: 'meter.update' },
  { method: 'POST', url: '/meters/:id/decommission', access: 'operator', action: 'meter.decommission' },
  { method: 'GET', url: '/meters/:id/channels', access: 'viewer' },
  { method: 'GET', url: '/meters/:id/readings/latest', access: 'viewer' },
  { method: 'POST', url: '/meters/:id/read', access: 'operator', action: 'meter.read-now' },
  { method: 'POST', url: '/meters/:id/security/resync', access: 'admin', action: 'meter.security.resync' },

  { method: 'GET', url: '/channels/:id/readings', access: 'viewer' },
  { method: 'GET', url: '/channels/:id/readings/aggregate', access: 'viewer' },
  { method: 'GET', url: '/events', access: 'viewer' },
  { method: 'GET', url: '/collection/outcomes', access: 'viewer' },
  { method: 'GET', url: '/collection/success-rate', access: 'viewer' },

  { method: 'GET', url: '/plans', access: 'viewer' },
  { method: 'GET', url: '/plans/:id', access: 'viewer' },
  { method: 'POST', url: '/plans', access: 'operator', action: 'plan.create' },
  { method: 'PUT', url: '/plans/:id', access: 'operator', action: 'plan.update' },
  { method: 'DELETE', url: '/plans/:id', access: 'operator', action: 'plan.delete' },

  { method: 'GET', url: '/users', access: 'admin' },
  { method: 'POST', url: '/users', access: 'admin', action: 'user.create' },
  { method: 'PATCH', url: '/users/:id', access: 'admin', action: 'user.update' },
  { method: 'GET', url: '/users/:id/tokens', access: 'admin' },
  { method: 'POST', url: '/tokens', access: 'admin', action: 'token.create' },
  { method: 'DELETE', url: '/tokens/:id', access: 'admin', action: 'token.revoke' },
  { method: 'GET', url: '/audit', access: 'admin' },

  { method: 'GET', url: '/metrics', access: 'viewer' },
  { method: 'GET', url: '/openapi.json', access: 'viewer' },
  { method: 'GET', url: '/docs', access: 'viewer' },
  { method: 'GET', url: '/docs/', access: 'viewer' },
  { method: 'GET', url: '/docs/*', access: 'viewer' },
  { method: 'GET', url: '/docs/static/*', access: 'viewer' },
  { method: 'GET', url: '/docs/json', access: 'viewer' },
  { method: 'GET', url: '/docs/yaml', access: 'viewer' },
  { method: 'GET', url: '/docs/static/index.html', access: 'viewer' },
  { method: 'GET', url: '/docs/static/swagger-initializer.js', access: 'viewer' },
];

/** Integration principals are machine readers: they rank with viewers. */
const RANK: Readonly<Record<Role, number>> = { viewer: 1, integration: 1, operator: 2, admin: 3 };

export function roleAllows(role: Role, access: Access): boolean {
  return access === 'public' || RANK[role] >= RANK[access];
}

export function accessKey(method: string, url: string): string {
  return `${method} ${url}`;
}

export const ACCESS_BY_ROUTE: ReadonlyMap<string, RouteAccess> = new Map(
  ROUTE_ACCESS.map((r) => [accessKey(r.method, r.url), r]),
);
