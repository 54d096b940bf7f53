import {
  type AccessContext,
  type AttributeAccess,
  type AttributeAddress,
  type DlmsData,
  InvocationCounterState,
  type MethodAccess,
  type MethodAddress,
  type ObjectModel,
  type RandomSource,
  type ServerAssociation,
} from '@openhes/dlms';
import type { ServedSession } from '@openhes/transport';
import { METER_MAX_PDU, SERVER_CONFORMANCE } from '../conformance.ts';
import { catalogOf, obisBytes } from '../model/catalog.ts';
import { MeterModel, type ModelHooks } from '../model/meter-model.ts';
import { readAttribute } from '../model/read.ts';
import type { CaptureRef } from '../profiles.ts';
import type { Truth } from '../truth/fleet-truth.ts';
import type { MeterTruth } from '../truth/meter.ts';
import type { Instant } from '../truth/time.ts';
import { activeSecrets, type RowContext, systemTitleOf } from '../truth/values.ts';
import { type CounterReservations, UNICAST_KEY } from './counter-file.ts';

/** The associations a meter offers, with the secrets it holds now (a wrong-key meter holds others). */
export function serverAssociations(m: MeterTruth): ServerAssociation[] {
  const secrets = activeSecrets(m);
  return m.profile.associations.map((a) => {
    const base: ServerAssociation = {
      key: a.key,
      clientSap: a.clientSap,
      authentication: a.authentication,
      policy: a.policy,
      conformance: SERVER_CONFORMANCE,
      maxReceivePduSize: METER_MAX_PDU,
      challengeLength: 16,
    };
    if (a.authentication === 'low') base.password = secrets.password;
    if (a.authentication === 'hls-gmac' || a.policy !== 'none')
      base.keys = { ek: secrets.ek, ak: secrets.ak };
    return base;
  });
}

/**
 * Counters of the meters that were talked to with ciphering; kept so replays stay refused.
 * With reservations (the fleet's state file), each meter's send counter continues from where
 * the last run left it, and every counter is reserved durably before it goes out: a restart,
 * even a crash, never makes a meter send a counter (an AES-GCM nonce) twice.
 */
export class CounterStore {
  private readonly counters = new Map<number, InvocationCounterState>();
  private readonly reservations: CounterReservations | undefined;

  constructor(reservations?: CounterReservations) {
    this.reservations = reservations;
  }

  of(m: MeterTruth): InvocationCounterState {
    let c = this.counters.get(m.index);
    if (c === undefined) {
      const state = m.fleet.ensureState(m.index);
      const r = this.reservations;
      let onSend: (next: number) => void = () => {};
      if (r !== undefined) {
        const title = toHex(systemTitleOf(m));
        state.invocationCounter = Math.max(state.invocationCounter, r.start(title, UNICAST_KEY));
        let mark = r.reserve(title, UNICAST_KEY, state.invocationCounter);
        // Runs before the counter just handed out is used: the next one is reserved first.
        onSend = (next) => {
          if (next >= mark) mark = r.reserve(title, UNICAST_KEY, next);
        };
      }
      c = new InvocationCounterState({
        nextToSend: state.invocationCounter,
        onChange: (change) => {
          if (change.direction !== 'send') return;
          state.invocationCounter = change.next;
          onSend(change.next);
        },
      });
      this.counters.set(m.index, c);
    }
    return c;
  }

  get size(): number {
    return this.counters.size;
  }
}

function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export function servedSession(
  truth: Truth,
  index: number,
  hooks: ModelHooks,
  counters: CounterStore,
  random?: RandomSource,
): ServedSession {
  const m = truth.meter(index);
  return {
    systemTitle: systemTitleOf(m),
    associations: serverAssociations(m),
    model: new MeterModel(m, hooks),
    invocationCounters: counters.of(m),
    ...(random === undefined ? {} : { random }),
  };
}

/** The body of a DataNotification: the push object list's values at t (rows: `row` instant). */
export function pushBody(
  m: MeterTruth,
  objects: readonly CaptureRef[],
  t: Instant,
  now: Instant,
  ctx: RowContext = t === now ? { live: true } : {},
): DlmsData {
  const cat = catalogOf(m.profile);
  const rc = { m, cat, association: 'management', clientSap: 64, now };
  return {
    type: 'structure',
    value: objects.map((ref) => {
      if (ref[0] === 40 && ref[2] === 1) return { type: 'octet-string', value: obisBytes(ref[1]) };
      const e = cat.byObis.get(ref[1]);
      if (e === undefined) return { type: 'null-data' };
      const v = readAttribute(rc, e, ref[2], t, ctx);
      return typeof v === 'number' ? { type: 'null-data' } : v;
    }),
  };
}

/** Counts the requests a session dispatches to its model. */
export class CountingModel implements ObjectModel {
  private readonly inner: ObjectModel;
  private readonly stats: { requests: number };

  constructor(inner: ObjectModel, stats: { requests: number }) {
    this.inner = inner;
    this.stats = stats;
  }

  get(ctx: AccessContext, a: AttributeAddress): DlmsData | number {
    this.stats.requests++;
    return this.inner.get(ctx, a);
  }

  set(ctx: AccessContext, a: AttributeAddress, value: DlmsData): number {
    this.stats.requests++;
    return this.inner.set(ctx, a, value);
  }

  action(
    ctx: AccessContext,
    a: MethodAddress,
    params: DlmsData | undefined,
  ): { result: number; returnData?: DlmsData } {
    this.stats.requests++;
    return this.inner.action(ctx, a, params);
  }

  attributeAccess(
    association: string,
    classId: number,
    obis: Uint8Array,
    attributeId: number,
  ): AttributeAccess {
    return this.inner.attributeAccess(association, classId, obis, attributeId);
  }

  methodAccess(association: string, classId: number, obis: Uint8Array, methodId: number): MethodAccess {
    return this.inner.methodAccess(association, classId, obis, methodId);
  }
}
