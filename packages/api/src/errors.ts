import { ErrorKind, isCodedError } from '@openhes/core';

/**
 * Stable codes of the HTTP API. Errors of lower layers are mapped by their port-level `kind`
 * (never by an adapter's own code); their codes pass through as `detail.reason` where they
 * are meaningful to a caller.
 */
export const ApiErrorCode = {
  ValidationFailed: 'VALIDATION_FAILED',
  BadBody: 'BAD_REQUEST_BODY',
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  Unauthenticated: 'AUTH_REQUIRED',
  InvalidToken: 'AUTH_INVALID_TOKEN',
  InvalidCredentials: 'AUTH_INVALID_CREDENTIALS',
  RateLimited: 'AUTH_RATE_LIMITED',
  Forbidden: 'FORBIDDEN',
  NotFound: 'NOT_FOUND',
  RouteNotFound: 'ROUTE_NOT_FOUND',
  Conflict: 'CONFLICT',
  InvalidTransition: 'INVALID_TRANSITION',
  AcquisitionUnavailable: 'ACQUISITION_UNAVAILABLE',
  ReadFailed: 'READ_FAILED',
  StoreUnavailable: 'STORE_UNAVAILABLE',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  Internal: 'INTERNAL',
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: Record<string, unknown> | undefined;

  constructor(status: number, code: string, message: string, detail?: Record<string, unknown>) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

export const notFound = (what: string): ApiError =>
  new ApiError(404, ApiErrorCode.NotFound, `${what} not found`);

export interface HttpError {
  status: number;
  body: { error: { code: string; message: string; detail?: Record<string, unknown> } };
}

interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  validation?: unknown;
  message?: unknown;
}

const FASTIFY_BODY_ERRORS: Readonly<Record<string, [number, ApiErrorCode]>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: [400, ApiErrorCode.BadBody],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, ApiErrorCode.BadBody],
  FST_ERR_CTP_EMPTY_TYPE: [400, ApiErrorCode.BadBody],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, ApiErrorCode.BadBody],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, ApiErrorCode.UnsupportedMediaType],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, ApiErrorCode.PayloadTooLarge],
};

function body(code: string, message: string, detail?: Record<string, unknown>): HttpError['body'] {
  return { error: detail === undefined ? { code, message } : { code, message, detail } };
}

/** The only place where errors of any layer become HTTP statuses. */
export function toHttpError(e: unknown): HttpError {
  if (e instanceof ApiError) return { status: e.status, body: body(e.code, e.message, e.detail) };
  if (isCodedError(e)) {
    const reason = typeof e.detail?.reason === 'string' ? e.detail.reason : undefined;
    switch (e.kind) {
      case ErrorKind.invalid:
        return {
          status: 400,
          body: body(ApiErrorCode.ValidationFailed, e.message, { reason: reason ?? e.code }),
        };
      case ErrorKind.notFound:
        return { status: 404, body: body(ApiErrorCode.NotFound, e.message) };
      case ErrorKind.conflict:
        return reason?.endsWith('INVALID_TRANSITION') || e.code.endsWith('INVALID_TRANSITION')
          ? { status: 409, body: body(ApiErrorCode.InvalidTransition, e.message) }
          : { status: 409, body: body(ApiErrorCode.Conflict, e.message) };
      case ErrorKind.busy:
      case ErrorKind.unavailable:
        return { status: 503, body: body(ApiErrorCode.StoreUnavailable, e.message) };
      default:
        return { status: 500, body: body(ApiErrorCode.Internal, 'internal error') };
    }
  }
  const f = (typeof e === 'object' && e !== null ? e : {}) as FastifyLikeError;
  const message = typeof f.message === 'string' ? f.message : 'error';
  if (Array.isArray(f.validation)) return { status: 400, body: body(ApiErrorCode.ValidationFailed, message) };
  const mapped = typeof f.code === 'string' ? FASTIFY_BODY_ERRORS[f.code] : undefined;
  if (mapped) return { status: mapped[0], body: body(mapped[1], message) };
  if (typeof f.statusCode === 'number' && f.statusCode >= 400 && f.statusCode < 500) {
    return { status: f.statusCode, body: body(ApiErrorCode.BadBody, message) };
  }
  return { status: 500, body: body(ApiErrorCode.Internal, 'internal error') };
}
