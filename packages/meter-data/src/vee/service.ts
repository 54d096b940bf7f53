import {
  type Actor,
  type BusMessage,
  type Clock,
  type EventBus,
  type Instant,
  normalizeObis,
  type Page,
  QualityFlag,
  type Reading,
  type ReadingsStoredPayload,
  type Store,
  type Subscription,
  type TimelinessFigures,
  type TimelinessQuery,
  type VeeDayQuery,
  type VeeDaySummary,
  type VeeEdit,
  type VeeException,
  type VeeExceptionQuery,
  type VeeLock,
  type VeePort,
  VeeResolution,
} from '@openhes/core';
import {
  type ChannelGroup,
  type ChannelGroupInput,
  channelGroups,
  groupFor,
  intervalMsOf,
} from './config.ts';
import { VeeError, VeeErrorCode } from './errors.ts';
import { EDIT_REASON, INFORMATIONAL_RULES, methodOf, QualityCode } from './quality.ts';
import {
  runMeter,
  runVee,
  type VeeDeps,
  type VeeRunRange,
  type VeeRunReport,
  type VeeStorePorts,
} from './run.ts';
import { localDate, nextDate } from './zone.ts';

/** The largest series the service returns in one call (about 200 days of 15-minute values). */
export const MAX_SERIES_POINTS = 20_000;

export type VeeSeriesMode = 'raw' | 'validated';

/** One interval of a series, with its quality: a gap is explicit (value null). */
export interface VeePoint {
  /** Interval end (UTC). */
  ts: Instant;
  value: number | null;
  /** Reading version shown (null for a gap). */
  version: number | null;
  /** QualityFlag bits of the reading (0 for a gap). */
  quality: number;
  /** IEC 61968-9 style codes: the value's state first, then the findings over it. */
  codes: string[];
  gap: boolean;
  estimated: boolean;
  edited: boolean;
  /** Estimation method of an estimate (linear, like-day, register-scaled, daily-flat). */
  method: string | null;
  /** Rules of open exceptions over this interval. */
  rules: string[];
}

export interface VeeSeriesQuery {
  channelId: number;
  /** Interval ends in [from, to). */
  from: Instant;
  to: Instant;
  mode?: VeeSeriesMode;
}

export interface VeeEditInput {
  channelId: number;
  ts: Instant;
  value: number;
  reason: string;
}

export interface VeeLockInput {
  meterId: number;
  /** One channel of the meter; default every channel VEE covers. */
  channelId?: number;
  /** Interval ends in [from, to] are final. */
  from: Instant;
  to: Instant;
  label: string;
}

export interface VeeServiceOptions {
  store: VeeStorePorts & Pick<Store, 'audit'>;
  clock: Clock;
  /** Channel groups (the default group is added unless one is called `default`). */
  groups?: readonly ChannelGroupInput[];
  dueAfterMs?: number;
}

function actorName(actor: Actor | string): string {
  return typeof actor === 'string' ? actor : actor.name;
}

/**
 * VEE for the API, the CLI and the app: runs (on demand and after each ingest), series raw or
 * validated with quality per value, exceptions and their resolution, day summaries,
 * timeliness, edits and final marks.
 */
export class VeeService implements VeePort {
  readonly groups: ChannelGroup[];
  readonly #store: VeeServiceOptions['store'];
  readonly #deps: VeeDeps;
  readonly #queues = new Map<number, Promise<unknown>>();

  constructor(options: VeeServiceOptions) {
    this.groups = channelGroups(options.groups ?? []);
    this.#store = options.store;
    this.#deps = {
      store: options.store,
      clock: options.clock,
      groups: this.groups,
      ...(options.dueAfterMs === undefined ? {} : { dueAfterMs: options.dueAfterMs }),
      perMeter: (meterId, fn) => this.#serial(meterId, fn),
    };
  }

  /** Runs of one meter never overlap (a run after an ingest and one on demand queue up). */
  #serial<T>(meterId: number, fn: () => Promise<T>): Promise<T> {
    const before = this.#queues.get(meterId) ?? Promise.resolve();
    const next = before.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.#queues.set(meterId, tail);
    void tail.then(() => {
      if (this.#queues.get(meterId) === tail) this.#queues.delete(meterId);
    });
    return next;
  }

  /** On demand: whole local days holding (from, to], for the given meters or all. */
  run(range: VeeRunRange): Promise<VeeRunReport> {
    return runVee(this.#deps, range);
  }

  /**
   * The incremental run after an ingest: the days of the batch's range (one linear window
   * earlier, so a gap ending at it is interpolated). VEE's own batches (`vee:`) are skipped.
   */
  async runAfterIngest(payload: ReadingsStoredPayload): Promise<VeeRunReport | null> {
    if (payload.batchId.startsWith('vee:')) return null;
    return this.#serial(payload.meterId, async () => {
      const meter = await this.#store.meters.get(payload.meterId);
      if (meter === null || meter.status === 'decommissioned') return null;
      const group = groupFor(this.groups, meter);
      const pad = Math.max(intervalMsOf(group, { intervalSeconds: null }), group.estimation.linearMaxMs);
      return runMeter(this.#deps, meter, payload.from - pad, payload.to);
    });
  }

  /** Runs VEE after every `readings.stored` on the bus. */
  subscribe(bus: EventBus): Promise<Subscription> {
    return bus.subscribe('readings.stored', async (m: BusMessage) => {
      await this.runAfterIngest(m.payload as ReadingsStoredPayload);
    });
  }

  async #channel(channelId: number) {
    if (!Number.isSafeInteger(channelId) || channelId <= 0) {
      throw VeeError.invalid('channelId', 'channelId must be a positive integer');
    }
    const channel = await this.#store.channels.get(channelId);
    if (channel === null) throw VeeError.notFound('channel', { channelId });
    const meter = await this.#store.meters.get(channel.meterId);
    if (meter === null) throw VeeError.notFound('meter', { meterId: channel.meterId });
    return { channel, meter, group: groupFor(this.groups, meter) };
  }

  /** A channel's intervals in [from, to): raw (as first read) or validated (current, with findings). */
  async series(q: VeeSeriesQuery): Promise<VeePoint[]> {
    const mode = q.mode ?? 'validated';
    if (mode !== 'raw' && mode !== 'validated')
      throw VeeError.invalid('mode', 'mode must be raw or validated');
    if (!Number.isSafeInteger(q.from)) throw VeeError.invalid('from', 'from must be an instant (epoch ms)');
    if (!Number.isSafeInteger(q.to) || q.to <= q.from)
      throw VeeError.invalid('to', 'to must be an instant after from');
    const { group, channel } = await this.#channel(q.channelId);
    const I = intervalMsOf(group, channel);
    const first = Math.ceil(q.from / I) * I;
    const count = Math.max(0, Math.ceil((q.to - first) / I));
    if (count > MAX_SERIES_POINTS) {
      throw VeeError.invalid('to', `at most ${MAX_SERIES_POINTS} intervals per series (asked ${count})`);
    }
    const readings = await this.#readings(q.channelId, q.from, q.to, mode === 'raw' ? 'all' : 'latest');
    const byTs = new Map<number, Reading>();
    for (const r of readings) {
      if (mode === 'raw') {
        if (
          r.version < 1 ||
          r.source === 'estimate' ||
          r.quality & (QualityFlag.estimated | QualityFlag.edited)
        )
          continue;
        const had = byTs.get(r.ts);
        if (had === undefined || r.version < had.version) byTs.set(r.ts, r);
      } else byTs.set(r.ts, r);
    }
    const open =
      mode === 'validated' ? await this.#openExceptions(q.channelId, first - 31 * 86_400_000, q.to) : [];
    const runDays = new Set<string>();
    if (mode === 'validated' && count > 0) {
      const fromDay = localDate(first - I, group.timeZone);
      const toDay = nextDate(localDate(first + (count - 1) * I - I, group.timeZone));
      let cursor: string | null = null;
      do {
        const page: Page<VeeDaySummary> = await this.#store.vee.days({
          channelId: q.channelId,
          fromDay,
          toDay,
          limit: 1000,
          cursor,
        });
        for (const d of page.items) runDays.add(d.day);
        cursor = page.nextCursor;
      } while (cursor !== null);
    }
    const out: VeePoint[] = [];
    for (let k = 0; k < count; k++) {
      const ts = first + k * I;
      const r = byTs.get(ts);
      const over = open.filter((e) => e.from <= ts && e.to >= ts);
      const rules = over.map((e) => e.rule);
      if (r === undefined) {
        out.push({
          ts,
          value: null,
          version: null,
          quality: 0,
          codes: [QualityCode.knownMissingRead],
          gap: true,
          estimated: false,
          edited: false,
          method: null,
          rules,
        });
        continue;
      }
      const estimated = (r.quality & QualityFlag.estimated) !== 0;
      const edited = (r.quality & QualityFlag.edited) !== 0;
      const codes: string[] = [];
      if (mode === 'raw') codes.push(QualityCode.raw);
      else if (edited) codes.push(QualityCode.edited);
      else if (estimated) codes.push(QualityCode.estimated);
      else if (
        runDays.has(localDate(ts - I, group.timeZone)) &&
        !over.some((e) => !INFORMATIONAL_RULES.has(e.rule))
      ) {
        codes.push(QualityCode.validated);
      } else codes.push(QualityCode.raw);
      for (const e of over)
        if (e.rule !== 'missing' && !codes.includes(e.qualityCode)) codes.push(e.qualityCode);
      out.push({
        ts,
        value: r.value,
        version: r.version,
        quality: r.quality,
        codes,
        gap: false,
        estimated,
        edited,
        method: estimated ? methodOf(r.reasons) : null,
        rules: mode === 'raw' ? [] : rules,
      });
    }
    return out;
  }

  async #readings(channelId: number, from: Instant, to: Instant, versions: 'latest' | 'all') {
    const out: Reading[] = [];
    let cursor: string | null = null;
    do {
      const page = await this.#store.readings.series({
        channelId,
        from,
        to,
        limit: 10_000,
        cursor,
        versions,
      });
      out.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return out;
  }

  async #openExceptions(channelId: number, from: Instant, to: Instant): Promise<VeeException[]> {
    const out: VeeException[] = [];
    let cursor: string | null = null;
    do {
      const page = await this.#store.vee.exceptions({
        channelId,
        status: 'open',
        from,
        to,
        limit: 1000,
        cursor,
      });
      out.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return out;
  }

  exceptions(query: VeeExceptionQuery): Promise<Page<VeeException>> {
    return this.#store.vee.exceptions(query);
  }

  async exception(id: number): Promise<VeeException> {
    const e = await this.#store.vee.exception(id);
    if (e === null) throw VeeError.notFound('exception', { exceptionId: id });
    return e;
  }

  /** Closes an exception (audited). */
  async resolve(
    id: number,
    resolution: VeeResolution,
    actor: Actor | string,
    note?: string,
  ): Promise<VeeException> {
    if (!Object.values(VeeResolution).includes(resolution)) {
      throw VeeError.invalid(
        'resolution',
        `resolution must be one of ${Object.values(VeeResolution).join(', ')}`,
      );
    }
    const by = actorName(actor);
    const out = await this.#store.vee.resolve(id, resolution, by, note ?? null);
    await this.#store.audit.append({
      actor: by,
      action: 'vee.exception.resolve',
      target: `vee-exception:${id}`,
      outcome: 'succeeded',
      detail: { resolution, note: note ?? null, rule: out.rule, channelId: out.channelId },
    });
    return out;
  }

  /** VEE summary per channel and local day. */
  summary(query: VeeDayQuery): Promise<Page<VeeDaySummary>> {
    return this.#store.vee.days(query);
  }

  /** Share validated by day 1, day 2 and the final deadline, per group and for the fleet. */
  timeliness(query: TimelinessQuery): Promise<TimelinessFigures[]> {
    return this.#store.vee.timeliness(query);
  }

  /**
   * A user's edit: a new version (QualityFlag.edited), the reason required, the edit recorded
   * and audited; refused on a final (billed) value. The day is run again.
   */
  async edit(input: VeeEditInput, actor: Actor | string): Promise<{ edit: VeeEdit; reading: Reading }> {
    const by = actorName(actor);
    if (typeof input.reason !== 'string' || input.reason.trim() === '') {
      throw VeeError.invalid('reason', 'an edit needs a reason');
    }
    if (typeof input.value !== 'number' || !Number.isFinite(input.value)) {
      throw VeeError.invalid('value', 'value must be a finite number');
    }
    const { channel, meter, group } = await this.#channel(input.channelId);
    const I = intervalMsOf(group, channel);
    if (!Number.isSafeInteger(input.ts) || input.ts % I !== 0) {
      throw VeeError.invalid('ts', `ts must be an interval end (a multiple of ${I / 1000} s)`);
    }
    const locks = await this.#store.vee.locks(channel.id, input.ts, input.ts);
    if (locks.length > 0) {
      const err = new VeeError(
        'conflict',
        VeeErrorCode.Final,
        `the value at ${new Date(input.ts).toISOString()} is final (${locks[0]!.label})`,
        {
          channelId: channel.id,
          ts: input.ts,
          lock: locks[0]!.id,
        },
      );
      await this.#audit(by, channel.id, 'denied', {
        ts: input.ts,
        value: input.value,
        reason: input.reason,
        final: locks[0]!.label,
      });
      throw err;
    }
    const before = newestOf(await this.#store.readings.history(channel.id, input.ts));
    const reason = input.reason.trim();
    await this.#store.readings.ingest({
      id: `vee:edit:${channel.id}:${input.ts}:${this.#deps.clock.now()}:${Math.random().toString(36).slice(2)}`,
      readings: [
        {
          channelId: channel.id,
          ts: input.ts,
          value: input.value,
          quality: QualityFlag.edited,
          reasons: [EDIT_REASON, `q:${before === undefined ? QualityCode.added : QualityCode.edited}`],
          source: 'estimate',
        },
      ],
      onDifferent: 'supersede',
    });
    const after = newestOf(await this.#store.readings.history(channel.id, input.ts));
    if (after === undefined) throw new VeeError('internal', VeeErrorCode.Invalid, 'the edit was not stored');
    const edit = await this.#store.vee.addEdit({
      meterId: meter.id,
      channelId: channel.id,
      ts: input.ts,
      oldValue: before?.value ?? null,
      newValue: input.value,
      version: after.version,
      reason,
      actor: by,
    });
    await this.#audit(by, channel.id, 'succeeded', {
      editId: edit.id,
      meterId: meter.id,
      ts: input.ts,
      oldValue: edit.oldValue,
      newValue: input.value,
      version: after.version,
      reason,
    });
    await this.#serial(meter.id, () => runMeter(this.#deps, meter, input.ts - I, input.ts));
    return { edit, reading: after };
  }

  async #audit(
    actor: string,
    channelId: number,
    outcome: 'succeeded' | 'denied',
    detail: Record<string, unknown>,
  ) {
    await this.#store.audit.append({
      actor,
      action: 'vee.edit',
      target: `channel:${channelId}`,
      outcome,
      detail,
    });
  }

  edits(channelId: number, from: Instant, to: Instant): Promise<VeeEdit[]> {
    return this.#store.vee.edits(channelId, from, to);
  }

  /**
   * Marks values final (billed): estimates and edits are refused in [from, to] from then on
   * (Itron's FINALESTIMATE). For billing: one mark per channel VEE covers, or the one given.
   */
  async lockFinal(input: VeeLockInput, actor: Actor | string): Promise<VeeLock[]> {
    const by = actorName(actor);
    const meter = await this.#store.meters.get(input.meterId);
    if (meter === null) throw VeeError.notFound('meter', { meterId: input.meterId });
    if (!Number.isSafeInteger(input.from))
      throw VeeError.invalid('from', 'from must be an instant (epoch ms)');
    if (!Number.isSafeInteger(input.to) || input.to < input.from)
      throw VeeError.invalid('to', 'to must not be before from');
    if (typeof input.label !== 'string' || input.label.trim() === '')
      throw VeeError.invalid('label', 'a final mark needs a label');
    const group = groupFor(this.groups, meter);
    const channels = (await this.#store.channels.forMeter(meter.id)).filter((c) =>
      input.channelId === undefined
        ? c.kind === 'interval' && group.channels.includes(obisOr(c.obis))
        : c.id === input.channelId,
    );
    if (input.channelId !== undefined && channels.length === 0) {
      throw VeeError.notFound('channel', { channelId: input.channelId, meterId: meter.id });
    }
    const out: VeeLock[] = [];
    for (const c of channels) {
      out.push(
        await this.#store.vee.lock({
          channelId: c.id,
          from: input.from,
          to: input.to,
          label: input.label,
          lockedBy: by,
        }),
      );
    }
    await this.#store.audit.append({
      actor: by,
      action: 'vee.lock',
      target: `meter:${meter.id}`,
      outcome: 'succeeded',
      detail: { channels: channels.map((c) => c.id), from: input.from, to: input.to, label: input.label },
    });
    return out;
  }
}

function obisOr(obis: string): string {
  try {
    return normalizeObis('obis', obis);
  } catch {
    return '';
  }
}

function newestOf(history: readonly Reading[]): Reading | undefined {
  let best: Reading | undefined;
  for (const r of history) if (r.version >= 1 && (best === undefined || r.version > best.version)) best = r;
  return best;
}

export function mergeReports(reports: readonly VeeRunReport[]): VeeRunReport {
  const out: VeeRunReport = {
    meters: 0,
    channels: 0,
    slots: 0,
    values: 0,
    gaps: 0,
    estimated: 0,
    lateReal: 0,
    exceptionsOpened: 0,
    exceptionsCleared: 0,
    byRule: {},
  };
  for (const r of reports) {
    for (const k of [
      'meters',
      'channels',
      'slots',
      'values',
      'gaps',
      'estimated',
      'lateReal',
      'exceptionsOpened',
      'exceptionsCleared',
    ] as const) {
      out[k] += r[k];
    }
    for (const [rule, c] of Object.entries(r.byRule)) out.byRule[rule] = (out.byRule[rule] ?? 0) + c;
  }
  return out;
}
