import type { UserStore } from '@openhes/core';
import { hashPassword, MIN_PASSWORD_LENGTH } from './passwords.ts';
import { newPassword } from './tokens.ts';

export const ADMIN_USER = 'admin';

export interface AdminBootstrap {
  created: boolean;
  /** The generated one-time password; shown once, never stored in clear. */
  generatedPassword: string | null;
}

/**
 * Creates the `admin` user on first start, with `presetPassword` (HES_ADMIN_PASSWORD) or a
 * generated one. Does nothing when the user already exists.
 */
export async function ensureAdminUser(users: UserStore, presetPassword?: string): Promise<AdminBootstrap> {
  if (await users.getByName(ADMIN_USER)) return { created: false, generatedPassword: null };
  if (presetPassword !== undefined && presetPassword.length < MIN_PASSWORD_LENGTH) {
    throw new Error(`HES_ADMIN_PASSWORD must have at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  const password = presetPassword ?? newPassword();
  await users.create({
    name: ADMIN_USER,
    displayName: 'Administrator',
    role: 'admin',
    passwordHash: await hashPassword(password),
  });
  return { created: true, generatedPassword: presetPassword === undefined ? password : null };
}
