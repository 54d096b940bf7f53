import type { DisconnectParameters } from '@openhes/core';
import type { DisconnectorState, SupplyControl } from '@openhes/drivers';
import type { Operation, OperationContext, OperationOutcome } from '../operation.ts';
import { inSession, need, notConfirmed, parametersOf, progressOf, sending } from './support.ts';

/** Control modes in which remote_reconnect only arms the relay (ready_for_reconnection). */
export const ARMING_MODES: readonly number[] = [1, 3, 5, 6];

function isDisconnected(s: DisconnectorState): boolean {
  return s.controlState === 0 && !s.outputState;
}

function isConnected(s: DisconnectorState): boolean {
  return s.controlState === 1 && s.outputState;
}

/** Armed: a remote reconnect in a mode that arms left the relay open, waiting for the button. */
function isArmed(s: DisconnectorState): boolean {
  return s.controlState === 2 && !s.outputState;
}

function stateResult(s: DisconnectorState): Record<string, unknown> {
  return { outputState: s.outputState, controlState: s.controlState, controlMode: s.controlMode };
}

function relay(ctx: OperationContext, supply: SupplyControl | undefined): SupplyControl {
  return need(supply, ctx.meter.id, 'no relay (the model has no disconnect control)');
}

/**
 * Final register read (stored as readings), remote_disconnect, state read back; one session.
 * After an attempt whose outcome is unknown the state is read first and nothing is resent
 * when the meter is already disconnected.
 */
export const disconnect: Operation = async (ctx) => {
  const p = parametersOf<DisconnectParameters>(ctx.command);
  const maybeSent = progressOf(ctx.command).step === 'disconnect-sending';
  return inSession(ctx, async (driver): Promise<OperationOutcome> => {
    const supply = relay(ctx, driver.supply);
    if (maybeSent) {
      const now = await supply.readDisconnector();
      if (isDisconnected(now)) {
        await ctx.saveProgress({ step: 'disconnect-confirmed' });
        return { result: { ...stateResult(now), sent: false, resumed: true } };
      }
    }
    let finalRead: number | null = null;
    if (p.finalRead !== false) {
      const values = await driver.readRegisters();
      await ctx.storeReadings(values);
      finalRead = values.length;
    }
    await ctx.saveProgress({ step: 'disconnect-sending' });
    const out = await sending(() => supply.disconnect());
    await ctx.saveProgress({ step: 'disconnect-sent' });
    if (!isDisconnected(out))
      throw notConfirmed(
        `meter ${ctx.meter.id}: the disconnector reads ${describe(out)} after remote_disconnect`,
        {
          ...stateResult(out),
        },
      );
    return { result: { ...stateResult(out), sent: out.sent, finalRead } };
  });
};

/**
 * remote_reconnect, state read back. In modes 1, 3, 5, 6 the relay is only armed
 * (control_state 2, output_state false): confirmed with `armed: true`.
 */
export const connect: Operation = async (ctx) => {
  const maybeSent = progressOf(ctx.command).step === 'connect-sending';
  return inSession(ctx, async (driver): Promise<OperationOutcome> => {
    const supply = relay(ctx, driver.supply);
    if (maybeSent) {
      const now = await supply.readDisconnector();
      if (isConnected(now) || (isArmed(now) && ARMING_MODES.includes(now.controlMode))) {
        await ctx.saveProgress({ step: 'connect-confirmed' });
        return { result: { ...stateResult(now), armed: isArmed(now), sent: false, resumed: true } };
      }
    }
    await ctx.saveProgress({ step: 'connect-sending' });
    const out = await sending(() => supply.reconnect());
    await ctx.saveProgress({ step: 'connect-sent' });
    if (isConnected(out)) return { result: { ...stateResult(out), armed: false, sent: out.sent } };
    if (isArmed(out) && ARMING_MODES.includes(out.controlMode))
      return { result: { ...stateResult(out), armed: true, sent: out.sent } };
    throw notConfirmed(
      `meter ${ctx.meter.id}: the disconnector reads ${describe(out)} after remote_reconnect`,
      {
        ...stateResult(out),
      },
    );
  });
};

function describe(s: DisconnectorState): string {
  const names = ['disconnected', 'connected', 'ready_for_reconnection'];
  return `control_state ${names[s.controlState] ?? s.controlState}, output_state ${s.outputState}, mode ${s.controlMode}`;
}
