import { type Actor, isCodedError } from '@openhes/core';
import type { FastifyRequest } from 'fastify';
import type { ApiContext } from '../../context.ts';
import { ApiError, ApiErrorCode, toHttpError } from '../../errors.ts';

/** Codes of the meter-data routes (issue 14) when the head end runs without the service. */
export const MeterDataApiCode = {
  VeeUnavailable: 'VEE_UNAVAILABLE',
  BillingUnavailable: 'BILLING_UNAVAILABLE',
  PrepaymentUnavailable: 'PREPAYMENT_UNAVAILABLE',
} as const;

const UNAVAILABLE = {
  vee: [MeterDataApiCode.VeeUnavailable, 'validation, estimation and editing (VEE)'],
  billing: [MeterDataApiCode.BillingUnavailable, 'billing'],
  prepayment: [MeterDataApiCode.PrepaymentUnavailable, 'prepayment'],
} as const;

type PortName = keyof typeof UNAVAILABLE;

/** The port, or 503 naming what is missing (an API built without the meter-data services). */
export function portOf<K extends PortName>(ctx: ApiContext, name: K): NonNullable<ApiContext[K]> {
  const port = ctx[name];
  if (port === undefined || port === null) {
    const [code, what] = UNAVAILABLE[name];
    throw new ApiError(503, code, `this head end runs no ${what} service`);
  }
  return port as NonNullable<ApiContext[K]>;
}

/**
 * A service error as the API answers it: bad input is 400 VALIDATION_FAILED naming the field
 * (`detail.field` and `detail.errors`, the service's code as `detail.reason`); unknown 404;
 * conflicts (a final value, a top-up reference reused with another amount) 409 with the reason.
 */
export function serviceError(e: unknown): unknown {
  if (!isCodedError(e)) return e;
  const { status, body } = toHttpError(e);
  if (status >= 500) return e;
  const detail: Record<string, unknown> = { ...e.detail, reason: e.code };
  const field = typeof e.detail?.field === 'string' ? e.detail.field : undefined;
  if (status === 400) {
    const f = field ?? 'body';
    return new ApiError(400, ApiErrorCode.ValidationFailed, e.message, {
      ...detail,
      field: f,
      errors: [{ field: f, message: e.message }],
    });
  }
  return new ApiError(status, body.error.code, e.message, detail);
}

/** Runs a call of a meter-data service with its errors mapped ({@link serviceError}). */
export async function callPort<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    throw serviceError(e);
  }
}

/** The authenticated user as the services audit it. */
export function actorOf(req: FastifyRequest): Actor {
  const p = req.principal;
  if (p === null) throw new ApiError(401, ApiErrorCode.Unauthenticated, 'bearer token required');
  return { name: p.name, address: req.ip, approver: false };
}

/** Drops undefined fields (queries the stores take). */
export function defined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** `YYYY-MM-DD` (a customer-local day). */
export const DAY_PATTERN = '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$';
