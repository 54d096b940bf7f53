import type { CommandKind } from '@openhes/core';
import type { Operation } from '../operation.ts';
import { type ClockOptions, clockConfig, timeSync } from './clock.ts';
import { type FirmwareOptions, firmwareUpdate } from './firmware.ts';
import { type KeyOptions, keyRotation, securityActivate } from './keys.ts';
import { emergencyActivate, emergencyClear, loadLimit } from './limiter.ts';
import { pushSetup } from './push.ts';
import { connect, disconnect } from './supply.ts';
import { setCalendar, setSpecialDays } from './tariff.ts';

/** cosem's image block arithmetic, through drivers (control imports core and drivers only). */
export { imageBlockCount, missingBlocks } from '@openhes/drivers';
export { boundaryWait, DEFAULT_CAPTURE_PERIOD_SECONDS } from './clock.ts';
export { ROTATED_KEYS } from './keys.ts';
export { ARMING_MODES } from './supply.ts';
export { controlError } from './support.ts';
export { activityCalendar, calendarDifference, specialDays } from './tariff.ts';
export type { ClockOptions, FirmwareOptions, KeyOptions };

/** What the operations take from the meter's model and the deployment (all optional). */
export interface OperationOptions extends ClockOptions, KeyOptions {
  firmware?: FirmwareOptions;
}

/** The operation of every command kind, with the given options. */
export function createOperations(options: OperationOptions = {}): Record<CommandKind, Operation> {
  return {
    connect,
    disconnect,
    'load-limit': loadLimit,
    'emergency-activate': emergencyActivate,
    'emergency-clear': emergencyClear,
    'set-calendar': setCalendar,
    'set-special-days': setSpecialDays,
    'time-sync': timeSync(options),
    'clock-config': clockConfig,
    'firmware-update': firmwareUpdate(options.firmware),
    'key-rotation': keyRotation(options),
    'security-activate': securityActivate,
    'push-setup': pushSetup,
  };
}

/** The operations with their defaults (capture period 900 s, counter restart on an encryption key change). */
export const OPERATIONS: Record<CommandKind, Operation> = createOperations();
