import { createHash } from 'node:crypto';
import {
  type Actor,
  ALWAYS_APPROVED_KINDS,
  type Campaign,
  type CampaignRequest,
  type CampaignTarget,
  type CampaignThrottle,
  type Clock,
  type Command,
  type CommandKind,
  type CommandPriority,
  CommandReason,
  type CommandRequest,
  type ControlPort,
  ErrorKind,
  type FirmwareImage,
  isCodedError,
  MAX_FIRMWARE_IMAGE_BYTES,
  type Meter,
  type NewAuditEntry,
  type NewFirmwareImage,
  type Store,
  type TargetPreview,
} from '@openhes/core';
import { completeIfDone } from './campaign.ts';
import { ControlError, ControlErrorCode } from './errors.ts';
import { KIND_CAPABILITY } from './kinds.ts';
import { validateCommand } from './validate.ts';

/** The store ports the control service uses. */
export type ControlServiceStore = Pick<Store, 'meters' | 'commands' | 'campaigns' | 'firmware' | 'audit'>;

export interface ControlServiceDeps {
  store: ControlServiceStore;
  clock: Clock;
  /**
   * What a meter can do (driver capability names, see `profileCapabilities`); undefined when
   * not knowable. Without it, no request is refused for a missing capability.
   */
  capabilitiesOf?: (meter: Meter) => ReadonlySet<string> | undefined;
  /** Called when work became due (a command queued, a campaign running): wakes the runner. */
  onWork?: () => void;
}

export interface ControlServiceOptions {
  /** A disconnect campaign over more meters than this waits for approval (default 50). */
  approvalThreshold?: number;
  /** Deadline of a command requested without one (default 1 h). */
  defaultDeadlineMs?: number;
  /** Largest firmware image accepted (default MAX_FIRMWARE_IMAGE_BYTES, 16 MiB). */
  maxImageBytes?: number;
  /** Meter ids a target preview lists (default 20). */
  previewSize?: number;
}

export const DEFAULT_APPROVAL_THRESHOLD = 50;
export const DEFAULT_COMMAND_DEADLINE_MS = 3_600_000;

function invalid(field: string, message: string, detail: Record<string, unknown> = {}): ControlError {
  return new ControlError(ErrorKind.invalid, ControlErrorCode.Invalid, `${field}: ${message}`, {
    detail: { field, ...detail },
  });
}

function notFound(what: string, id: number): ControlError {
  return new ControlError(ErrorKind.notFound, ControlErrorCode.NotFound, `${what} ${id} does not exist`, {
    detail: { [`${what}Id`]: id },
  });
}

function wrongState(what: string, id: number, state: string, action: string): ControlError {
  return new ControlError(
    ErrorKind.conflict,
    ControlErrorCode.WrongState,
    `${what} ${id} is ${state}: it cannot be ${action}`,
    { detail: { [`${what}Id`]: id, state, action } },
  );
}

/** A compare-and-set the store refused (another actor moved it first) as CONTROL_WRONG_STATE. */
function casLost(what: string, id: number, action: string, e: unknown): unknown {
  if (isCodedError(e) && e.kind === ErrorKind.conflict && !(e instanceof ControlError))
    return new ControlError(
      ErrorKind.conflict,
      ControlErrorCode.WrongState,
      `${what} ${id} changed state meanwhile: it cannot be ${action}`,
      { cause: e, detail: { [`${what}Id`]: id, action } },
    );
  return e;
}

function positiveInteger(field: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > Number.MAX_SAFE_INTEGER)
    throw invalid(field, `must be an integer ≥ ${min}`, { value: v });
  return v;
}

function reasonOf(v: unknown): CommandReason {
  const allowed = Object.values(CommandReason) as string[];
  if (typeof v !== 'string' || !allowed.includes(v))
    throw invalid('reason', `must be one of ${allowed.join(', ')}`, { value: v });
  return v as CommandReason;
}

function priorityOf(v: unknown): CommandPriority {
  if (v === undefined) return 'normal';
  if (v !== 'urgent' && v !== 'normal') throw invalid('priority', 'must be urgent or normal', { value: v });
  return v;
}

const THROTTLE_FIELDS = ['maxInFlight', 'perMinute', 'perSegment', 'urgentPerSegment'] as const;

function throttleOf(v: unknown): CampaignThrottle {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid('throttle', 'must be an object');
  const out: CampaignThrottle = {};
  for (const [k, value] of Object.entries(v)) {
    if (!(THROTTLE_FIELDS as readonly string[]).includes(k))
      throw invalid(`throttle.${k}`, `unknown field (expected one of ${THROTTLE_FIELDS.join(', ')})`);
    if (value === undefined) continue;
    out[k as (typeof THROTTLE_FIELDS)[number]] = positiveInteger(
      `throttle.${k}`,
      value,
      k === 'urgentPerSegment' ? 0 : 1,
    );
  }
  return out;
}

const TARGET_NUMBERS = ['meterIds', 'nodes'] as const;
const TARGET_TEXTS = ['models', 'deviceProfiles', 'firmwareVersions', 'tags', 'segments'] as const;

function targetOf(v: unknown): CampaignTarget {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid('target', 'must be an object');
  const out: CampaignTarget = {};
  let criteria = 0;
  for (const [k, value] of Object.entries(v)) {
    if (value === undefined) continue;
    const field = `target.${k}`;
    if (!Array.isArray(value)) {
      if (
        (TARGET_NUMBERS as readonly string[]).includes(k) ||
        (TARGET_TEXTS as readonly string[]).includes(k)
      )
        throw invalid(field, 'must be a list');
      throw invalid(
        field,
        `unknown field (expected one of ${[...TARGET_NUMBERS, ...TARGET_TEXTS].join(', ')})`,
      );
    }
    if ((TARGET_NUMBERS as readonly string[]).includes(k)) {
      for (const [i, x] of value.entries()) positiveInteger(`${field}[${i}]`, x);
      out[k as (typeof TARGET_NUMBERS)[number]] = value as number[];
    } else if ((TARGET_TEXTS as readonly string[]).includes(k)) {
      value.forEach((x, i) => {
        if (typeof x !== 'string' || x.length === 0 || x.length > 256)
          throw invalid(`${field}[${i}]`, 'must be a string of 1..256 characters');
      });
      out[k as (typeof TARGET_TEXTS)[number]] = value as string[];
    } else
      throw invalid(
        field,
        `unknown field (expected one of ${[...TARGET_NUMBERS, ...TARGET_TEXTS].join(', ')})`,
      );
    criteria++;
  }
  // An empty target would select the whole fleet: that must be said, not implied.
  if (criteria === 0)
    throw invalid('target', 'names no criterion (an empty target would select every meter)');
  return out;
}

function textOf(field: string, v: unknown, max: number): string {
  if (typeof v !== 'string' || v.trim().length === 0 || v.length > max)
    throw invalid(field, `must be a non-empty string of at most ${max} characters`);
  return v;
}

/** image_identifier: printable ASCII, 1..64 bytes. */
function identifierOf(v: unknown): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 64 || !/^[\x20-\x7e]+$/.test(v))
    throw invalid('identifier', 'must be 1..64 printable ASCII characters');
  return v;
}

/** Audit entry of an actor's control request: who, from where, what, the outcome. */
export function controlAudit(
  actor: Actor,
  action: string,
  target: string,
  outcome: NewAuditEntry['outcome'],
  detail: Record<string, unknown>,
): NewAuditEntry {
  return { actor: actor.name, action, target, outcome, detail: { address: actor.address, ...detail } };
}

function errorDetail(e: unknown): Record<string, unknown> {
  if (isCodedError(e))
    return { code: e.code, message: e.message, ...(e.detail === undefined ? {} : e.detail) };
  return { code: ControlErrorCode.Internal, message: e instanceof Error ? e.message : String(e) };
}

/**
 * Meter control as the API and CLI call it: requests validated before anything is stored,
 * commands and campaigns stored as state machines, the two-person rule, and every request,
 * approval, rejection, cancel, pause and resume audited with the actor and address (refused
 * ones too, outcome `denied` with the error's code). The runner does the sending.
 */
export class ControlService implements ControlPort {
  readonly #store: ControlServiceStore;
  readonly #clock: Clock;
  readonly #capabilitiesOf: ControlServiceDeps['capabilitiesOf'];
  readonly #onWork: () => void;
  readonly #threshold: number;
  readonly #deadlineMs: number;
  readonly #maxImageBytes: number;
  readonly #previewSize: number;

  constructor(deps: ControlServiceDeps, options: ControlServiceOptions = {}) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#capabilitiesOf = deps.capabilitiesOf;
    this.#onWork = deps.onWork ?? (() => {});
    this.#threshold = options.approvalThreshold ?? DEFAULT_APPROVAL_THRESHOLD;
    this.#deadlineMs = options.defaultDeadlineMs ?? DEFAULT_COMMAND_DEADLINE_MS;
    this.#maxImageBytes = options.maxImageBytes ?? MAX_FIRMWARE_IMAGE_BYTES;
    this.#previewSize = options.previewSize ?? 20;
  }

  /** Runs `work`; a refusal is audited (`denied`, or `failed` for an internal error) and rethrown. */
  async #audited<T>(
    actor: Actor,
    action: string,
    target: string,
    detail: Record<string, unknown>,
    work: () => Promise<T>,
  ): Promise<T> {
    try {
      return await work();
    } catch (e) {
      const internal = !isCodedError(e) || e.kind === ErrorKind.internal || e.kind === ErrorKind.unavailable;
      await this.#store.audit
        .append(
          controlAudit(actor, action, target, internal ? 'failed' : 'denied', {
            ...detail,
            ...errorDetail(e),
          }),
        )
        .catch(() => {});
      throw e;
    }
  }

  async #meter(meterId: unknown): Promise<Meter> {
    const id = positiveInteger('meterId', meterId);
    const meter = await this.#store.meters.get(id);
    if (meter === null) throw notFound('meter', id);
    if (meter.status === 'decommissioned')
      throw invalid('meterId', `meter ${id} is decommissioned`, { meterId: id, status: meter.status });
    return meter;
  }

  #requireCapability(meter: Meter, kind: CommandKind): void {
    const caps = this.#capabilitiesOf?.(meter);
    const needed = KIND_CAPABILITY[kind];
    if (caps === undefined || caps.has(needed)) return;
    throw new ControlError(
      ErrorKind.invalid,
      ControlErrorCode.Unsupported,
      `meter ${meter.id} (device profile ${meter.deviceProfile}) has no ${needed} object: ${kind} is not possible`,
      {
        detail: {
          field: 'meterId',
          meterId: meter.id,
          deviceProfile: meter.deviceProfile,
          capability: needed,
          kind,
        },
      },
    );
  }

  #deadlineOf(v: unknown, fallback: number | null): number | null {
    if (v === undefined) return fallback;
    if (v === null) return null;
    const now = this.#clock.now();
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= now)
      throw invalid('deadline', 'must be an instant (ms) in the future', { value: v });
    return v;
  }

  /**
   * A firmware update activated at a later time needs its deadline after that time: one
   * before it is refused (`activateAt`), and the default runs from the activation time.
   */
  #timedDeadline(
    kind: CommandKind,
    parameters: Record<string, unknown>,
    requested: unknown,
    deadline: number | null,
  ): number | null {
    const at = kind === 'firmware-update' ? parameters.activateAt : undefined;
    if (typeof at !== 'number') return deadline;
    if (requested === undefined && deadline !== null) return Math.max(deadline, at + this.#deadlineMs);
    if (deadline !== null && deadline <= at)
      throw invalid('activateAt', 'must be before the deadline', { activateAt: at, deadline });
    return deadline;
  }

  async #twoPersonRule(actor: Actor, requestedBy: string, what: string, id: number): Promise<void> {
    if (actor.name === requestedBy)
      throw new ControlError(
        ErrorKind.conflict,
        ControlErrorCode.ApprovalRefused,
        `${actor.name} requested ${what} ${id}: a second person must approve or reject it`,
        { detail: { [`${what}Id`]: id, rule: 'requester' } },
      );
    if (!actor.approver)
      throw new ControlError(
        ErrorKind.conflict,
        ControlErrorCode.ApprovalRefused,
        `${actor.name} does not hold the approver right`,
        { detail: { [`${what}Id`]: id, rule: 'approver-right' } },
      );
  }

  async #command(id: number): Promise<Command> {
    const c = await this.#store.commands.get(positiveInteger('id', id));
    if (c === null) throw notFound('command', id);
    return c;
  }

  async #campaign(id: number): Promise<Campaign> {
    const c = await this.#store.campaigns.get(positiveInteger('id', id));
    if (c === null) throw notFound('campaign', id);
    return c;
  }

  // ── commands ─────────────────────────────────────────────────────────────────────────

  requestCommand(request: CommandRequest, actor: Actor): Promise<Command> {
    const detail = { meterId: request.meterId, kind: request.kind, reason: request.reason };
    return this.#audited(actor, 'command.requested', `meter:${String(request.meterId)}`, detail, async () => {
      const parameters = validateCommand(request.kind, request.parameters ?? {});
      const kind = request.kind;
      const reason = reasonOf(request.reason);
      const priority = priorityOf(request.priority);
      const deadline = this.#timedDeadline(
        kind,
        parameters,
        request.deadline,
        this.#deadlineOf(request.deadline, this.#clock.now() + this.#deadlineMs),
      );
      const meter = await this.#meter(request.meterId);
      this.#requireCapability(meter, kind);
      const state = ALWAYS_APPROVED_KINDS.includes(kind) ? 'awaiting-approval' : 'queued';
      const command = await this.#store.commands.create({
        kind,
        meterId: meter.id,
        parameters,
        reason,
        priority,
        state,
        deadline,
        requestedBy: actor.name,
        requestedFrom: actor.address,
      });
      await this.#store.audit.append(
        controlAudit(actor, 'command.requested', `command:${command.id}`, 'allowed', {
          meterId: meter.id,
          kind,
          reason,
          priority,
          state,
          deadline,
        }),
      );
      if (state === 'queued') this.#onWork();
      return command;
    });
  }

  approveCommand(id: number, actor: Actor): Promise<Command> {
    return this.#decideCommand(id, actor, 'approved');
  }

  rejectCommand(id: number, actor: Actor, note?: string): Promise<Command> {
    return this.#decideCommand(id, actor, 'rejected', note);
  }

  /**
   * The second person's decision on a single command awaiting approval: the two-person rule,
   * the compare-and-set move (queued or rejected), its audit entry; an approval wakes the runner.
   */
  #decideCommand(
    id: number,
    actor: Actor,
    decision: 'approved' | 'rejected',
    note?: string,
  ): Promise<Command> {
    const action = `command.${decision}`;
    return this.#audited(actor, action, `command:${id}`, {}, async () => {
      const c = await this.#command(id);
      const verb = decision === 'approved' ? 'approve' : 'reject';
      if (c.campaignId !== null)
        throw wrongState(
          'command',
          id,
          `part of campaign ${c.campaignId}`,
          `${decision} on its own (${verb} the campaign)`,
        );
      if (c.state !== 'awaiting-approval') throw wrongState('command', id, c.state, decision);
      await this.#twoPersonRule(actor, c.requestedBy, 'command', id);
      const done = await this.#store.commands
        .transition(
          id,
          'awaiting-approval',
          decision === 'approved' ? 'queued' : 'rejected',
          actor.name,
          decision === 'approved' ? { approvedBy: actor.name } : { detail: { note: note ?? null } },
        )
        .catch((e: unknown) => {
          throw casLost('command', id, decision, e);
        });
      await this.#store.audit.append(
        controlAudit(actor, action, `command:${id}`, 'allowed', {
          meterId: c.meterId,
          kind: c.kind,
          reason: c.reason,
          ...(decision === 'approved' ? { requestedBy: c.requestedBy } : { note: note ?? null }),
        }),
      );
      if (decision === 'approved') this.#onWork();
      return done;
    });
  }

  cancelCommand(id: number, actor: Actor): Promise<Command> {
    return this.#audited(actor, 'command.cancelled', `command:${id}`, {}, async () => {
      const c = await this.#command(id);
      if (c.state !== 'queued' && c.state !== 'awaiting-approval')
        throw wrongState('command', id, c.state, 'cancelled');
      const done = await this.#store.commands
        .transition(id, c.state, 'cancelled', actor.name)
        .catch((e: unknown) => {
          throw casLost('command', id, 'cancelled', e);
        });
      await this.#store.audit.append(
        controlAudit(actor, 'command.cancelled', `command:${id}`, 'allowed', {
          meterId: c.meterId,
          kind: c.kind,
          reason: c.reason,
          from: c.state,
        }),
      );
      return done;
    });
  }

  // ── campaigns ────────────────────────────────────────────────────────────────────────

  async previewTarget(target: CampaignTarget): Promise<TargetPreview> {
    const ids = await this.#store.meters.select(targetOf(target));
    return { count: ids.length, meterIds: ids.slice(0, this.#previewSize) };
  }

  requestCampaign(request: CampaignRequest, actor: Actor): Promise<Campaign> {
    const detail = { kind: request.kind, reason: request.reason, name: request.name };
    return this.#audited(actor, 'campaign.requested', 'campaign', detail, async () => {
      const name = textOf('name', request.name, 200);
      const parameters = validateCommand(request.kind, request.parameters ?? {});
      const kind = request.kind;
      const reason = reasonOf(request.reason);
      const priority = priorityOf(request.priority);
      const throttle = throttleOf(request.throttle);
      const deadline = this.#timedDeadline(
        kind,
        parameters,
        request.deadline,
        this.#deadlineOf(request.deadline, null),
      );
      const dryRun = request.dryRun ?? false;
      if (typeof dryRun !== 'boolean') throw invalid('dryRun', 'must be a boolean');
      const target = targetOf(request.target);
      const meterIds = await this.#store.meters.select(target);
      if (meterIds.length === 0) throw invalid('target', 'target selects no meter', { target });
      const needsApproval =
        !dryRun &&
        (ALWAYS_APPROVED_KINDS.includes(kind) ||
          (kind === 'disconnect' && meterIds.length > this.#threshold));
      const state = needsApproval ? 'awaiting-approval' : 'running';
      const campaign = await this.#store.campaigns.create(
        {
          name,
          kind,
          target,
          parameters,
          reason,
          priority,
          throttle,
          deadline,
          dryRun,
          state,
          requestedBy: actor.name,
          requestedFrom: actor.address,
        },
        meterIds,
      );
      await this.#store.audit.append(
        controlAudit(actor, 'campaign.requested', `campaign:${campaign.id}`, 'allowed', {
          name,
          kind,
          reason,
          priority,
          state,
          dryRun,
          meterCount: meterIds.length,
          target,
        }),
      );
      if (state === 'running') this.#onWork();
      return campaign;
    });
  }

  approveCampaign(id: number, actor: Actor): Promise<Campaign> {
    return this.#audited(actor, 'campaign.approved', `campaign:${id}`, {}, async () => {
      const c = await this.#campaign(id);
      if (c.state !== 'awaiting-approval') throw wrongState('campaign', id, c.state, 'approved');
      await this.#twoPersonRule(actor, c.requestedBy, 'campaign', id);
      // Commands first: a crash between the two leaves the campaign awaiting approval (its
      // queued commands are not due while it is not running) and approving again completes it.
      const queued = await this.#store.commands.transitionCampaignCommands(
        id,
        ['awaiting-approval'],
        'queued',
        actor.name,
        { approvedBy: actor.name },
      );
      const done = await this.#store.campaigns
        .transition(id, 'awaiting-approval', 'running', actor.name, { approvedBy: actor.name })
        .catch((e: unknown) => {
          throw casLost('campaign', id, 'approved', e);
        });
      await this.#store.audit.append(
        controlAudit(actor, 'campaign.approved', `campaign:${id}`, 'allowed', {
          kind: c.kind,
          reason: c.reason,
          requestedBy: c.requestedBy,
          meterCount: c.meterCount,
          queued,
        }),
      );
      this.#onWork();
      return done;
    });
  }

  rejectCampaign(id: number, actor: Actor, note?: string): Promise<Campaign> {
    return this.#audited(actor, 'campaign.rejected', `campaign:${id}`, {}, async () => {
      const c = await this.#campaign(id);
      if (c.state !== 'awaiting-approval') throw wrongState('campaign', id, c.state, 'rejected');
      await this.#twoPersonRule(actor, c.requestedBy, 'campaign', id);
      const done = await this.#store.campaigns
        .transition(id, 'awaiting-approval', 'rejected', actor.name, { detail: { note: note ?? null } })
        .catch((e: unknown) => {
          throw casLost('campaign', id, 'rejected', e);
        });
      const rejected = await this.#store.commands.transitionCampaignCommands(
        id,
        ['awaiting-approval'],
        'rejected',
        actor.name,
        { note: note ?? null },
      );
      await this.#store.audit.append(
        controlAudit(actor, 'campaign.rejected', `campaign:${id}`, 'allowed', {
          kind: c.kind,
          reason: c.reason,
          note: note ?? null,
          rejected,
        }),
      );
      return done;
    });
  }

  pauseCampaign(id: number, actor: Actor): Promise<Campaign> {
    return this.#move(id, actor, 'running', 'paused', 'campaign.paused', 'paused');
  }

  resumeCampaign(id: number, actor: Actor): Promise<Campaign> {
    return this.#move(id, actor, 'paused', 'running', 'campaign.resumed', 'resumed');
  }

  #move(
    id: number,
    actor: Actor,
    from: 'running' | 'paused',
    to: 'running' | 'paused',
    action: string,
    verb: string,
  ): Promise<Campaign> {
    return this.#audited(actor, action, `campaign:${id}`, {}, async () => {
      const c = await this.#campaign(id);
      if (c.state !== from) throw wrongState('campaign', id, c.state, verb);
      const done = await this.#store.campaigns.transition(id, from, to, actor.name).catch((e: unknown) => {
        throw casLost('campaign', id, verb, e);
      });
      await this.#store.audit.append(
        controlAudit(actor, action, `campaign:${id}`, 'allowed', { kind: c.kind, reason: c.reason }),
      );
      if (to === 'running') {
        // Its last commands may have ended while it was paused.
        const completed = await completeIfDone(this.#store, id, actor.name);
        if (completed !== null) return completed;
        this.#onWork();
      }
      return done;
    });
  }

  cancelCampaign(id: number, actor: Actor): Promise<Campaign> {
    return this.#audited(actor, 'campaign.cancelled', `campaign:${id}`, {}, async () => {
      const c = await this.#campaign(id);
      if (c.state !== 'running' && c.state !== 'paused' && c.state !== 'awaiting-approval')
        throw wrongState('campaign', id, c.state, 'cancelled');
      // Commands being sent finish (a send is never cut off half-way); the rest are cancelled.
      const cancelled = await this.#store.commands.transitionCampaignCommands(
        id,
        ['queued', 'awaiting-approval'],
        'cancelled',
        actor.name,
      );
      const done = await this.#store.campaigns
        .transition(id, c.state, 'cancelled', actor.name)
        .catch((e: unknown) => {
          throw casLost('campaign', id, 'cancelled', e);
        });
      await this.#store.audit.append(
        controlAudit(actor, 'campaign.cancelled', `campaign:${id}`, 'allowed', {
          kind: c.kind,
          reason: c.reason,
          from: c.state,
          cancelled,
        }),
      );
      return done;
    });
  }

  // ── firmware images ──────────────────────────────────────────────────────────────────

  uploadImage(
    image: Omit<NewFirmwareImage, 'uploadedBy'> & { sha256?: string },
    bytes: Uint8Array,
    actor: Actor,
  ): Promise<FirmwareImage> {
    const detail = { identifier: image.identifier, version: image.version, size: bytes.length };
    return this.#audited(actor, 'firmware.uploaded', 'firmware', detail, async () => {
      const identifier = identifierOf(image.identifier);
      const version = textOf('version', image.version, 64);
      const deviceProfiles = image.deviceProfiles ?? [];
      if (!Array.isArray(deviceProfiles)) throw invalid('deviceProfiles', 'must be a list');
      for (const [i, p] of deviceProfiles.entries()) textOf(`deviceProfiles[${i}]`, p, 128);
      if (bytes.length === 0) throw invalid('size', 'the image is empty');
      if (bytes.length > this.#maxImageBytes)
        throw invalid(
          'size',
          `the image has ${bytes.length} bytes; at most ${this.#maxImageBytes} are accepted`,
          {
            size: bytes.length,
            limit: this.#maxImageBytes,
          },
        );
      const actual = createHash('sha256').update(bytes).digest('hex');
      if (image.sha256 !== undefined) {
        if (typeof image.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(image.sha256))
          throw invalid('sha256', 'must be 64 hexadecimal digits');
        if (image.sha256.toLowerCase() !== actual)
          throw invalid('sha256', 'does not match the image bytes', {
            expected: image.sha256.toLowerCase(),
            actual,
          });
      }
      const stored = await this.#store.firmware.put(
        { identifier, version, deviceProfiles, uploadedBy: actor.name },
        bytes,
      );
      await this.#store.audit.append(
        controlAudit(actor, 'firmware.uploaded', `firmware:${stored.id}`, 'allowed', {
          identifier,
          version,
          size: stored.size,
          sha256: stored.sha256,
        }),
      );
      return stored;
    });
  }
}
