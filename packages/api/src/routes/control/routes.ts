import type { Api, ApiContext } from '../../context.ts';
import { campaignRoutes } from './campaigns.ts';
import { commandRoutes } from './commands.ts';
import { firmwareRoutes } from './firmware.ts';

/**
 * Meter control (issue 21): commands, campaigns, firmware images and the per-meter shortcuts.
 * Writes go through `ctx.control` (it validates, applies the two-person rule and audits each
 * request and outcome); reads go to the store.
 */
export function controlRoutes(app: Api, ctx: ApiContext): void {
  commandRoutes(app, ctx);
  campaignRoutes(app, ctx);
  firmwareRoutes(app, ctx);
}
