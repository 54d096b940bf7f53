import type { ApiTokenStore, NewAuditEntry, User, UserStore } from '@openhes/core';
import { hashPassword, MIN_PASSWORD_LENGTH } from '../../auth/passwords.ts';
import { newPassword } from '../../auth/tokens.ts';
import { ApiError, ApiErrorCode } from '../../errors.ts';

/**
 * Account rules shared by the API (password change, admin reset, role change) and
 * `hes users reset-password` (local recovery): one password policy, one reset.
 */

/** Why a password is refused (undefined: acceptable). Length only; never echoes the password. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `must have at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > 1024) return 'must have at most 1024 characters';
  if (password.trim() === '') return 'must not be blank';
  return undefined;
}

export function checkPassword(field: string, password: string): void {
  const problem = passwordProblem(password);
  if (problem !== undefined)
    throw new ApiError(400, ApiErrorCode.ValidationFailed, `${field}: ${problem}`, {
      field,
      reason: 'PASSWORD_POLICY',
    });
}

/** Revokes the user's login sessions (tokens issued by POST /auth/login), but `keep`. */
export async function revokeSessions(tokens: ApiTokenStore, userId: number, keep?: number): Promise<number> {
  let revoked = 0;
  let cursor: string | null = null;
  do {
    const page = await tokens.forUser(userId, { limit: 500, ...(cursor === null ? {} : { cursor }) });
    for (const t of page.items) {
      if (t.id === keep || t.revokedAt !== null || !t.scopes.includes('session')) continue;
      await tokens.revoke(t.id);
      revoked++;
    }
    cursor = page.nextCursor;
  } while (cursor !== null);
  return revoked;
}

export interface PasswordReset {
  user: User;
  /** The generated one-time password (shown once); null when the caller gave the password. */
  generated: string | null;
  sessionsRevoked: number;
}

/**
 * Sets a user's password: the one given (policy checked) or a generated one-time password,
 * and revokes the user's login sessions (API tokens stay).
 */
export async function resetPassword(
  ports: { users: UserStore; tokens: ApiTokenStore },
  userId: number,
  given?: string,
): Promise<PasswordReset> {
  if (given !== undefined) checkPassword('password', given);
  const password = given ?? newPassword();
  const user = await ports.users.setPasswordHash(userId, await hashPassword(password));
  const sessionsRevoked = await revokeSessions(ports.tokens, userId);
  return { user, generated: given === undefined ? password : null, sessionsRevoked };
}

/** Enabled admins, ascending id. */
export async function enabledAdmins(users: UserStore): Promise<User[]> {
  const out: User[] = [];
  let cursor: string | null = null;
  do {
    const page = await users.list({ limit: 500, ...(cursor === null ? {} : { cursor }) });
    for (const u of page.items) if (u.role === 'admin' && !u.disabled) out.push(u);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

/** The audit entry of a password reset done outside the API (the CLI). */
export function passwordResetAudit(
  actor: string,
  user: Pick<User, 'id' | 'name'>,
  r: Pick<PasswordReset, 'generated' | 'sessionsRevoked'>,
  via: string,
): NewAuditEntry {
  return {
    actor,
    action: 'user.password-reset',
    target: `user:${user.id}`,
    outcome: 'succeeded',
    detail: { via, name: user.name, generated: r.generated !== null, sessionsRevoked: r.sessionsRevoked },
  };
}
