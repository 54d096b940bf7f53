import type { Instant } from '../paging.ts';
import type { KeyPurpose } from './meter.ts';

export const Role = {
  admin: 'admin',
  operator: 'operator',
  viewer: 'viewer',
  integration: 'integration',
} as const;
export type Role = (typeof Role)[keyof typeof Role];

export interface NewUser {
  name: string;
  displayName: string;
  role: Role;
  /** Password hash in PHC string form; null for token-only principals. */
  passwordHash: string | null;
  /** The approver right: may approve another user's command or campaign (default false). */
  approver?: boolean;
}

export interface User extends NewUser {
  id: number;
  approver: boolean;
  disabled: boolean;
  createdAt: Instant;
}

export interface NewApiToken {
  userId: number;
  name: string;
  /** Hash of the secret; the secret itself is shown once and never stored. */
  tokenHash: string;
  scopes: string[];
  expiresAt: Instant | null;
}

export interface ApiToken extends NewApiToken {
  id: number;
  createdAt: Instant;
  revokedAt: Instant | null;
}

/** A meter key encrypted under a key-encryption key held outside the store. */
export interface WrappedKey {
  meterId: number;
  purpose: KeyPurpose;
  version: number;
  kekId: string;
  wrapped: Uint8Array;
  createdAt: Instant;
}

export type NewWrappedKey = Omit<WrappedKey, 'version' | 'createdAt'>;

/**
 * Identifies one DLMS invocation counter: `tx` counters are the ones we send with (must be
 * reserved before use so a crash never reuses one), `rx` the ones we accept from the meter.
 */
export interface CounterKey {
  meterId: number;
  direction: 'tx' | 'rx';
  /** Key purpose the counter belongs to (`guek` for unicast). */
  purpose: KeyPurpose;
}

/** What an operator's counter resync read from the meter and set. */
export interface CounterResync {
  meterId: number;
  /** The association it was read over (authenticated with the meter's keys). */
  association: string;
  /** The meter's counter object and the value it gave. */
  counterObject: string;
  meterCounter: number;
  /** The highest counter the meter's authenticated responses carried in the resync session. */
  authenticated: number;
  /** The head end's floor before (null: none stored) and after. */
  previous: number | null;
  floor: number;
}
