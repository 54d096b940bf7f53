import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Clock, CollectionStatus, Store } from '@openhes/core';
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { Registry } from 'prom-client';
import type { LoginLimiter } from './auth/rate-limit.ts';
import type { HesMetrics } from './metrics.ts';
import type { ReadingPlanStore } from './plans.ts';

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
}

export interface ApiContext {
  store: Store;
  plans: ReadingPlanStore;
  acquisition: AcquisitionPort | undefined;
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
