import { createHash, randomBytes } from 'node:crypto';

export const TOKEN_PREFIX = 'hes_';

/** 32 random bytes: high entropy, so one SHA-256 is enough to store them safely. */
export function newTokenSecret(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function hashToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** A printable one-time password for the first admin. */
export function newPassword(): string {
  return randomBytes(18).toString('base64url');
}

export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? (m[1] ?? null) : null;
}
