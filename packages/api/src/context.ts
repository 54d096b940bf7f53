import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  BillingPort,
  Clock,
  CollectionStatus,
  ControlPort,
  CounterResync,
  Meter,
  PrepaymentPort,
  SecretVault,
  Store,
  VeePort,
} from '@openhes/core';
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { Registry } from 'prom-client';
import type { LoginLimiter } from './auth/rate-limit.ts';
import type { HesMetrics } from './metrics.ts';

export interface OnDemandResult {
  status: CollectionStatus;
  errorCode: string | null;
  readingsStored: number;
  eventsStored: number;
  durationMs: number;
}

/**
 * What the API needs from acquisition. Errors thrown carry a stable `code` and `retryable`
 * (the acquisition error base).
 */
export interface AcquisitionPort {
  readNow(meterId: number, reads?: readonly string[]): Promise<OnDemandResult>;
  /** Resets the meter's rx invocation counter floor to its own counter, read over an authenticated association. */
  resyncCounter?(meterId: number): Promise<CounterResyncResult>;
}

/** What a counter resync read from the meter and set (routes/security). */
export type CounterResyncResult = CounterResync;

/**
 * The text a device profile gives an event: by the meter's device profile, the event log's
 * OBIS code (dotted, as stored) and the code; undefined when the profile does not know it.
 */
export type EventTextLookup = (deviceProfile: string, log: string, code: number) => string | undefined;

export interface ApiContext {
  store: Store;
  acquisition: AcquisitionPort | undefined;
  /** Meter control (commands, campaigns, firmware uploads); its write routes answer 503 without it. */
  control: ControlPort | undefined;
  /** Meter data (issue 14); each one's routes answer 503 (VEE_/BILLING_/PREPAYMENT_UNAVAILABLE) without it. */
  vee?: VeePort | undefined;
  billing?: BillingPort | undefined;
  prepayment?: PrepaymentPort | undefined;
  /** Device profiles the head end knows; imports naming another are refused. Unchecked when absent. */
  deviceProfiles: ReadonlySet<string> | undefined;
  /** Where secrets of imported meters go; imports carrying secrets are refused without it. */
  vault: SecretVault | undefined;
  /** Event texts of the device profiles; events are listed without text when absent. */
  eventText: EventTextLookup | undefined;
  /** Announces a meter created or updated through the API (bus `meter.changed`). */
  onMeterChange(meter: Meter): void;
  /** Announces a plan created, replaced or deleted through the API (bus `plan.changed`). */
  onPlanChange(planId: number): void;
  clock: Clock;
  metrics: HesMetrics;
  registry: Registry;
  limiter: LoginLimiter;
  sessionTtlMs: number;
}

export type Api = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse<IncomingMessage>,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;
