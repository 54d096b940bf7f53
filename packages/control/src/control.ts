import { assembleControl, type Control, type ControlDeps, type ControlOptions } from './assemble.ts';
import { OPERATIONS } from './operations/index.ts';

/**
 * Meter control for one process: the service the API and CLI call (ControlPort), the durable
 * command runner, and the relay watch, over the store, the vault and the collectors' sessions.
 * Call `start()` once the store is open and `stop()` before closing it.
 */
export function createControl(deps: ControlDeps, options: ControlOptions = {}): Control {
  return assembleControl({ ...deps, operations: OPERATIONS }, options);
}
