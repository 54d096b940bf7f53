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
  type SecurityPolicy,
  type ServerAssociation,
} from '@openhes/dlms';
import type { ServedSession } from '@openhes/transport';
import { METER_MAX_PDU, SERVER_CONFORMANCE } from '../conformance.ts';
import { catalogOf, obisBytes } from '../model/catalog.ts';
import { keyVersion } from '../model/key-version.ts';
import { MeterModel, type ModelHooks } from '../model/meter-model.ts';
import { readAttribute } from '../model/read.ts';
import type { CaptureRef } from '../profiles.ts';
import type { Truth } from '../truth/fleet-truth.ts';
import type { MeterTruth } from '../truth/meter.ts';
import type { Instant } from '../truth/time.ts';
import { activeSecrets, type RowContext, systemTitleOf } from '../truth/values.ts';
import { type CounterReservations, UNICAST_KEY } from './counter-file.ts';

const POLICY_NAMES: readonly SecurityPolicy[] = ['none', 'auth', 'enc', 'auth+enc'];

/**
 * The associations a meter offers, with the secrets it holds now (a wrong-key meter holds
 * others) and the security policy security_activate left each one (the profile's before).
 */
export function serverAssociations(m: MeterTruth): ServerAssociation[] {
  const secrets = activeSecrets(m);
  const activated = m.state?.policies;
  return m.profile.associations.map((a) => {
    const policy = POLICY_NAMES[activated?.[a.key] ?? -1] ?? a.policy;
    const base: ServerAssociation = {
      key: a.key,
      clientSap: a.clientSap,
      authentication: a.authentication,
      policy,
      conformance: SERVER_CONFORMANCE,
      maxReceivePduSize: METER_MAX_PDU,
      challengeLength: 16,
    };
    if (a.authentication === 'low') base.password = secrets.password;
    if (a.authentication === 'hls-gmac' || policy !== 'none') base.keys = { ek: secrets.ek, ak: secrets.ak };
    return base;
  });
}

/**
 * The state-file label of the meter's send counter under key version `version`: the unicast
 * key's name for the issued keys (what earlier state files hold), then `guek.v<n>`. A label
 * saved by an earlier run is continued, never restarted (the same new key may be sent again).
 */
export function counterLabel(version: number): string {
  return version === 0 ? UNICAST_KEY : `${UNICAST_KEY}.v${version}`;
}

/**
 * Counters of the meters that were talked to with ciphering; kept so replays stay refused.
 * A meter has one pair (its send counter, and the last counter it accepted from each client)
 * per key version: a key change its profile says restarts the counters (keyVersion) starts
 * both afresh, as a meter that takes a new unicast key restarts its frame counter and accepts
 * the client's counters from the start again under it.
 * With reservations (the fleet's state file), each meter's send counter continues from where
 * the last run left it, and every counter is reserved durably before it goes out: a restart,
 * even a crash, never makes a meter send a counter (an AES-GCM nonce) twice.
 */
export class CounterStore {
  private readonly counters = new Map<string, InvocationCounterState>();
  private readonly reservations: CounterReservations | undefined;

  constructor(reservations?: CounterReservations) {
    this.reservations = reservations;
  }

  /** The counters of the meter's current keys (or of key version `version`). */
  of(m: MeterTruth, version = keyVersion(m)): InvocationCounterState {
    const id = `${m.index}/${version}`;
    let c = this.counters.get(id);
    if (c === undefined) {
      const state = m.fleet.ensureState(m.index);
      const current = (): boolean => keyVersion(m) === version;
      const r = this.reservations;
      const label = counterLabel(version);
      let next = current() ? state.invocationCounter : 0;
      let onSend: (next: number) => void = () => {};
      if (r !== undefined) {
        const title = toHex(systemTitleOf(m));
        next = Math.max(next, r.start(title, label));
        let mark = r.reserve(title, label, next);
        // Runs before the counter just handed out is used: the next one is reserved first.
        onSend = (n) => {
          if (n >= mark) mark = r.reserve(title, label, n);
        };
      }
      if (current()) state.invocationCounter = next;
      c = new InvocationCounterState({
        nextToSend: next,
        onChange: (change) => {
          if (change.direction !== 'send') return;
          // The counter object serves the send counter of the keys the meter holds now.
          if (current()) state.invocationCounter = change.next;
          onSend(change.next);
        },
      });
      this.counters.set(id, c);
    }
    return c;
  }

  get size(): number {
    return this.counters.size;
  }
}

/**
 * One connection's counters: those of the key version its association was opened under. The
 * version is taken again at each AARQ (`pin`), so an association opened after a key change on
 * the same connection runs on the new keys' counters, while the open one keeps its own.
 */
class PinnedCounters extends InvocationCounterState {
  readonly #pick: () => InvocationCounterState;
  #current: InvocationCounterState;

  constructor(pick: () => InvocationCounterState) {
    super();
    this.#pick = pick;
    this.#current = pick();
  }

  pin(): void {
    this.#current = this.#pick();
  }

  override get peekNextToSend(): number {
    return this.#current.peekNextToSend;
  }

  override nextToSend(): number {
    return this.#current.nextToSend();
  }

  override restore(next: number): void {
    this.#current.restore(next);
  }

  override restoreReceived(systemTitleHex: string, last: number): void {
    this.#current.restoreReceived(systemTitleHex, last);
  }

  override lastReceived(systemTitleHex: string): number | undefined {
    return this.#current.lastReceived(systemTitleHex);
  }

  override accept(systemTitleHex: string, invocationCounter: number): void {
    this.#current.accept(systemTitleHex, invocationCounter);
  }
}

/**
 * The association list of one connection, looked up afresh at each AARQ: the server session
 * finds its association in it when an AARQ comes (Array.prototype.find reads index 0 first),
 * and that read takes the secrets and policies the meter holds now and pins the connection's
 * counters to the current key version. A release followed by a new AARQ on the same
 * connection therefore needs the new keys; the open association keeps the object it found.
 */
function liveAssociations(m: MeterTruth, counters: PinnedCounters): ServerAssociation[] {
  let list = serverAssociations(m);
  const out: ServerAssociation[] = [];
  for (let i = 0; i < list.length; i++) {
    Object.defineProperty(out, i, {
      enumerable: true,
      get: () => {
        if (i === 0) {
          list = serverAssociations(m);
          counters.pin();
        }
        return list[i];
      },
    });
  }
  return out;
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
  const pinned = new PinnedCounters(() => counters.of(m));
  return {
    systemTitle: systemTitleOf(m),
    associations: liveAssociations(m, pinned),
    model: new MeterModel(m, hooks),
    invocationCounters: pinned,
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
