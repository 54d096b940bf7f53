import type {
  CollectedValue,
  Command,
  FirmwareImageStore,
  InvocationCounterStore,
  Meter,
  MeterPatch,
  NewMeterEvent,
  SecretVault,
} from '@openhes/core';
import type { MeterDriver } from '@openhes/drivers';
import type { SessionKeys } from './ports.ts';

/**
 * What an operation (one command kind's sequence) may use. The runner builds it per attempt.
 * An operation is written to be re-run: on entry it looks at `command.progress` (what an
 * earlier attempt, maybe in a process that was killed, recorded) and, where a non-idempotent
 * step may already have happened, reads the meter's state before deciding to send it.
 */
export interface OperationContext {
  readonly command: Command;
  readonly meter: Meter;
  /** Attempt number, from 1. */
  readonly attempt: number;
  /**
   * Runs `work` in a session on the command's meter (opened and closed around it; one at a
   * time). `keys` selects pending keys for a key rotation's confirming association.
   */
  session<T>(work: (driver: MeterDriver) => Promise<T>, keys?: SessionKeys): Promise<T>;
  /**
   * Persists the resume marker before (and after) each non-idempotent step; awaited, so a crash
   * after it leaves the marker in the store. Merged into `command.progress`.
   */
  saveProgress(progress: Record<string, unknown>): Promise<void>;
  /** Stores values read on the way (a disconnect's final register read) as readings. */
  storeReadings(values: readonly CollectedValue[]): Promise<void>;
  /** Records an event of the head end's own about the meter (e.g. a relay change nobody ordered). */
  recordEvent(event: Omit<NewMeterEvent, 'meterId'>): Promise<void>;
  readonly images: FirmwareImageStore;
  /** Meter keys; pending keys for rotation. Never log what it returns. */
  readonly vault: SecretVault;
  readonly counters: InvocationCounterStore;
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

export interface OperationOutcome {
  /** What the meter answered and was read back; stored on the command and audited. */
  result: Record<string, unknown>;
  /** Registry fields the outcome changes (e.g. the confirmed firmware version). */
  meterPatch?: MeterPatch;
}

/**
 * One command kind's sequence. Resolves only when the meter confirmed the outcome (read
 * back); rejects with ControlError (or a DriverError the runner maps): retryable ones are
 * retried, `outcomeUnknown` ones lead to a state read before any resend.
 */
export type Operation = (ctx: OperationContext) => Promise<OperationOutcome>;
