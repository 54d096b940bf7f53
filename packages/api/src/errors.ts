import { ErrorKind, isCodedError } from '@openhes/core';

/**
 * Stable codes of the HTTP API. Errors of lower layers are mapped by their port-level `kind`
 * (never by an adapter's own code); their codes pass through as `detail.reason` where they
 * are meaningful to a caller.
 */
export const ApiErrorCode = {
  ValidationFailed: 'VALIDATION_FAILED',
  BadBody: 'BAD_REQUEST_BODY',
  /** A JSON body carrying a key that could reach an object's prototype (`__proto__`, `constructor.prototype`). */
  ForbiddenJsonKey: 'BODY_FORBIDDEN_KEY',
  /** A path with `.`/`..` segments, backslashes or NUL bytes, or one that does not decode. */
  BadPath: 'BAD_PATH',
  /** A malformed request that is neither a body nor a path problem. */
  BadRequest: 'BAD_REQUEST',
  MethodNotAllowed: 'METHOD_NOT_ALLOWED',
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

const PATH_ERRORS: ReadonlySet<string> = new Set(['FST_ERR_BAD_URL', 'FST_ERR_ASYNC_CONSTRAINT']);

function codeOfStatus(status: number): string {
  switch (status) {
    case 401:
      return ApiErrorCode.Unauthenticated;
    case 403:
      return ApiErrorCode.Forbidden;
    case 404:
      return ApiErrorCode.NotFound;
    case 405:
      return ApiErrorCode.MethodNotAllowed;
    case 413:
      return ApiErrorCode.PayloadTooLarge;
    case 415:
      return ApiErrorCode.UnsupportedMediaType;
    default:
      return ApiErrorCode.BadRequest;
  }
}

/**
 * Why a request path is refused before routing, or null when it is fine: a `.` or `..` segment
 * (also percent-encoded), a backslash or a NUL byte anywhere, or an undecodable escape. Checked
 * on the raw URL, since routers and static-file plugins normalise or decode differently.
 */
export function badPathReason(url: string): string | null {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return 'the path has an invalid percent-escape';
  }
  if (decoded.includes('\\')) return 'the path contains a backslash';
  if (decoded.includes('\u0000')) return 'the path contains a NUL byte';
  for (const segment of decoded.split('/')) {
    if (segment === '..' || segment === '.') return `the path contains a "${segment}" segment`;
  }
  return null;
}

const FORBIDDEN_KEY = '__proto__';

/**
 * JSON body parser: like Fastify's, but a key that could reach a prototype (`__proto__`
 * anywhere, or `constructor` holding `prototype`) is refused by name instead of being called
 * "not valid JSON". Text that does not parse is BAD_REQUEST_BODY.
 */
export function parseJsonBody(text: string): unknown {
  if (text === '')
    throw new ApiError(400, ApiErrorCode.BadBody, 'the body is empty but content-type is JSON');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, ApiErrorCode.BadBody, `the body is not valid JSON: ${(e as Error).message}`);
  }
  const stack: [unknown, string][] = [[value, '$']];
  while (stack.length > 0) {
    const [v, at] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${at}[${i}]`]);
      continue;
    }
    if (Object.hasOwn(v, FORBIDDEN_KEY)) throw forbiddenKey(FORBIDDEN_KEY, at);
    const ctor = (v as Record<string, unknown>).constructor;
    if (
      Object.hasOwn(v, 'constructor') &&
      typeof ctor === 'object' &&
      ctor !== null &&
      Object.hasOwn(ctor, 'prototype')
    )
      throw forbiddenKey('constructor.prototype', at);
    for (const [k, child] of Object.entries(v)) stack.push([child, `${at}.${k}`]);
  }
  return value;
}

function forbiddenKey(key: string, at: string): ApiError {
  return new ApiError(
    400,
    ApiErrorCode.ForbiddenJsonKey,
    `the body may not contain the key "${key}" (at ${at})`,
    {
      key,
      at,
    },
  );
}

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
  if (typeof f.code === 'string' && PATH_ERRORS.has(f.code)) {
    return { status: 400, body: body(ApiErrorCode.BadPath, message) };
  }
  if (typeof f.statusCode === 'number' && f.statusCode >= 400 && f.statusCode < 500) {
    // A 4xx from a plugin (the docs' static files) says nothing about a body: label it by status.
    return { status: f.statusCode, body: body(codeOfStatus(f.statusCode), message) };
  }
  return { status: 500, body: body(ApiErrorCode.Internal, 'internal error') };
}
