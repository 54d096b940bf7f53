import { type Actor, type CommandKind, type ControlPort, type Instant, isCodedError } from '@openhes/core';
import type { FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import type { ApiContext } from '../../context.ts';
import { ApiError, ApiErrorCode, toHttpError } from '../../errors.ts';
import { instant } from '../../presenters/time.ts';
import { ErrorResponse } from '../common/schema.ts';
import { PARAMETERS } from './schema.ts';

/** Codes of this API's control routes and of the control service (`@openhes/control` ControlErrorCode). */
export const ControlApiCode = {
  /** The process runs no control service (started without it). */
  Unavailable: 'CONTROL_UNAVAILABLE',
  /** The two-person rule refused an approval or rejection (service code, passed through). */
  ApprovalRefused: 'CONTROL_APPROVAL_REFUSED',
  /** The command or campaign is not in a state that allows the request (service code). */
  WrongState: 'CONTROL_WRONG_STATE',
} as const;

/** 202 answer schema plus the error envelope. */
export function accepted<T extends TSchema>(ok: T) {
  return { 202: ok, '4xx': ErrorResponse, '5xx': ErrorResponse } as const;
}

/** The authenticated user as the service audits it: name, client address, the approver right. */
export async function actorOf(ctx: ApiContext, req: FastifyRequest): Promise<Actor> {
  const principal = req.principal;
  if (principal === null) throw new ApiError(401, ApiErrorCode.Unauthenticated, 'bearer token required');
  const user = await ctx.store.users.get(principal.userId);
  return { name: principal.name, address: req.ip, approver: user?.approver === true };
}

/**
 * Runs a call of the control service: 503 CONTROL_UNAVAILABLE without one; its coded errors
 * keep the status errors.ts gives their kind, with the service's code as `detail.reason` and
 * its detail (the field); a refused approval is 403 and a wrong state 409 INVALID_TRANSITION.
 */
export async function callControl<T>(
  ctx: ApiContext,
  work: (control: ControlPort) => Promise<T>,
): Promise<T> {
  const control = ctx.control;
  if (control === undefined) {
    throw new ApiError(
      503,
      ControlApiCode.Unavailable,
      'no meter-control service runs in this process (start it with the control service)',
    );
  }
  try {
    return await work(control);
  } catch (e) {
    throw controlError(e);
  }
}

export function controlError(e: unknown): unknown {
  if (!isCodedError(e)) return e;
  const detail = { ...e.detail, reason: e.code };
  if (e.code === ControlApiCode.ApprovalRefused) {
    return new ApiError(403, ControlApiCode.ApprovalRefused, e.message, detail);
  }
  const { status, body } = toHttpError(e);
  if (status >= 500 && status !== 503) return e;
  const code = e.code === ControlApiCode.WrongState ? ApiErrorCode.InvalidTransition : body.error.code;
  return new ApiError(status, code, e.message, detail);
}

/** ISO 8601 text or epoch ms (both checked by the schema) as an instant; null and absent kept. */
export function instantOf<T extends null | undefined>(
  v: string | number | T,
  field = 'deadline',
): Instant | T {
  if (v === null || v === undefined) return v;
  return typeof v === 'number' ? v : instant(v, field);
}

const checkers = new Map<CommandKind, ReturnType<typeof Compile>>();

/** Fields of the parameters that are instants (ISO or ms in the API, ms for the service). */
const INSTANT_FIELDS = ['activateAt'] as const;

/**
 * Checks a request's parameters against its kind's schema (POST /commands and /campaigns take
 * any kind, so the body schema cannot); 400 naming the field. Returns them with instants in ms.
 */
export function parametersFor(kind: CommandKind, parameters: Record<string, unknown> | undefined) {
  const p = parameters ?? {};
  let check = checkers.get(kind);
  if (check === undefined) {
    check = Compile(PARAMETERS[kind]);
    checkers.set(kind, check);
  }
  if (!check.Check(p)) {
    const [first] = check.Errors(p);
    const at = first === undefined ? '' : first.instancePath;
    const extra =
      first?.keyword === 'additionalProperties'
        ? ` (${String((first.params as { additionalProperties?: unknown }).additionalProperties)})`
        : first?.keyword === 'enum'
          ? ` (${String((first.params as { allowedValues?: unknown[] }).allowedValues?.join(', '))})`
          : '';
    const field = `parameters${at.replaceAll('/', '.')}`;
    throw new ApiError(
      400,
      ApiErrorCode.ValidationFailed,
      `${field} ${first?.message ?? 'is invalid'}${extra} for a ${kind} command`,
      { field },
    );
  }
  return normalizeInstants(p);
}

export function normalizeInstants(p: Record<string, unknown>): Record<string, unknown> {
  const out = { ...p };
  for (const f of INSTANT_FIELDS) {
    const v = out[f];
    if (typeof v === 'string') out[f] = instant(v, `parameters.${f}`);
  }
  return out;
}

/** `a,b` query lists (checked by the schema) as one value or several. */
export function oneOrMany<T extends string>(v: string | undefined): T | T[] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',') as T[];
  return parts.length === 1 ? parts[0] : parts;
}

/** Drops undefined fields (the store's queries are exactOptionalPropertyTypes-strict). */
export function defined<T extends Record<string, unknown>>(
  o: T,
): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

/** preValidation: a POST without a body is validated as `{}` (bodies whose fields are all optional). */
export async function emptyBodyAsObject(req: FastifyRequest): Promise<void> {
  if (req.body === undefined || req.body === null) req.body = {};
}
