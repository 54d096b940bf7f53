/**
 * One error base for the COSEM model layer. `code` is stable; `retryable` is false for every
 * code here, because a malformed OBIS or a value of the wrong shape does not heal on retry.
 */
export const CosemErrorCode = {
  /** An OBIS code that does not parse or has a value group outside 0..255. */
  InvalidObis: 'COSEM_INVALID_OBIS',
  /** A DlmsData value whose shape does not match the attribute's type (`path` says where). */
  Shape: 'COSEM_SHAPE',
  /** A value that cannot be encoded into the attribute's type. */
  Encode: 'COSEM_ENCODE',
  /**
   * A device profile that cannot be used: a missing or unknown `extends`, a cycle, or a field
   * the validator refuses (`ProfileInvalidError.profile` and `.field` say which).
   */
  ProfileInvalid: 'COSEM_PROFILE_INVALID',
} as const;
export type CosemErrorCode = (typeof CosemErrorCode)[keyof typeof CosemErrorCode];

export interface CosemErrorOptions {
  retryable?: boolean;
  /** Where in the value the mismatch is, e.g. `object_list[3].access_rights`. */
  path?: string;
  cause?: unknown;
  detail?: Record<string, unknown>;
}

export class CosemError extends Error {
  readonly code: CosemErrorCode;
  readonly retryable: boolean;
  readonly path: string | undefined;
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: CosemErrorCode, message: string, options: CosemErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CosemError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.path = options.path;
    this.detail = options.detail;
  }
}

export function isCosemError(e: unknown): e is CosemError {
  return e instanceof CosemError;
}

/**
 * A device profile the resolver or validator refuses. `profile` is the profile id (or the file
 * name when the file has no id), `field` the path of the offending field in the resolved
 * profile, e.g. `objects[12].scaler` or `control.disconnect.association`; both are in `detail`.
 */
export class ProfileInvalidError extends CosemError {
  readonly profile: string;
  readonly field: string;

  constructor(profile: string, field: string, message: string, options: { cause?: unknown } = {}) {
    super(CosemErrorCode.ProfileInvalid, `device profile ${profile}: ${message}`, {
      path: field,
      detail: { profile, field },
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.name = 'ProfileInvalidError';
    this.profile = profile;
    this.field = field;
  }
}

export function isProfileInvalidError(e: unknown): e is ProfileInvalidError {
  return e instanceof ProfileInvalidError;
}
