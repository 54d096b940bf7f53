/**
 * @openhes/bus: adapters of the bus ports of @openhes/core. In-process (the default, one
 * process): work queue, meter lease and leader lock, event bus; and the outbox relay that
 * moves the store's outbox onto any EventBus. The contract suites every adapter must pass are
 * exported as `@openhes/bus/contract` (tests only).
 */
export { createMemoryEventBus, type MemoryEventBus, type MemoryEventBusOptions } from './event-bus.ts';
export {
  createMemoryLeases,
  leaderKey,
  type MemoryLeaseOptions,
  type MemoryLeases,
  meterLeaseKey,
} from './leases.ts';
export { compilePattern } from './pattern.ts';
export { type OutboxRelay, type OutboxRelayOptions, startOutboxRelay } from './relay.ts';
export { createMemoryWorkQueue, type MemoryWorkQueueOptions } from './work-queue.ts';
