import type { Clock, Role, Store } from '@openhes/core';
import { hashToken } from './tokens.ts';

export interface Principal {
  userId: number;
  name: string;
  role: Role;
  tokenId: number;
}

/** Resolves a bearer secret to its principal; null when unknown, revoked, expired or disabled. */
export async function resolveToken(
  store: Pick<Store, 'tokens' | 'users'>,
  clock: Clock,
  secret: string,
): Promise<Principal | null> {
  const token = await store.tokens.findByHash(hashToken(secret));
  if (!token || token.revokedAt !== null) return null;
  if (token.expiresAt !== null && token.expiresAt <= clock.now()) return null;
  const user = await store.users.get(token.userId);
  if (!user || user.disabled) return null;
  return { userId: user.id, name: user.name, role: user.role, tokenId: token.id };
}
