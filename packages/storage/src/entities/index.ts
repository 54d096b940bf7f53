import type { Store } from '@openhes/core';
import { createBillingStore } from './billing.ts';
import { createCampaignStore } from './campaigns.ts';
import { createCommandStore } from './commands.ts';
import type { EntityContext } from './context.ts';
import { createFirmwareStore } from './firmware.ts';
import { createHealthStore } from './health.ts';
import { createChannelStore, createMeterStore, createTopologyStore } from './meters.ts';
import { createOutboxStore } from './outbox.ts';
import { createPlanStore } from './plans.ts';
import { createPrepaymentStore } from './prepayment.ts';
import { createAuditStore, createCollectionStore, createEventStore } from './records.ts';
import { createCounterStore, createKeyStore, createTokenStore, createUserStore } from './security.ts';
import { createVeeStore } from './vee.ts';

/** What each engine builds itself: readings (its own tables and bulk path) and maintenance. */
export type EngineStores = Pick<Store, 'readings' | 'maintenance' | 'close'>;

/**
 * The one assembly of a store: every entity store written once in SQL that both engines
 * run (through the context's dialect), plus the engine's own readings and maintenance.
 */
export function assembleStore(ctx: EntityContext, engine: EngineStores): Store {
  const topology = createTopologyStore(ctx);
  return {
    meters: createMeterStore(ctx, topology),
    topology,
    channels: createChannelStore(ctx),
    readings: engine.readings,
    events: createEventStore(ctx),
    collection: createCollectionStore(ctx),
    commands: createCommandStore(ctx),
    campaigns: createCampaignStore(ctx),
    firmware: createFirmwareStore(ctx),
    audit: createAuditStore(ctx),
    users: createUserStore(ctx),
    tokens: createTokenStore(ctx),
    keys: createKeyStore(ctx),
    counters: createCounterStore(ctx),
    maintenance: engine.maintenance,
    plans: createPlanStore(ctx),
    health: createHealthStore(ctx),
    outbox: createOutboxStore(ctx),
    vee: createVeeStore(ctx),
    billing: createBillingStore(ctx),
    prepayment: createPrepaymentStore(ctx),
    close: engine.close,
  };
}
