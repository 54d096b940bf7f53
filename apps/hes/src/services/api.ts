import { buildApi, ensureAdminUser, eventTextLookup } from '@openhes/api';
import { drawSocketsFrom } from '@openhes/transport';
import type { RunningService, ServiceContext } from './context.ts';
import { diskWatchFor, withDiskReadiness } from './maintenance.ts';
import { meterDataFor } from './meter-data.ts';

export interface RunningApi extends RunningService {
  url: string;
  port: number;
}

/**
 * The API service: the REST API over the store, announcing changes on the bus; on-demand
 * reads go to the collector when the collector service runs in this process. Creates the
 * admin user on first start (password from HES_ADMIN_PASSWORD, else printed once).
 */
export async function startApi(ctx: ServiceContext, env: NodeJS.ProcessEnv): Promise<RunningApi> {
  const { wired, io, options } = ctx;
  const admin = await ensureAdminUser(wired.store.users, env.HES_ADMIN_PASSWORD || undefined);
  if (admin.generatedPassword !== null) {
    io.out(`created user "admin" with one-time password: ${admin.generatedPassword}`);
    io.out('  (shown once; store it now — set HES_ADMIN_PASSWORD on first start to choose it instead)');
  } else if (admin.created) {
    io.out('created user "admin" with the password from HES_ADMIN_PASSWORD');
  }
  const app = await buildApi({
    store: withDiskReadiness(wired.store, diskWatchFor(ctx, env)),
    bus: wired.bus,
    vault: wired.vault,
    eventText: eventTextLookup(wired.profiles),
    // Plans and imports naming a device profile the head end did not load are refused.
    deviceProfiles: new Set(wired.profiles.keys()),
    ...(ctx.collection === undefined ? {} : { acquisition: ctx.collection.acquisition }),
    ...(ctx.control === undefined ? {} : { control: ctx.control }),
    ...meterDataFor(ctx).ports,
    metrics: wired.metrics,
    ...(env.HES_TRUST_PROXY === undefined ? {} : { trustProxy: env.HES_TRUST_PROXY }),
    logger: options.logLevel === 'silent' ? false : { level: options.logLevel },
  });
  // Each API connection takes a socket of the API's share: a push flood cannot take them.
  drawSocketsFrom(app.server, { budget: wired.sockets, use: 'api' });
  await app.listen({ port: options.port, host: options.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  io.out(`OpenHES API listening on ${url} (docs ${url}/docs, store ${wired.storeName})`);
  return {
    url,
    port,
    async stop() {
      await app.close();
    },
  };
}
