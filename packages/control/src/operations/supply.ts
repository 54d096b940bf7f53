import type { DisconnectParameters } from '@openhes/core';
import { ARMING_MODES, type DisconnectorState, type SupplyControl } from '@openhes/drivers';
import type { Operation, OperationContext, OperationOutcome } from '../operation.ts';
import { inSession, need, notConfirmed, parametersOf, progressOf, sending } from './support.ts';

/** Control modes in which remote_reconnect only arms the relay (cosem's, through drivers). */
export { ARMING_MODES } from '@openhes/drivers';

function isDisconnected(s: DisconnectorState): boolean {
  return s.controlState === 0 && !s.outputState;
}

function isConnected(s: DisconnectorState): boolean {
  return s.controlState === 1 && s.outputState;
}

/** Armed: a remote reconnect in a mode that arms left the relay open, waiting for the button. */
function isArmed(s: DisconnectorState): boolean {
  return s.controlState === 2 && !s.outputState && ARMING_MODES.has(s.controlMode);
}

function stateResult(s: DisconnectorState): Record<string, unknown> {
  return { outputState: s.outputState, controlState: s.controlState, controlMode: s.controlMode };
}

function relay(ctx: OperationContext, supply: SupplyControl | undefined): SupplyControl {
  return need(supply, ctx.meter.id, 'no relay (the model has no disconnect control)');
}

/**
 * Final register read (stored as readings), remote_disconnect, state read back; one session.
 * The driver reads the state before the method and sends nothing when the meter is already
 * disconnected (`sent: false`), so an attempt after an unknown outcome just asks again: the
 * final read, stored before the marker, is not repeated.
 */
export const disconnect: Operation = async (ctx) => {
  const p = parametersOf<DisconnectParameters>(ctx.command);
  const progress = progressOf(ctx.command);
  const resumed = typeof progress.step === 'string' && progress.step.startsWith('disconnect-');
  return inSession(ctx, async (driver): Promise<OperationOutcome> => {
    const supply = relay(ctx, driver.supply);
    let finalRead: number | null =
      resumed && typeof progress.finalRead === 'number' ? progress.finalRead : null;
    if (!resumed && p.finalRead !== false) {
      const values = await driver.readRegisters();
      await ctx.storeReadings(values);
      finalRead = values.length;
    }
    if (!resumed) await ctx.saveProgress({ step: 'disconnect-sending', finalRead });
    const out = await sending(() => supply.disconnect());
    // Confirmed: the runner writes the outcome next, no marker needed in between (a crash
    // before it resumes from 'disconnect-sending', where the driver reads the relay first).
    if (!isDisconnected(out)) {
      await ctx.saveProgress({ step: out.sent ? 'disconnect-sent' : 'disconnect-confirmed' });
      throw notConfirmed(
        `meter ${ctx.meter.id}: the disconnector reads ${describe(out)} after remote_disconnect`,
        stateResult(out),
      );
    }
    return { result: { ...stateResult(out), sent: out.sent, finalRead, ...(resumed ? { resumed } : {}) } };
  });
};

/**
 * remote_reconnect, state read back. In modes 1, 3, 5, 6 the relay is only armed
 * (control_state 2, output_state false): confirmed with `armed: true`. The driver sends
 * nothing when the relay is already connected (or armed in such a mode), which is also how an
 * attempt after an unknown outcome finds out.
 */
export const connect: Operation = async (ctx) => {
  const step = progressOf(ctx.command).step;
  const resumed = typeof step === 'string' && step.startsWith('connect-');
  return inSession(ctx, async (driver): Promise<OperationOutcome> => {
    const supply = relay(ctx, driver.supply);
    if (!resumed) await ctx.saveProgress({ step: 'connect-sending' });
    const out = await sending(() => supply.reconnect());
    const extra = { sent: out.sent, ...(resumed ? { resumed } : {}) };
    // Confirmed: the runner writes the outcome next (see disconnect); the marker only otherwise.
    if (isConnected(out)) return { result: { ...stateResult(out), armed: false, ...extra } };
    if (isArmed(out)) return { result: { ...stateResult(out), armed: true, ...extra } };
    await ctx.saveProgress({ step: out.sent ? 'connect-sent' : 'connect-confirmed' });
    throw notConfirmed(
      `meter ${ctx.meter.id}: the disconnector reads ${describe(out)} after remote_reconnect`,
      stateResult(out),
    );
  });
};

function describe(s: DisconnectorState): string {
  const names = ['disconnected', 'connected', 'ready_for_reconnection'];
  return `control_state ${names[s.controlState] ?? s.controlState}, output_state ${s.outputState}, mode ${s.controlMode}`;
}
