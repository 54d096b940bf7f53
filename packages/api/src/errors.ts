import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { ErrorKind, INSTANT_TEXT_HINT, INSTANT_TEXT_PATTERN, isCodedError } from '@openhes/core';
import type { FastifySchemaValidationError } from 'fastify';

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
  validationContext?: unknown;
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
export function parseJsonBody(text: string, required: readonly string[] = []): unknown {
  if (text === '' && required.length > 0) {
    // An empty body where an object is expected: name what it must carry, as for `{}`.
    const message = `body must have required properties ${required.join(', ')} (the body is empty)`;
    throw new ApiError(400, ApiErrorCode.ValidationFailed, message, {
      errors: [{ field: 'body', message: `must have required properties ${required.join(', ')}` }],
    });
  }
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

/** One schema validation issue as the validator reports it (TypeBox, Ajv-shaped). */
interface ValidationIssue {
  keyword?: unknown;
  instancePath?: unknown;
  schemaPath?: unknown;
  params?: unknown;
  message?: unknown;
}

/** One refused field of a request: where, why, and for enumerations the values allowed. */
export interface FieldProblem {
  field: string;
  message: string;
  allowed?: unknown[];
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const paramsOf = (i: ValidationIssue): Record<string, unknown> =>
  typeof i.params === 'object' && i.params !== null ? (i.params as Record<string, unknown>) : {};

/** The message of one issue, said for a person (an instant's pattern as the forms taken). */
function issueMessage(i: ValidationIssue): string {
  const p = paramsOf(i);
  switch (i.keyword) {
    case 'pattern':
      return p.pattern === INSTANT_TEXT_PATTERN ? `must be ${INSTANT_TEXT_HINT}` : str(i.message);
    case 'enum':
      return `must be one of: ${(Array.isArray(p.allowedValues) ? p.allowedValues : []).map(String).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'additionalProperties': {
      const extra = p.additionalProperties ?? p.additionalProperty;
      return extra === undefined ? str(i.message) : `must not have the property "${String(extra)}"`;
    }
    default:
      return str(i.message) || 'is invalid';
  }
}

/** The schema node a validator's `#/a/b/0` schema path points at. */
function schemaAt(schema: unknown, path: string): unknown {
  let node = schema;
  for (const key of path.replace(/^#\/?/, '').split('/')) {
    if (key === '') continue;
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return node;
}

/**
 * A union of constants (how the schemas write enumerations) fails with one `const` issue per
 * value, and the validator stops after a few issues, so the list would be cut short: its
 * issues become one `enum` issue with every allowed value, read from the schema itself.
 */
export function enumIssues(schema: unknown, issues: readonly ValidationIssue[]): ValidationIssue[] {
  const unions = new Map<string, unknown[] | null>();
  const allowedOf = (path: string): unknown[] | null => {
    if (!unions.has(path)) {
      const anyOf = (schemaAt(schema, path) as { anyOf?: unknown } | undefined)?.anyOf;
      const members = Array.isArray(anyOf) ? anyOf : [];
      const consts = members.map((m) =>
        typeof m === 'object' && m !== null && 'const' in m ? m.const : undefined,
      );
      unions.set(path, members.length > 0 && consts.every((c) => c !== undefined) ? consts : null);
    }
    return unions.get(path) ?? null;
  };
  const out: ValidationIssue[] = [];
  const done = new Set<string>();
  for (const i of issues) {
    const sp = str(i.schemaPath);
    const m = /^(.*)\/anyOf\/\d+$/.exec(sp);
    const union = i.keyword === 'const' && m ? m[1]! : i.keyword === 'anyOf' ? sp : null;
    const allowed = union === null ? null : allowedOf(union);
    if (union === null || allowed === null) {
      out.push(i);
      continue;
    }
    const key = `${str(i.instancePath)} ${union}`;
    if (done.has(key)) continue;
    done.add(key);
    out.push({
      keyword: 'enum',
      instancePath: i.instancePath,
      schemaPath: union,
      params: { allowedValues: allowed },
      message: 'must be equal to one of the allowed values',
    });
  }
  return out;
}

/** TypeBox validation whose enumeration issues list every allowed value once ({@link enumIssues}). */
export const validatorCompiler: typeof TypeBoxValidatorCompiler = (route) => {
  const validate = TypeBoxValidatorCompiler(route);
  const required = (route.schema as { required?: unknown }).required;
  return (value) => {
    if (
      route.httpPart === 'body' &&
      (value === undefined || value === null) &&
      Array.isArray(required) &&
      required.length > 0
    ) {
      // No body at all where an object is required: name its fields, as for `{}`.
      const message = `must have required properties ${required.join(', ')}`;
      const issue = { keyword: 'required', instancePath: '', schemaPath: '#', params: {}, message };
      return { error: [issue] as FastifySchemaValidationError[] };
    }
    const r = validate(value);
    if (typeof r !== 'object' || r === null || !('error' in r) || !Array.isArray(r.error)) return r;
    return { error: enumIssues(route.schema, r.error) as FastifySchemaValidationError[] };
  };
};

/**
 * Schema issues as one problem per field: an enumeration (a union of constants or an enum)
 * lists its allowed values once instead of one "must be equal to constant" per value; a union
 * of other forms says what each form wanted; an instant names the forms taken.
 */
export function fieldProblems(context: string, issues: readonly ValidationIssue[]): FieldProblem[] {
  const branchesOf = (anyOf: ValidationIssue) => {
    const prefix = `${str(anyOf.schemaPath)}/anyOf/`;
    return issues.filter((i) => str(i.schemaPath).startsWith(prefix));
  };
  const inBranch = new Set<ValidationIssue>();
  for (const i of issues) if (i.keyword === 'anyOf') for (const b of branchesOf(i)) inBranch.add(b);
  const out: FieldProblem[] = [];
  const seen = new Set<string>();
  for (const i of issues) {
    if (inBranch.has(i)) continue;
    const path = str(i.instancePath);
    const field = `${context}${path}`;
    let problem: FieldProblem;
    if (i.keyword === 'anyOf') {
      const branches = branchesOf(i);
      const consts = branches.filter((b) => b.keyword === 'const' && str(b.instancePath) === path);
      const enums = branches.filter((b) => b.keyword === 'enum' && str(b.instancePath) === path);
      if (branches.length > 0 && consts.length + enums.length === branches.length) {
        const allowed = [
          ...new Set([
            ...consts.map((b) => paramsOf(b).allowedValue),
            ...enums.flatMap((b) => {
              const v = paramsOf(b).allowedValues;
              return Array.isArray(v) ? v : [];
            }),
          ]),
        ];
        problem = { field, message: `must be one of: ${allowed.map(String).join(', ')}`, allowed };
      } else {
        const forms = branches.map((b) => {
          const sub = str(b.instancePath).slice(path.length);
          const m = b.keyword === 'type' ? `must be ${String(paramsOf(b).type)}` : issueMessage(b);
          return sub === '' ? m.replace(/^must be /, '') : `${sub.slice(1)} ${m}`;
        });
        problem = { field, message: `must be ${[...new Set(forms)].join(', or ') || 'valid'}` };
      }
    } else {
      const p = paramsOf(i);
      problem =
        i.keyword === 'enum' && Array.isArray(p.allowedValues)
          ? { field, message: issueMessage(i), allowed: p.allowedValues }
          : { field, message: issueMessage(i) };
    }
    const key = `${problem.field} ${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(problem);
  }
  return out;
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
  if (Array.isArray(f.validation)) {
    const context = typeof f.validationContext === 'string' ? f.validationContext : 'request';
    const errors = fieldProblems(context, f.validation as ValidationIssue[]);
    if (errors.length === 0) return { status: 400, body: body(ApiErrorCode.ValidationFailed, message) };
    const text = errors.map((e) => `${e.field} ${e.message}`).join('; ');
    return { status: 400, body: body(ApiErrorCode.ValidationFailed, text, { errors }) };
  }
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
