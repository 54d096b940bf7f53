import type { Instant, Page, PageRequest } from '../paging.ts';

/**
 * Head-end managed prepayment: an account per meter with a money balance kept as an
 * append-only ledger (the balance is the sum of its entries), top-ups idempotent by payment
 * reference, consumption charged from validated intervals, emergency credit, low-credit
 * alerts, friendly hours, and disconnection at zero / reconnection after a top-up through the
 * command engine. Money is integer minor units (cents), never a float. The engine lives in
 * @openhes/meter-data (prepayment/); this file holds the shapes and the store port.
 */

export const LedgerKind = {
  /** Consumption charged at the tariff (negative). */
  charge: 'charge',
  /** A payment credited (positive), idempotent by its payment reference. */
  topUp: 'top-up',
  /** A correction by a user with a reason (either sign); a reversed top-up is one (negative). */
  adjustment: 'adjustment',
  /** Emergency credit granted (positive) or repaid from a top-up (negative). */
  emergencyCredit: 'emergency-credit',
} as const;
export type LedgerKind = (typeof LedgerKind)[keyof typeof LedgerKind];

/**
 * Supply state of an account (rules §3.4): `connected` (supply on), `disconnect-pending` (a
 * disconnect command is in flight), `disconnected` (confirmed by the meter), `reconnect-pending`
 * (a connect command in flight, retried until confirmed), `disconnect-failed` (retries used up:
 * a field work order), `closed` (no more charges or top-ups).
 */
export const AccountState = {
  connected: 'connected',
  disconnectPending: 'disconnect-pending',
  disconnected: 'disconnected',
  reconnectPending: 'reconnect-pending',
  disconnectFailed: 'disconnect-failed',
  closed: 'closed',
} as const;
export type AccountState = (typeof AccountState)[keyof typeof AccountState];

/** A daily window in local wall-clock time `HH:MM`; `end` <= `start` wraps over midnight. */
export interface FriendlyWindow {
  start: string;
  end: string;
}

/**
 * When supply is never cut (rules §3.3): daily windows (e.g. 18:00–08:00), whole weekdays
 * (1 = Monday … 7 = Sunday) and holidays (`YYYY-MM-DD` once, `MM-DD` every year), all in the
 * calendar's IANA time zone.
 */
export interface FriendlyCalendar {
  timeZone: string;
  windows: FriendlyWindow[];
  weekdays: number[];
  holidays: string[];
}

/** Per-account engine settings; every field has a default (see DEFAULT_PREPAYMENT_SETTINGS). */
export interface PrepaymentSettings {
  /** Alert tiers in percent of the last top-up, notified once each per top-up (default 30, 10, 0). */
  alertThresholdsPct: number[];
  /** Emergency credit granted on request (minor units; 0: none). */
  emergencyCreditAmount: number;
  /** EC is offered only while the balance is at or below this (minor units). */
  emergencyCreditThreshold: number;
  /** Grant EC automatically when the balance reaches the threshold (default false: on request). */
  emergencyCreditAuto: boolean;
  friendly: FriendlyCalendar;
  /** Largest single top-up accepted (minor units): anything above is refused as absurd. */
  maxTopUp: number;
  /** Reconnect when the balance is above this after a top-up (minor units, default 0). */
  reconnectMinimum: number;
  /** Disconnect attempts before a field work order (default 3). */
  disconnectAttempts: number;
  /** Delay before re-requesting a failed or expired command (ms, default 60 s). */
  retryDelayMs: number;
}

export const DEFAULT_FRIENDLY_CALENDAR: FriendlyCalendar = {
  timeZone: 'UTC',
  windows: [{ start: '18:00', end: '08:00' }],
  weekdays: [7],
  holidays: [],
};

export const DEFAULT_PREPAYMENT_SETTINGS: PrepaymentSettings = {
  alertThresholdsPct: [30, 10, 0],
  emergencyCreditAmount: 0,
  emergencyCreditThreshold: 0,
  emergencyCreditAuto: false,
  friendly: DEFAULT_FRIENDLY_CALENDAR,
  maxTopUp: 10_000_000,
  reconnectMinimum: 0,
  disconnectAttempts: 3,
  retryDelayMs: 60_000,
};

/** The control command an account is waiting for (visible while pending). */
export interface PendingCommand {
  kind: 'connect' | 'disconnect';
  commandId: number;
  /** Commands requested for this transition so far (1 for the first). */
  attempt: number;
  requestedAt: Instant;
  /** Not re-requested before this instant (after a failure). */
  retryAt: Instant | null;
  lastError: string | null;
}

export interface NewPrepaymentAccount {
  meterId: number;
  /** ISO 4217 code. */
  currency: string;
  /** Digits of the minor unit (2 for cents). */
  minorDigits: number;
  /** Consumption is charged for intervals ending after this instant (default: creation time). */
  chargeFrom?: Instant;
  settings?: Partial<PrepaymentSettings>;
  createdBy: string;
}

export interface PrepaymentAccount {
  id: number;
  meterId: number;
  currency: string;
  minorDigits: number;
  /** Sum of every ledger entry (minor units). */
  balance: number;
  state: AccountState;
  settings: PrepaymentSettings;
  /** Amount and time of the last top-up (the base of the alert tiers); null before the first. */
  lastTopUp: number | null;
  lastTopUpAt: Instant | null;
  /** Tier percents already notified since the last top-up. */
  alertsSent: number[];
  /** Emergency credit granted and not yet repaid (minor units). */
  emergencyOutstanding: number;
  /** End of the last interval charged. */
  chargedThrough: Instant;
  /** Charges include estimated intervals, or data stopped: the balance is provisional. */
  provisional: boolean;
  pending: PendingCommand | null;
  /** Balance hit zero inside friendly hours: disconnection is held until this instant. */
  heldUntil: Instant | null;
  /** Compare-and-set counter of the account's engine fields. */
  version: number;
  createdBy: string;
  createdAt: Instant;
  updatedAt: Instant;
}

/** The engine fields of an account a compare-and-set update may write. */
export interface PrepaymentAccountPatch {
  state?: AccountState;
  settings?: PrepaymentSettings;
  alertsSent?: number[];
  provisional?: boolean;
  pending?: PendingCommand | null;
  heldUntil?: Instant | null;
}

export interface NewLedgerEntry {
  accountId: number;
  kind: LedgerKind;
  /** Minor units; a top-up > 0, a charge <= 0, an adjustment != 0. */
  amount: number;
  /**
   * Unique over the whole ledger when given: the payment reference of a top-up, or the
   * engine's key of a charge (so a repeated post is credited or charged once).
   */
  ref?: string | null;
  reason?: string | null;
  actor: string;
  /** Kind-specific facts (energy and interval span of a charge, tier, …). */
  detail?: Record<string, unknown> | null;
}

export interface LedgerEntry {
  id: number;
  accountId: number;
  kind: LedgerKind;
  amount: number;
  ref: string | null;
  reason: string | null;
  actor: string;
  detail: Record<string, unknown> | null;
  /** The account balance right after this entry (running sum, in ledger order). */
  balanceAfter: number;
  at: Instant;
}

/** What a post did: `duplicate` when the reference was already in the ledger (nothing added). */
export interface PostResult {
  entry: LedgerEntry;
  account: PrepaymentAccount;
  duplicate: boolean;
}

export interface PrepaymentAccountQuery extends PageRequest {
  state?: AccountState | readonly AccountState[];
  meterId?: number;
}

export interface LedgerQuery extends PageRequest {
  accountId: number;
  kind?: LedgerKind;
  /** By id: `asc` (default) or `desc` (newest first). */
  order?: 'asc' | 'desc';
}

export interface PrepaymentStore {
  /** One open (not closed) account per meter: a second is a conflict. */
  createAccount(account: NewPrepaymentAccount): Promise<PrepaymentAccount>;
  account(id: number): Promise<PrepaymentAccount | null>;
  /** The meter's open account, or null. */
  accountForMeter(meterId: number): Promise<PrepaymentAccount | null>;
  accounts(query: PrepaymentAccountQuery): Promise<Page<PrepaymentAccount>>;
  /**
   * Appends one entry and moves the balance in one transaction. A `ref` already in the ledger
   * adds nothing and returns the stored entry with `duplicate` (also when two posts race); the
   * same ref with another account, kind or amount is a conflict. `chargedThrough` (charges)
   * moves the account's charge cursor in the same transaction (never back); `emergency` adds
   * to the outstanding emergency credit (grant > 0, repayment < 0); `topUp` (top-ups) sets
   * the last top-up and clears the notified alert tiers.
   */
  post(
    entry: NewLedgerEntry,
    effects?: { chargedThrough?: Instant; emergency?: number; topUp?: boolean },
  ): Promise<PostResult>;
  entryByRef(ref: string): Promise<LedgerEntry | null>;
  ledger(query: LedgerQuery): Promise<Page<LedgerEntry>>;
  /** Writes engine fields only while the account is at `expectedVersion` (else a conflict). */
  update(id: number, expectedVersion: number, patch: PrepaymentAccountPatch): Promise<PrepaymentAccount>;
}
