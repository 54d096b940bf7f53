import { assembleControl, type Control, type ControlDeps, type ControlOptions } from './assemble.ts';
import { createOperations } from './operations/index.ts';
import { profileLookup, profileOperationOptions } from './profile-options.ts';

/**
 * Meter control for one process: the service the API and CLI call (ControlPort), the durable
 * command runner, and the relay watch, over the store, the vault and the collectors' sessions.
 * The operations take `options.operationOptions`, their per-meter values defaulting from the
 * meter's device profile when `deps.profiles` is given. Call `start()` once the store is open
 * and `stop()` before closing it.
 */
export function createControl(deps: ControlDeps, options: ControlOptions = {}): Control {
  const profileOf = deps.profiles === undefined ? undefined : profileLookup(deps.profiles);
  const operations = createOperations(profileOperationOptions(profileOf, options.operationOptions));
  return assembleControl({ ...deps, operations }, options);
}
