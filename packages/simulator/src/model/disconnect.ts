import { invalidateEnergy } from '../truth/energy.ts';
import type { MeterTruth } from '../truth/meter.ts';
import type { MeterState } from '../truth/state.ts';
import type { Instant } from '../truth/time.ts';
import { eventCode, Result, record, stateOf } from './control-base.ts';

/**
 * Disconnect control (class 70): the Blue Book state machine of control-objects.md §1.2/§1.3.
 *
 *   control_state 0 disconnected, 1 connected, 2 ready_for_reconnection.
 *   a remote_reconnect 0→1 (modes 2, 4, 7)     b remote_disconnect 1→0 (modes 1–7)
 *   c remote_disconnect 2→0 (modes 1–7)        d remote_reconnect 0→2 (modes 1, 3, 5, 6)
 *   e manual_reconnect 2→1 (modes 1–7)         f manual_disconnect 1→2 (modes 1, 2, 5)
 *   g local_disconnect 1→2 (modes 1–7)         h local_reconnect 2→1 (modes 5, 6, 7)
 *   i remote_reconnect 2→1 (mode 7)
 *
 * Mode 0 allows nothing: the object stays as it is and every method is refused. A remote
 * method whose target state already holds (disconnect when disconnected, reconnect when
 * connected, reconnect when armed in modes 1, 3, 5, 6) is a success that changes nothing, so a
 * retried command is harmless. Any other transition the mode does not allow (remote_reconnect
 * from ready_for_reconnection in modes 2 and 4) answers other-reason (250). Every relay move is
 * logged in the control log with the profile's codes ("Load disconnected" / "Load connected").
 */
export const DEFAULT_CONTROL_MODE = 4;

export type ControlTrigger =
  | 'remote_disconnect'
  | 'remote_reconnect'
  | 'manual_disconnect'
  | 'manual_reconnect'
  | 'local_disconnect'
  | 'local_reconnect';

export interface RelayView {
  output: boolean;
  /** control_state: 0 disconnected, 1 connected, 2 ready for reconnection. */
  control: number;
  mode: number;
}

export function relayView(m: MeterTruth, t: Instant): RelayView {
  const s = m.state;
  const output = m.relayConnectedAt(t);
  return {
    output,
    control: output ? 1 : s?.readyForReconnection ? 2 : 0,
    mode: s?.controlMode ?? DEFAULT_CONTROL_MODE,
  };
}

type Cause = MeterState['relay'][number]['cause'];

/** Closes or opens the relay at `at` (a no-op when it already is so); logs the change. */
export function setRelay(m: MeterTruth, at: Instant, connected: boolean, cause: Cause): void {
  const s = stateOf(m);
  if (m.relayConnectedAt(at) === connected) return;
  s.relay.push({ at, connected, cause });
  record(
    s,
    at,
    'control',
    connected
      ? eventCode(m, 'control', 'Load connected', 302)
      : eventCode(m, 'control', 'Load disconnected', 301),
  );
  if (s.limiter !== undefined) {
    s.limiter.overRun = 0;
    s.limiter.underRun = 0;
    if (connected) {
      s.limiter.watchFrom = at;
      s.limiter.checkedTo = Math.max(s.limiter.checkedTo, at);
    }
  }
  invalidateEnergy(m, at);
}

const MANUAL_DISCONNECT = new Set([1, 2, 5]);
const LOCAL_RECONNECT = new Set([5, 6, 7]);
const DIRECT_RECONNECT = new Set([2, 4, 7]);

/** The state a trigger leads to from `control` in `mode`; undefined = not allowed. */
export function transition(mode: number, control: number, trigger: ControlTrigger): number | undefined {
  if (mode < 1 || mode > 7) return undefined;
  switch (trigger) {
    case 'remote_disconnect':
      return control === 1 || control === 2 ? 0 : undefined;
    case 'remote_reconnect':
      if (control === 0) return DIRECT_RECONNECT.has(mode) ? 1 : 2;
      return control === 2 && mode === 7 ? 1 : undefined;
    case 'manual_disconnect':
      return control === 1 && MANUAL_DISCONNECT.has(mode) ? 2 : undefined;
    case 'manual_reconnect':
      return control === 2 ? 1 : undefined;
    case 'local_disconnect':
      return control === 1 ? 2 : undefined;
    case 'local_reconnect':
      return control === 2 && LOCAL_RECONNECT.has(mode) ? 1 : undefined;
  }
}

const CAUSE: Record<ControlTrigger, Cause> = {
  remote_disconnect: 'remote',
  remote_reconnect: 'remote',
  manual_disconnect: 'manual',
  manual_reconnect: 'manual',
  local_disconnect: 'limiter',
  local_reconnect: 'local',
};

/**
 * Applies a trigger at `at`; returns true when the object moved. A local trigger from the
 * limiter passes cause 'limiter' (disconnect) or 'local' (reconnect).
 */
export function trigger(m: MeterTruth, at: Instant, t: ControlTrigger): boolean {
  const v = relayView(m, at);
  const to = transition(v.mode, v.control, t);
  if (to === undefined) return false;
  const s = stateOf(m);
  if (to === 1) setRelay(m, at, true, CAUSE[t]);
  else setRelay(m, at, false, CAUSE[t]);
  s.readyForReconnection = to === 2;
  return true;
}

/** Methods 1 (remote_disconnect) and 2 (remote_reconnect); returns an Action-Result. */
export function disconnectMethod(m: MeterTruth, method: number, now: Instant): number {
  if (method !== 1 && method !== 2) return Result.undefined;
  const v = relayView(m, now);
  if (v.mode === 0) return Result.other;
  const t: ControlTrigger = method === 1 ? 'remote_disconnect' : 'remote_reconnect';
  if (trigger(m, now, t)) return Result.success;
  const already =
    method === 1 ? v.control === 0 : v.control === 1 || (v.control === 2 && !DIRECT_RECONNECT.has(v.mode));
  return already ? Result.success : Result.other;
}

/** Control mode write (attr 4): enum 0..7. */
export function writeControlMode(m: MeterTruth, mode: number | undefined): number {
  if (mode === undefined || !Number.isInteger(mode)) return Result.typeUnmatched;
  if (mode < 0 || mode > 7) return Result.other;
  stateOf(m).controlMode = mode;
  return Result.success;
}
