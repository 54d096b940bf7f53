import { createHash } from 'node:crypto';
import { ErrorKind, type FirmwareImage, type FirmwareUpdateParameters } from '@openhes/core';
import {
  DriverErrorCode,
  type FirmwareTransfer,
  type ImageTransferState,
  type ImageTransferStatus,
  isDriverError,
  missingBlocks,
} from '@openhes/drivers';
import { ControlError, ControlErrorCode } from '../errors.ts';
import type { Operation, OperationContext, OperationOutcome } from '../operation.ts';
import {
  ascii,
  controlError,
  inSession,
  need,
  parametersOf,
  progressOf,
  sameBytes,
  sending,
} from './support.ts';

export interface FirmwareOptions {
  /** Between two reads of image_transfer_status while the meter verifies or activates (default 10 s). */
  pollIntervalMs?: number;
  /** How long verification may stay at status 2 (default 60 s). */
  verifyTimeoutMs?: number;
  /** How long activation may stay at status 5 (default 60 s). */
  activationTimeoutMs?: number;
  /** Pause after an activation that dropped the link (the meter restarts) before confirming (default 30 s). */
  restartWaitMs?: number;
  /** Blocks between two saves of the blocks-sent count (default 64). */
  progressEveryBlocks?: number;
  /**
   * A timed activation through the meter's image activation schedule is checked this long
   * after its time (the meter's clock may lag; default 60 s). Until then the command waits in
   * the queue, holding no runner slot.
   */
  scheduleGraceMs?: number;
  /** Use the meter's image activation schedule where the driver offers it (default true); else wait in process. */
  useMeterSchedule?: boolean;
}

const Status = {
  notInitiated: 0,
  initiated: 1,
  verifying: 2,
  verified: 3,
  verifyFailed: 4,
  activating: 5,
  activated: 6,
  activationFailed: 7,
} as const;

/**
 * The meter's active firmware identifier, when the driver offers it (the firmware version
 * object of the device profile). Without it the activation is confirmed by
 * image_transfer_status 6 and image_to_activate_info naming the image.
 */
async function activeFirmware(fw: FirmwareTransfer): Promise<string | undefined> {
  return fw.readActiveFirmware === undefined ? undefined : fw.readActiveFirmware();
}

function failure(
  code: ControlErrorCode,
  message: string,
  detail: Record<string, unknown>,
  retryable = false,
): ControlError {
  return new ControlError(retryable ? ErrorKind.busy : ErrorKind.conflict, code, message, {
    detail,
    retryable,
  });
}

/**
 * The blocks still to send: the bitmap's gaps (cosem's missingBlocks) when its first gap is
 * attribute 4, else attribute 4 alone (a meter whose two attributes disagree).
 */
function blocksToSend(st: ImageTransferState, blockCount: number): number[] {
  const first = st.firstMissingBlock;
  if (first >= blockCount) return [];
  const missing = missingBlocks(st.transferredBlocks, blockCount);
  return missing[0] === first ? missing : [first];
}

/** The command waits in the queue until the meter's scheduled activation has run. */
function waitForSchedule(meterId: number, scheduledAt: number, retryAt: number): ControlError {
  return new ControlError(
    ErrorKind.busy,
    ControlErrorCode.Waiting,
    `meter ${meterId}: image activation scheduled on the meter for ${new Date(scheduledAt).toISOString()}`,
    { detail: { scheduledAt }, retryable: true, retryAt },
  );
}

function isTemporaryFailure(e: unknown): boolean {
  return isDriverError(e) && e.code === DriverErrorCode.TemporaryFailure;
}

interface Loaded {
  image: FirmwareImage;
  bytes: Uint8Array;
  sha256: string;
}

async function load(ctx: OperationContext, imageId: number): Promise<Loaded> {
  const image = await ctx.images.get(imageId);
  const bytes = image === null ? null : await ctx.images.bytes(imageId);
  if (image === null || bytes === null)
    throw new ControlError(
      ErrorKind.notFound,
      ControlErrorCode.Invalid,
      `imageId: no firmware image ${imageId}`,
      {
        detail: { field: 'imageId', imageId },
      },
    );
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== image.sha256)
    throw new ControlError(
      ErrorKind.internal,
      ControlErrorCode.Internal,
      `firmware image ${imageId}: the stored bytes do not match their SHA-256`,
      { detail: { imageId }, retryable: false },
    );
  if (image.deviceProfiles.length > 0 && !image.deviceProfiles.includes(ctx.meter.deviceProfile))
    throw new ControlError(
      ErrorKind.invalid,
      ControlErrorCode.Invalid,
      `imageId: image ${imageId} is not for device profile ${ctx.meter.deviceProfile}`,
      { detail: { field: 'imageId', deviceProfiles: image.deviceProfiles } },
    );
  return { image, bytes, sha256 };
}

/** After stage A: done, or activate (the image's status when known: 3 = verified). */
type Stage = { done: OperationOutcome } | { stage: 'activate'; status?: ImageTransferStatus };

/**
 * Image transfer, verification, activation, confirmation by the active identifier.
 * Initiate is sent once per image: the marker {initiated, sha256} is saved before it, and an
 * attempt that finds it with status 1 (initiated) resumes from the first missing block.
 */
export function firmwareUpdate(options: FirmwareOptions = {}): Operation {
  const pollIntervalMs = options.pollIntervalMs ?? 10_000;
  const verifyTimeoutMs = options.verifyTimeoutMs ?? 60_000;
  const activationTimeoutMs = options.activationTimeoutMs ?? 60_000;
  const restartWaitMs = options.restartWaitMs ?? 30_000;
  const every = options.progressEveryBlocks ?? 64;
  const graceMs = options.scheduleGraceMs ?? 60_000;
  const useSchedule = options.useMeterSchedule ?? true;

  return async (ctx) => {
    const p = parametersOf<FirmwareUpdateParameters>(ctx.command);
    const { image, bytes, sha256 } = await load(ctx, p.imageId);
    const progress = progressOf(ctx.command);
    const ours = progress.sha256 === sha256;
    let blocksSent = ours && typeof progress.blocksSent === 'number' ? progress.blocksSent : 0;
    let blockCount = 0;
    const scheduledAt =
      ours && progress.step === 'activation-scheduled' && typeof progress.scheduledAt === 'number'
        ? progress.scheduledAt
        : undefined;
    // The meter activates by itself at its time: nothing to do (and no session) until then.
    // Looked at again after the grace, but before the command's deadline.
    const dueAfter = (at: number): number => {
      const deadline = ctx.command.deadline;
      const due = at + graceMs;
      return deadline === null ? due : Math.max(at, Math.min(due, deadline - 1000));
    };
    if (scheduledAt !== undefined && ctx.now() < dueAfter(scheduledAt))
      throw waitForSchedule(ctx.meter.id, scheduledAt, dueAfter(scheduledAt));

    const poll = async (
      fw: FirmwareTransfer,
      whileStatus: number,
      timeoutMs: number,
    ): Promise<ImageTransferStatus> => {
      let waited = 0;
      for (;;) {
        const s = await fw.readImageStatus();
        if (s !== whileStatus || waited >= timeoutMs) return s;
        await ctx.sleep(pollIntervalMs);
        waited += pollIntervalMs;
      }
    };

    const verifyFailed = async (fw: FirmwareTransfer): Promise<never> => {
      const active = await activeFirmware(fw).catch(() => undefined);
      throw failure(
        ControlErrorCode.VerifyFailed,
        `meter ${ctx.meter.id}: image ${image.identifier} failed verification; the meter stays on ${active ?? 'its old image'}`,
        { status: Status.verifyFailed, activeFirmware: active ?? null, blocksSent },
      );
    };

    const transfer = async (
      fw: FirmwareTransfer,
      resume: boolean,
      initial: ImageTransferState,
    ): Promise<void> => {
      let st = initial;
      if (!resume) {
        if (!st.enabled) await fw.enableImageTransfer(true);
        await ctx.saveProgress({
          initiated: true,
          sha256,
          imageId: image.id,
          step: 'initiating',
          blocksSent,
        });
        await sending(() => fw.initiateImage({ identifier: ascii(image.identifier), size: bytes.length }));
        st = await fw.readImageTransfer();
      }
      const blockSize = st.blockSize;
      if (!Number.isInteger(blockSize) || blockSize <= 0)
        throw failure(ControlErrorCode.Internal, `meter ${ctx.meter.id}: image_block_size ${blockSize}`, {
          blockSize,
        });
      const room = fw.maxBlockSize();
      if (blockSize > room)
        throw failure(
          ControlErrorCode.Unsupported,
          `meter ${ctx.meter.id}: image_block_size ${blockSize} does not fit the negotiated PDU (${room} bytes per block)`,
          { blockSize, maxBlockSize: room },
        );
      blockCount = Math.ceil(bytes.length / blockSize);
      await ctx.saveProgress({ step: 'transferring', blockSize, blockCount });
      const send = async (n: number) => {
        await fw.transferBlock({
          number: n,
          value: bytes.subarray(n * blockSize, Math.min((n + 1) * blockSize, bytes.length)),
        });
        blocksSent++;
        if (blocksSent % every === 0) await ctx.saveProgress({ blocksSent });
      };
      for (let n = resume ? st.firstMissingBlock : 0; n < blockCount; n++) await send(n);
      let stuck = 0;
      let lastFirst = -1;
      for (;;) {
        st = await fw.readImageTransfer();
        const missing = blocksToSend(st, blockCount);
        if (missing.length === 0) break;
        stuck = st.firstMissingBlock === lastFirst ? stuck + 1 : 0;
        if (stuck >= 5)
          throw failure(
            ControlErrorCode.Link,
            `meter ${ctx.meter.id}: block ${st.firstMissingBlock} not taken after ${stuck + 1} sends`,
            { block: st.firstMissingBlock },
            true,
          );
        lastFirst = st.firstMissingBlock;
        for (const n of missing) await send(n);
      }
      await ctx.saveProgress({ step: 'verifying', blocksSent });
    };

    const verify = async (fw: FirmwareTransfer): Promise<ImageTransferStatus> => {
      try {
        await fw.verifyImage();
      } catch (e) {
        if (!isTemporaryFailure(e)) {
          // A meter that finds the image corrupt may refuse image_verify itself (other-reason)
          // rather than answer and report it: its image_transfer_status tells which.
          if (!isDriverError(e)) throw e;
          const after = await fw.readImageStatus().catch(() => undefined);
          if (after === Status.verifyFailed) await verifyFailed(fw);
          throw e;
        }
      }
      const s = await poll(fw, Status.verifying, verifyTimeoutMs);
      if (s === Status.verifyFailed) await verifyFailed(fw);
      if (s === Status.verifying)
        throw failure(
          ControlErrorCode.TemporaryFailure,
          `meter ${ctx.meter.id}: still verifying`,
          { status: s },
          true,
        );
      if (s !== Status.verified && s !== Status.activating && s !== Status.activated)
        throw failure(
          ControlErrorCode.NotConfirmed,
          `meter ${ctx.meter.id}: image_transfer_status ${s} after verification`,
          {
            status: s,
          },
        );
      return s;
    };

    const prepare = async (fw: FirmwareTransfer): Promise<Stage> => {
      const active = await activeFirmware(fw);
      if (active === image.version)
        return { done: confirmed(active, ours ? 'identifier' : 'already-active') };
      const st = await fw.readImageTransfer();
      if (ours && (progress.step === 'activating' || scheduledAt !== undefined)) return { stage: 'activate' };
      if (ours && progress.initiated === true) {
        if (st.status === Status.verifyFailed) await verifyFailed(fw);
        if (st.status === Status.verified || st.status === Status.activating)
          return { stage: 'activate', status: st.status };
        if (st.status === Status.verifying) return { stage: 'activate', status: await verify(fw) };
      }
      const resume = ours && progress.initiated === true && st.status === Status.initiated;
      await transfer(fw, resume, st);
      const status = await verify(fw);
      await ctx.saveProgress({ step: 'verified', blocksSent });
      return { stage: 'activate', status };
    };

    /**
     * A verified image to activate later, on a meter with an activation schedule: written in
     * the same session; the command then waits in the queue. A meter refusing the schedule
     * leaves the in-process wait; one holding another time than written has it emptied first.
     */
    const schedule = async (fw: FirmwareTransfer, stage: Stage): Promise<number | undefined> => {
      const at = p.activateAt;
      if (!useSchedule || at === undefined || at <= ctx.now() || fw.scheduleActivation === undefined) return;
      if (!('stage' in stage) || stage.status !== Status.verified) return;
      try {
        const held = await fw.scheduleActivation(at);
        await ctx.saveProgress({ step: 'activation-scheduled', scheduledAt: held, blocksSent });
        return held;
      } catch (e) {
        if (!isDriverError(e)) throw e;
        if (e.code === DriverErrorCode.ReadbackMismatch) {
          await fw.cancelActivationSchedule?.();
          return;
        }
        if (e.code === DriverErrorCode.Refused || e.code === DriverErrorCode.Invalid) return;
        throw e;
      }
    };

    const stageA = async (): Promise<Stage> =>
      inSession(ctx, async (driver): Promise<Stage> => {
        const fw = need(driver.firmware, ctx.meter.id, 'no image transfer');
        const stage = await prepare(fw);
        const held = await schedule(fw, stage);
        if (held !== undefined) throw waitForSchedule(ctx.meter.id, held, dueAfter(held));
        return stage;
      });

    const confirmed = (active: string | undefined, by: string): OperationOutcome => ({
      result: {
        imageId: image.id,
        identifier: image.identifier,
        version: image.version,
        activeFirmware: active ?? image.version,
        confirmedBy: by,
        ...(scheduledAt === undefined
          ? {}
          : { scheduledAt, activatedBy: activateSent ? 'image-activate' : 'meter-schedule' }),
        blocksSent,
        ...(blockCount > 0 ? { blockCount } : {}),
      },
      meterPatch: { firmwareVersion: image.version },
    });

    let activateSent = false;
    let stage: Stage;
    try {
      stage = await stageA();
    } catch (e) {
      if (blocksSent > 0 && !(e instanceof ControlError && e.retryAt !== undefined))
        await ctx.saveProgress({ blocksSent }).catch(() => undefined);
      throw controlError(e);
    }
    if ('done' in stage) return stage.done;

    // No schedule on the meter: wait here until the activation time.
    if (p.activateAt !== undefined && p.activateAt > ctx.now()) await ctx.sleep(p.activateAt - ctx.now());

    let restarted = false;
    try {
      await inSession(ctx, async (driver) => {
        const fw = need(driver.firmware, ctx.meter.id, 'no image transfer');
        let s = await fw.readImageStatus();
        if (s === Status.verified) {
          // A schedule that did not run by its time (and grace) is emptied before activating here.
          if (scheduledAt !== undefined && fw.cancelActivationSchedule !== undefined)
            await fw.cancelActivationSchedule();
          await ctx.saveProgress({ step: 'activating' });
          activateSent = true;
          try {
            await fw.activateImage();
          } catch (e) {
            if (!isTemporaryFailure(e)) throw e;
          }
          s = Status.activating;
        }
        if (s === Status.activating) s = await poll(fw, Status.activating, activationTimeoutMs);
        if (s === Status.activationFailed)
          throw failure(ControlErrorCode.ActivationFailed, `meter ${ctx.meter.id}: image activation failed`, {
            status: s,
          });
        if (s === Status.activating)
          throw failure(
            ControlErrorCode.TemporaryFailure,
            `meter ${ctx.meter.id}: still activating`,
            { status: s },
            true,
          );
      });
    } catch (e) {
      // A meter restarting on its new image drops the link: confirm in a new session.
      if (!(activateSent && e instanceof ControlError && e.code === ControlErrorCode.Link)) throw e;
      restarted = true;
    }
    if (restarted) await ctx.sleep(restartWaitMs);

    return inSession(ctx, async (driver) => {
      const fw = need(driver.firmware, ctx.meter.id, 'no image transfer');
      const active = await activeFirmware(fw);
      if (active === image.version) return confirmed(active, 'identifier');
      const st = await fw.readImageTransfer();
      if (st.status === Status.verified || st.status === Status.activating)
        throw failure(
          ControlErrorCode.TemporaryFailure,
          `meter ${ctx.meter.id}: image_transfer_status ${st.status}: activation not finished`,
          { status: st.status },
          true,
        );
      if (active !== undefined)
        throw failure(
          ControlErrorCode.ActivationFailed,
          `meter ${ctx.meter.id}: active firmware ${active} after activation, expected ${image.version}`,
          { activeFirmware: active, expected: image.version, status: st.status },
        );
      const named = st.toActivate.some(
        (t) => sameBytes(t.identification, ascii(image.identifier)) && t.size === bytes.length,
      );
      if (st.status !== Status.activated || !named)
        throw failure(
          ControlErrorCode.ActivationFailed,
          `meter ${ctx.meter.id}: image_transfer_status ${st.status} after activation${named ? '' : ', image_to_activate_info names another image'}`,
          { status: st.status },
        );
      return confirmed(undefined, 'image-transfer-status');
    });
  };
}
