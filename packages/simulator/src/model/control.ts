import type { FleetView } from '../truth/meter.ts';
import type { ControlBehaviour } from '../truth/state.ts';
import type { Instant } from '../truth/time.ts';
import { firmwareAt } from '../truth/values.ts';
import { setFleetBehaviour, stateOf } from './control-base.ts';
import { type RelayView, relayView, trigger } from './disconnect.ts';
import { settleImage } from './image.ts';
import { methodKey } from './method-counts.ts';

/**
 * What tests, the bench and twins use to look at and act on simulated meters' control objects
 * from outside DLMS. `fleet` is a Fleet's `truth` (or any FleetView).
 */
export { DEFAULT_CONTROL_MODE, type RelayView, transition } from './disconnect.ts';
export { type AnyImageOptions, setAcceptAnyImage } from './image.ts';
export { buildImage, imageBlocks, parseImage, type SimulatedImage } from './image-format.ts';
export {
  journalMethods,
  type MeterMethodCounts,
  methodKey,
  readMethodJournal,
} from './method-counts.ts';
export type { ControlBehaviour };

/** The customer presses the meter's button to reconnect (transition e: ready → connected). */
export function manualReconnect(fleet: FleetView, index: number, at: Instant): boolean {
  return trigger(fleet.meter(index), at, 'manual_reconnect');
}

/** The customer presses the meter's button to disconnect (transition f, modes 1, 2, 5). */
export function manualDisconnect(fleet: FleetView, index: number, at: Instant): boolean {
  return trigger(fleet.meter(index), at, 'manual_disconnect');
}

/**
 * The meter opens its relay by itself (transition g, every mode but 0: the limiter or the
 * supervision trips it): ready_for_reconnection, cause 'limiter'.
 */
export function localDisconnect(fleet: FleetView, index: number, at: Instant): boolean {
  return trigger(fleet.meter(index), at, 'local_disconnect');
}

/** output_state, control_state and control_mode as the meter would answer at `at`. */
export function relayState(fleet: FleetView, index: number, at: Instant): RelayView {
  return relayView(fleet.meter(index), at);
}

/** The active firmware identifier at `at` (what the firmware version object shows). */
export function activeFirmware(fleet: FleetView, index: number, at: Instant): string {
  const m = fleet.meter(index);
  settleImage(m, at);
  return firmwareAt(m, at);
}

/** Every method invocation meter `index` received, by "class/obis/method" (methodKey). */
export function methodCounts(fleet: FleetView, index: number): Record<string, number> {
  return { ...fleet.state(index)?.methodCalls };
}

export function methodCount(
  fleet: FleetView,
  index: number,
  classId: number,
  obis: string,
  method: number,
): number {
  return fleet.state(index)?.methodCalls?.[methodKey(classId, obis, method)] ?? 0;
}

/** Image blocks meter `index` received, and how many of them it already held. */
export function imageBlockCounts(fleet: FleetView, index: number): { received: number; duplicates: number } {
  return { received: 0, duplicates: 0, ...fleet.state(index)?.imageBlocks };
}

/** Overrides the control behaviour of one meter (image block size, verify and activate times). */
export function setControlBehaviour(fleet: FleetView, index: number, b: Partial<ControlBehaviour>): void {
  const s = stateOf(fleet.meter(index));
  s.behaviour = { ...s.behaviour, ...b };
}

/** Overrides the control behaviour of every meter of a fleet (per-meter overrides still win). */
export function setFleetControlBehaviour(fleet: FleetView, b: Partial<ControlBehaviour>): void {
  setFleetBehaviour(fleet, b);
}

/** Sets a meter's control mode as if written over DLMS (0..7), e.g. to prepare a test. */
export function setControlMode(fleet: FleetView, index: number, mode: number): void {
  if (!Number.isInteger(mode) || mode < 0 || mode > 7) throw new RangeError('control mode: 0 to 7');
  stateOf(fleet.meter(index)).controlMode = mode;
}
