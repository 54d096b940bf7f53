import type {
  AccessContext,
  AttributeAccess,
  AttributeAddress,
  DlmsData,
  MethodAccess,
  MethodAddress,
  ObjectModel,
} from '@openhes/dlms';
import type { MeterTruth } from '../truth/meter.ts';
import type { Instant } from '../truth/time.ts';
import { attributeAccessOf, type Catalog, catalogOf, methodAccessOf, obisKey } from './catalog.ts';
import { act, settle, write } from './commands.ts';
import { R, readAttribute } from './read.ts';

export interface ModelHooks {
  /** Simulated now (true time). */
  now(): Instant;
  /** A command asked the meter to push (push setup method 1). */
  onPush?(meter: number, pushSetup: string): void;
}

/**
 * One meter's COSEM objects for a ServerSession: a thin view over the fleet truth; nothing is
 * stored per meter except what commands changed.
 */
export class MeterModel implements ObjectModel {
  readonly m: MeterTruth;
  readonly cat: Catalog;
  private readonly hooks: ModelHooks;

  constructor(m: MeterTruth, hooks: ModelHooks) {
    this.m = m;
    this.cat = catalogOf(m.profile);
    this.hooks = hooks;
  }

  private entry(classId: number, obis: Uint8Array) {
    const e = this.cat.byObis.get(obisKey(obis));
    return e !== undefined && e.spec.class === classId ? e : undefined;
  }

  get(ctx: AccessContext, a: AttributeAddress): DlmsData | number {
    const e = this.entry(a.classId, a.obis);
    if (e === undefined) return R.objectUndefined;
    const now = this.hooks.now();
    settle(this.m, now);
    const rc = { m: this.m, cat: this.cat, association: ctx.association, clientSap: ctx.clientSap, now };
    return readAttribute(rc, e, a.attributeId, now, { live: true }, a.access);
  }

  set(_ctx: AccessContext, a: AttributeAddress, value: DlmsData): number {
    const e = this.entry(a.classId, a.obis);
    if (e === undefined) return R.objectUndefined;
    const now = this.hooks.now();
    settle(this.m, now);
    return write(this.m, a.classId, e.spec.obis, a.attributeId, value, now);
  }

  action(
    _ctx: AccessContext,
    a: MethodAddress,
    params: DlmsData | undefined,
  ): { result: number; returnData?: DlmsData } {
    const e = this.entry(a.classId, a.obis);
    if (e === undefined) return { result: R.objectUndefined };
    const now = this.hooks.now();
    settle(this.m, now);
    const out = act(this.m, a.classId, e.spec.obis, a.methodId, params, now);
    if (out.push !== undefined) this.hooks.onPush?.(this.m.index, out.push);
    return out.returnData === undefined
      ? { result: out.result }
      : { result: out.result, returnData: out.returnData };
  }

  attributeAccess(
    association: string,
    classId: number,
    obis: Uint8Array,
    attributeId: number,
  ): AttributeAccess {
    const e = this.entry(classId, obis);
    // An object the model lacks is let through so get/set answer object-undefined (4), as a meter does.
    return e === undefined ? 'read-write' : attributeAccessOf(this.cat, association, e, attributeId);
  }

  methodAccess(association: string, classId: number, obis: Uint8Array, methodId: number): MethodAccess {
    const e = this.entry(classId, obis);
    return e === undefined ? 'access' : methodAccessOf(this.cat, association, e, methodId);
  }
}
