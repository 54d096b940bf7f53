/** The contract suites of the bus ports; run them against every adapter (tests only). */
export { type EventBusFactory, type EventBusFixture, eventBusContract } from './event-bus.ts';
export { type LeaseFactory, type LeaseFixture, leaseContract } from './lease.ts';
export { codedRejection, eventually, sleep } from './util.ts';
export { type WorkQueueFactory, workQueueContract } from './work-queue.ts';
