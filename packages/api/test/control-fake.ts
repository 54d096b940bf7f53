import { createHash } from 'node:crypto';
import {
  type Actor,
  ALWAYS_APPROVED_KINDS,
  type Campaign,
  type CampaignRequest,
  type CampaignState,
  type CampaignTarget,
  CodedError,
  type Command,
  type CommandRequest,
  type CommandState,
  type ControlPort,
  type FirmwareImage,
  MAX_FIRMWARE_IMAGE_BYTES,
  type NewFirmwareImage,
  type Store,
} from '@openhes/core';

export interface ControlCall {
  method: keyof ControlPort;
  args: unknown[];
}

const refused = (message: string, rule: string) =>
  new CodedError('conflict', 'CONTROL_APPROVAL_REFUSED', message, { detail: { rule } });
const wrongState = (what: string, state: string) =>
  new CodedError('conflict', 'CONTROL_WRONG_STATE', `${what} is ${state}`, { detail: { state } });
const invalid = (field: string, message: string) =>
  new CodedError('invalid', 'CONTROL_INVALID', `${field}: ${message}`, { detail: { field } });

/**
 * A control port for API tests: records every call (with the actor), writes through the real
 * store the API reads from, applies the two-person rule and the image checks as the service
 * does, and throws `failNext` once when set. Set `store` to the harness's store before use.
 */
export class FakeControl implements ControlPort {
  readonly calls: ControlCall[] = [];
  failNext: Error | null = null;
  /** The API's store; set once the harness has built it. */
  store!: Store;

  callsOf(method: keyof ControlPort): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  #take(method: keyof ControlPort, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const e = this.failNext;
    if (e !== null) {
      this.failNext = null;
      throw e;
    }
  }

  async requestCommand(r: CommandRequest, actor: Actor): Promise<Command> {
    this.#take('requestCommand', r, actor);
    return this.store.commands.create({
      kind: r.kind,
      meterId: r.meterId,
      parameters: r.parameters ?? {},
      reason: r.reason,
      ...(r.priority === undefined ? {} : { priority: r.priority }),
      ...(r.deadline === undefined ? {} : { deadline: r.deadline }),
      state: ALWAYS_APPROVED_KINDS.includes(r.kind) ? 'awaiting-approval' : 'queued',
      requestedBy: actor.name,
      requestedFrom: actor.address,
    });
  }

  async #decide(id: number, actor: Actor, to: CommandState): Promise<Command> {
    const c = await this.store.commands.get(id);
    if (c === null) throw new CodedError('not-found', 'CONTROL_NOT_FOUND', `command ${id} does not exist`);
    if (actor.name === c.requestedBy) throw refused('a second person must decide', 'requester');
    if (!actor.approver) throw refused(`${actor.name} does not hold the approver right`, 'approver-right');
    if (c.state !== 'awaiting-approval') throw wrongState(`command ${id}`, c.state);
    return this.store.commands.transition(
      id,
      c.state,
      to,
      actor.name,
      to === 'queued' ? { approvedBy: actor.name } : {},
    );
  }

  approveCommand(id: number, actor: Actor): Promise<Command> {
    this.#take('approveCommand', id, actor);
    return this.#decide(id, actor, 'queued');
  }

  rejectCommand(id: number, actor: Actor, note?: string): Promise<Command> {
    this.#take('rejectCommand', id, actor, note);
    return this.#decide(id, actor, 'rejected');
  }

  async cancelCommand(id: number, actor: Actor): Promise<Command> {
    this.#take('cancelCommand', id, actor);
    const c = await this.store.commands.get(id);
    if (c === null) throw new CodedError('not-found', 'CONTROL_NOT_FOUND', `command ${id} does not exist`);
    if (!['queued', 'awaiting-approval', 'requested'].includes(c.state))
      throw wrongState(`command ${id}`, c.state);
    return this.store.commands.transition(id, c.state, 'cancelled', actor.name);
  }

  async requestCampaign(r: CampaignRequest, actor: Actor): Promise<Campaign> {
    this.#take('requestCampaign', r, actor);
    const ids = await this.store.meters.select(r.target);
    if (ids.length === 0) throw invalid('target', 'selects no meter');
    return this.store.campaigns.create(
      {
        name: r.name,
        kind: r.kind,
        target: r.target,
        parameters: r.parameters ?? {},
        reason: r.reason,
        ...(r.priority === undefined ? {} : { priority: r.priority }),
        ...(r.throttle === undefined ? {} : { throttle: r.throttle }),
        ...(r.deadline === undefined ? {} : { deadline: r.deadline }),
        dryRun: r.dryRun ?? false,
        state: ALWAYS_APPROVED_KINDS.includes(r.kind) ? 'awaiting-approval' : 'running',
        requestedBy: actor.name,
        requestedFrom: actor.address,
      },
      ids,
    );
  }

  async previewTarget(target: CampaignTarget) {
    this.#take('previewTarget', target);
    const ids = await this.store.meters.select(target);
    return { count: ids.length, meterIds: ids.slice(0, 20) };
  }

  async #move(id: number, actor: Actor, from: CampaignState[], to: CampaignState, twoPerson = false) {
    const c = await this.store.campaigns.get(id);
    if (c === null) throw new CodedError('not-found', 'CONTROL_NOT_FOUND', `campaign ${id} does not exist`);
    if (twoPerson && actor.name === c.requestedBy) throw refused('a second person must decide', 'requester');
    if (twoPerson && !actor.approver)
      throw refused(`${actor.name} does not hold the approver right`, 'approver-right');
    if (!from.includes(c.state)) throw wrongState(`campaign ${id}`, c.state);
    const moved = await this.store.campaigns.transition(
      id,
      c.state,
      to,
      actor.name,
      twoPerson && to === 'running' ? { approvedBy: actor.name } : {},
    );
    if (to === 'cancelled' || to === 'rejected') {
      await this.store.commands.transitionCampaignCommands(
        id,
        ['queued', 'awaiting-approval'],
        'cancelled',
        actor.name,
      );
    }
    return moved;
  }

  approveCampaign(id: number, actor: Actor) {
    this.#take('approveCampaign', id, actor);
    return this.#move(id, actor, ['awaiting-approval'], 'running', true);
  }

  rejectCampaign(id: number, actor: Actor, note?: string) {
    this.#take('rejectCampaign', id, actor, note);
    return this.#move(id, actor, ['awaiting-approval'], 'rejected', true);
  }

  pauseCampaign(id: number, actor: Actor) {
    this.#take('pauseCampaign', id, actor);
    return this.#move(id, actor, ['running'], 'paused');
  }

  resumeCampaign(id: number, actor: Actor) {
    this.#take('resumeCampaign', id, actor);
    return this.#move(id, actor, ['paused'], 'running');
  }

  cancelCampaign(id: number, actor: Actor) {
    this.#take('cancelCampaign', id, actor);
    return this.#move(id, actor, ['running', 'paused', 'awaiting-approval'], 'cancelled');
  }

  async uploadImage(
    image: Omit<NewFirmwareImage, 'uploadedBy'> & { sha256?: string },
    bytes: Uint8Array,
    actor: Actor,
  ): Promise<FirmwareImage> {
    this.#take('uploadImage', image, bytes, actor);
    if (bytes.length > MAX_FIRMWARE_IMAGE_BYTES) throw invalid('size', 'too large');
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (image.sha256 !== undefined && image.sha256 !== actual)
      throw invalid('sha256', 'does not match the image bytes');
    return this.store.firmware.put(
      {
        identifier: image.identifier,
        version: image.version,
        deviceProfiles: image.deviceProfiles,
        uploadedBy: actor.name,
      },
      bytes,
    );
  }
}
