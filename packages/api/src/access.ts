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
  { method: 'POST', url: '/auth/password', access: 'viewer', action: 'auth.password-change' },

  { method: 'GET', url: '/meters', access: 'viewer' },
  { method: 'GET', url: '/meters/:id', access: 'viewer' },
  { method: 'POST', url: '/meters/import', access: 'operator', action: 'meter.import' },
  { method: 'PATCH', url: '/meters/:id', access: 'operator', action: 'meter.update' },
  { method: 'POST', url: '/meters/:id/decommission', access: 'operator', action: 'meter.decommission' },
  { method: 'POST', url: '/meters/:id/commission', access: 'operator', action: 'meter.commission' },
  { method: 'POST', url: '/meters/:id/activate', access: 'operator', action: 'meter.activate' },
  { method: 'POST', url: '/meters/:id/suspend', access: 'operator', action: 'meter.suspend' },
  { method: 'POST', url: '/meters/:id/resume', access: 'operator', action: 'meter.resume' },
  { method: 'DELETE', url: '/meters/:id', access: 'operator', action: 'meter.delete' },
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
  { method: 'POST', url: '/users/:id/password', access: 'admin', action: 'user.password-reset' },
  { method: 'GET', url: '/users/:id/tokens', access: 'admin' },
  { method: 'POST', url: '/tokens', access: 'admin', action: 'token.create' },
  { method: 'DELETE', url: '/tokens/:id', access: 'admin', action: 'token.revoke' },
  { method: 'GET', url: '/audit', access: 'admin' },

  { method: 'GET', url: '/metrics', access: 'viewer' },
  // The documentation holds no data: a browser opens it without a token (data routes keep theirs).
  { method: 'GET', url: '/openapi.json', access: 'public' },
  { method: 'GET', url: '/docs', access: 'public' },
  { method: 'GET', url: '/docs/', access: 'public' },
  { method: 'GET', url: '/docs/*', access: 'public' },
  { method: 'GET', url: '/docs/static/*', access: 'public' },
  { method: 'GET', url: '/docs/json', access: 'public' },
  { method: 'GET', url: '/docs/yaml', access: 'public' },
  { method: 'GET', url: '/docs/static/index.html', access: 'public' },
  { method: 'GET', url: '/docs/static/swagger-initializer.js', access: 'public' },

  // Meter control (issue 21). Writes audit the request as accepted or refused (the state it
  // left the command or campaign in); the control service audits what the meter did.
  { method: 'POST', url: '/commands', access: 'operator', action: 'command.request' },
  { method: 'GET', url: '/commands', access: 'viewer' },
  { method: 'GET', url: '/commands/:id', access: 'viewer' },
  { method: 'POST', url: '/commands/:id/approve', access: 'operator', action: 'command.approve' },
  { method: 'POST', url: '/commands/:id/reject', access: 'operator', action: 'command.reject' },
  { method: 'POST', url: '/commands/:id/cancel', access: 'operator', action: 'command.cancel' },
  { method: 'POST', url: '/meters/:id/disconnect', access: 'operator', action: 'command.request' },
  { method: 'POST', url: '/meters/:id/connect', access: 'operator', action: 'command.request' },
  { method: 'POST', url: '/meters/:id/load-limit', access: 'operator', action: 'command.request' },
  { method: 'POST', url: '/meters/:id/time-sync', access: 'operator', action: 'command.request' },
  { method: 'POST', url: '/meters/:id/calendar', access: 'operator', action: 'command.request' },
  { method: 'POST', url: '/meters/:id/special-days', access: 'operator', action: 'command.request' },
  { method: 'POST', url: '/meters/:id/firmware', access: 'operator', action: 'command.request' },
  { method: 'POST', url: '/meters/:id/keys/rotate', access: 'operator', action: 'command.request' },
  { method: 'POST', url: '/meters/:id/push-setup', access: 'operator', action: 'command.request' },
  { method: 'POST', url: '/campaigns', access: 'operator', action: 'campaign.request' },
  { method: 'POST', url: '/campaigns/preview', access: 'viewer' },
  { method: 'GET', url: '/campaigns', access: 'viewer' },
  { method: 'GET', url: '/campaigns/:id', access: 'viewer' },
  { method: 'GET', url: '/campaigns/:id/commands', access: 'viewer' },
  { method: 'POST', url: '/campaigns/:id/approve', access: 'operator', action: 'campaign.approve' },
  { method: 'POST', url: '/campaigns/:id/reject', access: 'operator', action: 'campaign.reject' },
  { method: 'POST', url: '/campaigns/:id/pause', access: 'operator', action: 'campaign.pause' },
  { method: 'POST', url: '/campaigns/:id/resume', access: 'operator', action: 'campaign.resume' },
  { method: 'POST', url: '/campaigns/:id/cancel', access: 'operator', action: 'campaign.cancel' },
  { method: 'POST', url: '/firmware/images', access: 'operator', action: 'firmware.upload' },
  { method: 'GET', url: '/firmware/images', access: 'viewer' },
  { method: 'GET', url: '/firmware/images/:id', access: 'viewer' },
  { method: 'DELETE', url: '/firmware/images/:id', access: 'admin', action: 'firmware.delete' },

  // Meter data (issue 14): viewers read, operators run, edit and top up, admins own tariffs.
  { method: 'GET', url: '/channels/:id/series', access: 'viewer' },
  { method: 'POST', url: '/channels/:id/edits', access: 'operator', action: 'vee.edit' },
  { method: 'GET', url: '/vee/exceptions', access: 'viewer' },
  { method: 'GET', url: '/vee/exceptions/:id', access: 'viewer' },
  { method: 'POST', url: '/vee/exceptions/:id/resolve', access: 'operator', action: 'vee.exception.resolve' },
  { method: 'GET', url: '/vee/summary', access: 'viewer' },
  { method: 'GET', url: '/vee/timeliness', access: 'viewer' },
  { method: 'POST', url: '/vee/runs', access: 'operator', action: 'vee.run' },
  { method: 'GET', url: '/billing/tariffs', access: 'viewer' },
  { method: 'GET', url: '/billing/tariffs/:id', access: 'viewer' },
  { method: 'POST', url: '/billing/tariffs', access: 'admin', action: 'tariff.create' },
  { method: 'PUT', url: '/billing/tariffs/:id', access: 'admin', action: 'tariff.update' },
  { method: 'DELETE', url: '/billing/tariffs/:id', access: 'admin', action: 'tariff.retire' },
  { method: 'GET', url: '/billing/groups', access: 'viewer' },
  { method: 'POST', url: '/billing/runs', access: 'operator', action: 'billing.run' },
  { method: 'GET', url: '/billing/bills', access: 'viewer' },
  { method: 'GET', url: '/billing/bills/export', access: 'viewer' },
  { method: 'GET', url: '/billing/bills/:id', access: 'viewer' },
  { method: 'GET', url: '/meters/:id/bills', access: 'viewer' },
  { method: 'GET', url: '/prepayment/accounts', access: 'viewer' },
  { method: 'POST', url: '/prepayment/accounts', access: 'operator', action: 'prepayment.account.open' },
  { method: 'GET', url: '/prepayment/accounts/:id', access: 'viewer' },
  {
    method: 'POST',
    url: '/prepayment/accounts/:id/top-ups',
    access: 'operator',
    action: 'prepayment.top-up',
  },
  {
    method: 'POST',
    url: '/prepayment/accounts/:id/adjustments',
    access: 'operator',
    action: 'prepayment.adjust',
  },
  { method: 'GET', url: '/prepayment/accounts/:id/ledger', access: 'viewer' },
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
