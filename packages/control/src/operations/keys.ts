import { randomBytes } from 'node:crypto';
import {
  type CounterKey,
  ErrorKind,
  type KeyPurpose,
  type KeyRotationParameters,
  type Meter,
  type SecurityActivateParameters,
} from '@openhes/core';
import { DriverErrorCode, type GlobalKey } from '@openhes/drivers';
import { ControlError, ControlErrorCode } from '../errors.ts';
import type { Operation, OperationContext } from '../operation.ts';
import { inSession, need, notConfirmed, parametersOf, progressOf, sending, unsupported } from './support.ts';

export interface KeyOptions {
  /**
   * Whether the meter restarts its own invocation counter when this key changes, so the stored
   * rx floor must restart too (default: when the unicast encryption key changes).
   */
  counterResetsOnKeyChange?: (meter: Meter, purpose: KeyPurpose) => boolean;
  /** New key material (default node:crypto randomBytes). */
  newKey?: () => Uint8Array;
}

type Which = 'authentication' | 'encryption';

/** The rotated keys: the vault's purpose and the security setup's key_id. */
export const ROTATED_KEYS: Readonly<Record<Which, { purpose: KeyPurpose; key: GlobalKey }>> = {
  authentication: { purpose: 'gak', key: 'authentication' },
  encryption: { purpose: 'guek', key: 'unicastEncryption' },
};

const DEFAULT_ORDER: readonly Which[] = ['authentication', 'encryption'];
const KEY_BYTES = 16;

type Probe = 'ok' | 'refused' | 'replay' | 'link';

function driverCode(e: unknown): string | undefined {
  if (!(e instanceof ControlError)) return undefined;
  const code = e.detail?.driverCode;
  return typeof code === 'string' ? code : undefined;
}

/** Opens an association with the purpose's current or pending key and reads the clock. */
async function probe(
  ctx: OperationContext,
  purpose: KeyPurpose,
  which: 'current' | 'pending',
): Promise<Probe> {
  try {
    await inSession(ctx, (driver) => driver.readClock(), { [purpose]: which });
    return 'ok';
  } catch (e) {
    const code = driverCode(e);
    if (code === DriverErrorCode.Replay) return 'replay';
    if (
      code === DriverErrorCode.AssociationRejected ||
      code === DriverErrorCode.Security ||
      code === DriverErrorCode.Refused
    )
      return 'refused';
    if (e instanceof ControlError && e.code === ControlErrorCode.Link) return 'link';
    throw e;
  }
}

function keysRefused(
  ctx: OperationContext,
  which: Which,
  detail: Record<string, unknown> = {},
): ControlError {
  return new ControlError(
    ErrorKind.conflict,
    ControlErrorCode.KeysRefused,
    `meter ${ctx.meter.id}: neither the new nor the current ${which} key opens an association`,
    { detail: { key: which, ...detail }, retryable: false },
  );
}

function linkUnknown(ctx: OperationContext, which: Which): ControlError {
  return new ControlError(
    ErrorKind.unavailable,
    ControlErrorCode.Link,
    `meter ${ctx.meter.id}: could not tell whether the meter took the new ${which} key (link)`,
    { detail: { key: which }, retryable: true, outcomeUnknown: true },
  );
}

/**
 * Rotation of the authentication then the encryption key (or those asked for), one
 * global_key_transfer per key: the new key is stored as pending first, transferred wrapped
 * under the meter's master key, then confirmed by a new association with it (clock read) and
 * only then promoted. An attempt after an unknown outcome tries the pending key first, then
 * the current: pending works → promoted; current works → transferred again; neither →
 * CONTROL_KEYS_REFUSED.
 */
export function keyRotation(options: KeyOptions = {}): Operation {
  const resets = options.counterResetsOnKeyChange ?? ((_m: Meter, purpose: KeyPurpose) => purpose === 'guek');
  const newKey = options.newKey ?? (() => new Uint8Array(randomBytes(KEY_BYTES)));

  return async (ctx) => {
    const meterId = ctx.meter.id;
    const order = parametersOf<KeyRotationParameters>(ctx.command).keys ?? DEFAULT_ORDER;
    const progress = progressOf(ctx.command);
    const done = new Set<string>(Array.isArray(progress.keysDone) ? (progress.keysDone as string[]) : []);
    const keyRefs: Record<string, string> =
      typeof progress.keyRefs === 'object' && progress.keyRefs !== null
        ? { ...(progress.keyRefs as Record<string, string>) }
        : {};
    const rx: CounterKey = { meterId, direction: 'rx', purpose: 'guek' };
    const transfers: Record<string, number> = {};

    for (const which of order) {
      if (done.has(which)) continue;
      const { purpose, key } = ROTATED_KEYS[which];
      const resetsCounter = resets(ctx.meter, purpose);
      const inFlight =
        progress.key === which && typeof progress.step === 'string' && progress.step.startsWith('transfer');
      // The floor the meter's counter had before a reset of ours (restored when the new key is not taken).
      let floorBefore: number | null =
        inFlight && typeof progress.floorBefore === 'number' ? progress.floorBefore : null;

      const restoreFloor = async () => {
        if (resetsCounter && floorBefore !== null) await ctx.counters.resetReceived(rx, floorBefore);
      };
      const tryPending = async (): Promise<Probe> => {
        if (resetsCounter) {
          const previous = await ctx.counters.resetReceived(rx, 0);
          if (floorBefore === null && previous !== null && previous > 0) {
            floorBefore = previous;
            await ctx.saveProgress({ floorBefore });
          }
        }
        let r = await probe(ctx, purpose, 'pending');
        // An authenticated answer under the new key whose counter restarted: the meter took it.
        if (r === 'replay') {
          await ctx.counters.resetReceived(rx, 0);
          r = await probe(ctx, purpose, 'pending');
        }
        return r;
      };
      const promote = async () => {
        const ref = await ctx.vault.promotePending(meterId, purpose);
        if (ref !== null) keyRefs[purpose] = ref;
        done.add(which);
        await ctx.saveProgress({
          key: null,
          step: 'key-done',
          keysDone: [...done],
          keyRefs,
          floorBefore: null,
        });
      };

      let pending = await ctx.vault.getPending(meterId, purpose);
      if (inFlight) {
        if (pending !== null) {
          const p = await tryPending();
          if (p === 'ok') {
            await promote();
            continue;
          }
          await restoreFloor();
          const c = await probe(ctx, purpose, 'current');
          if (c !== 'ok') {
            if (p === 'link' || c === 'link') throw linkUnknown(ctx, which);
            throw keysRefused(ctx, which);
          }
          // The current key still works: the meter did not take the pending one; send it again.
        } else {
          const c = await probe(ctx, purpose, 'current');
          if (c === 'link') throw linkUnknown(ctx, which);
          if (c !== 'ok') throw keysRefused(ctx, which, { pending: false });
        }
      }

      for (let round = 0; ; round++) {
        if (pending === null) {
          pending = newKey();
          await ctx.vault.putPending(meterId, purpose, pending);
        }
        const material = pending;
        await ctx.saveProgress({ key: which, step: 'transfer-sending', keysDone: [...done], keyRefs });
        await inSession(ctx, async (driver) => {
          const keys = need(driver.keys, meterId, 'no security setup for key transfer');
          const kek = await ctx.vault.get(meterId, 'kek');
          if (kek === null)
            throw unsupported(`meter ${meterId}: no master key (kek) stored; keys cannot be transferred`);
          await sending(() => keys.changeKey(key, material, kek));
        });
        transfers[which] = (transfers[which] ?? 0) + 1;
        await ctx.saveProgress({ step: 'transfer-sent' });
        const p = await tryPending();
        if (p === 'ok') {
          await promote();
          break;
        }
        await restoreFloor();
        const c = await probe(ctx, purpose, 'current');
        if (c !== 'ok') {
          if (p === 'link' || c === 'link') throw linkUnknown(ctx, which);
          throw keysRefused(ctx, which);
        }
        if (round >= 1) {
          await ctx.vault.discardPending(meterId, purpose);
          await ctx.saveProgress({ key: null, step: 'key-not-taken', floorBefore: null });
          throw notConfirmed(
            `meter ${meterId}: the meter answered the transfer of the ${which} key but kept its current key`,
            {
              key: which,
            },
          );
        }
      }
    }
    return {
      result: { keys: [...order], transfers },
      ...(Object.keys(keyRefs).length > 0
        ? { meterPatch: { keyRefs: { ...ctx.meter.keyRefs, ...keyRefs } } }
        : {}),
    };
  };
}

/**
 * security_activate with the policy; confirmed by security_policy read in a new association
 * (the policy applies to associations opened after it). Not sent when the meter already has it.
 */
export const securityActivate: Operation = async (ctx) => {
  const { policy } = parametersOf<SecurityActivateParameters>(ctx.command);
  const already = await inSession(ctx, async (driver) => {
    const keys = need(driver.keys, ctx.meter.id, 'no security setup');
    const before = await keys.readSecuritySetup();
    if (before.policy === policy) return true;
    await ctx.saveProgress({ step: 'security-sending', from: before.policy });
    await sending(() => keys.activateSecurity(policy));
    await ctx.saveProgress({ step: 'security-sent' });
    return false;
  });
  const after = await inSession(ctx, async (driver) =>
    need(driver.keys, ctx.meter.id, 'no security setup').readSecuritySetup(),
  );
  if (after.policy !== policy)
    throw notConfirmed(`meter ${ctx.meter.id}: security_policy reads ${after.policy}, asked ${policy}`, {
      asked: policy,
      read: after.policy,
    });
  return { result: { policy: after.policy, suite: after.suite, sent: !already } };
};
