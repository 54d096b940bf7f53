import {
  type Bill,
  type BillDifference,
  BillFlag,
  type BillingCycle,
  type BillQuery,
  type Determinants,
  isCodedError,
  type Meter,
  type NewBill,
  type Store,
  type Tariff,
} from '@openhes/core';
import { computeDeterminants } from './determinants.ts';
import { BillingError } from './errors.ts';
import { billsToCsv, billsToJson, type ExportFormat } from './export.ts';
import {
  type BillingGroup,
  type BillingGroupInput,
  billingGroup,
  cycleDays,
  cycleOf,
  groupMatches,
  parseCycle,
  previousCycle,
} from './groups.ts';
import { recordRegisterMismatches } from './mismatch.ts';
import { priceDeterminants } from './rating.ts';
import { CompiledTariff, validateTariff } from './tariff.ts';

export interface BillingRunOptions {
  /** Only this group (default: every configured group). */
  group?: string;
  /** Only these meters (each must belong to a group). */
  meterIds?: number[];
  /** Who runs it (stored on every bill). */
  actor: string;
  /** Why (stored on every bill; e.g. "rebill after edits"). */
  reason?: string;
  /**
   * Default true: a meter already billed for the cycle whose data (reading versions) or
   * tariff revision changed gets a new bill version showing the difference; false: meters
   * already billed are left alone.
   */
  rebill?: boolean;
  /** Meters billed at once (default 4). */
  concurrency?: number;
  /**
   * The final run of the cycle: the billed intervals get VEE final marks (label
   * `bill <cycle> v<version>`), so their estimates and values can no longer be changed by VEE.
   */
  final?: boolean;
}

export interface BillingRunResult {
  cycle: string;
  groups: string[];
  /** Meters considered (in a group, status active or suspended). */
  meters: number;
  /** Bills created as version 1. */
  created: number;
  /** New versions of bills whose data or tariff changed. */
  rebilled: number;
  /** Already billed with the same data and tariff revision: nothing stored. */
  unchanged: number;
  /** Bills of this run flagged estimated (some estimated or missing intervals, or no data). */
  estimated: number;
  /** Bills of this run for a cycle without any interval data (estimated, flagged no-data). */
  noData: number;
  /** Bills of this run whose meter registers disagree with our interval sums. */
  registerMismatches: number;
  /** Meters not billed and why (`no-tariff`). */
  skipped: { meterId: number; reason: string }[];
  /** Meters that failed (unknown tariff, no usable channel, a concurrent run …). */
  failed: { meterId: number; code: string; message: string }[];
  /** Ids of the bills created by this run. */
  billIds: number[];
}

export interface BillingServiceOptions {
  store: Pick<Store, 'billing' | 'meters' | 'channels' | 'readings' | 'vee'>;
  groups: readonly BillingGroupInput[];
}

const BILLED_STATUSES = new Set(['active', 'suspended']);

/**
 * Tariffs, billing runs and bills, as the API and the CLI use them.
 *
 * `hes bill run --cycle 2026-11 [--group G] [--meter ID …] [--no-rebill] [--final] [--reason TEXT]` is
 * `run('2026-11', { group, meterIds, rebill, final, reason, actor })`:
 * - every meter of the group(s) with status active or suspended and a tariff (`Meter.tariff`,
 *   the tariff id) gets one bill for the cycle; a meter without a tariff is skipped (listed);
 * - the cycle's bounds follow the group's rule (calendar month or read day, local midnight of
 *   the group's zone);
 * - determinants come from the meter's interval readings as they stand (VEE's newest
 *   versions: estimates are billable, the bill is then flagged `estimated`); a cycle with no
 *   data at all gets an estimated bill flagged `no-data` (the previous cycle's energy scaled
 *   to the cycle's length, or zero when there is none) — never silently nothing;
 * - running it again is safe: an unchanged meter keeps its bill; one whose readings or tariff
 *   revision changed gets a new version with the difference (unless `--no-rebill`);
 * - the result counts created, rebilled, unchanged, estimated, no-data and register-mismatch
 *   bills, and lists skipped and failed meters with the reason; the exit code should be
 *   non-zero when `failed` is not empty.
 */
export class BillingService {
  readonly groups: readonly BillingGroup[];
  private readonly store: BillingServiceOptions['store'];

  constructor(options: BillingServiceOptions) {
    this.store = options.store;
    this.groups = options.groups.map(billingGroup);
    const ids = new Set<string>();
    for (const g of this.groups) {
      if (ids.has(g.id)) throw BillingError.invalid('groups', `duplicate group ${g.id}`);
      ids.add(g.id);
    }
  }

  // --- tariffs ---

  /** Checks a tariff (throws BillingError naming the place of the fault) and returns it normalised. */
  validateTariff(input: unknown) {
    return validateTariff(input);
  }

  /** Validates and stores a tariff as its next revision. */
  async putTariff(input: unknown, actor: string): Promise<Tariff> {
    return this.store.billing.putTariff(validateTariff(input), actor);
  }

  async getTariff(id: string, revision?: number): Promise<Tariff> {
    const t = await this.store.billing.tariff(id, revision);
    if (t === null) throw BillingError.notFound('tariff', { id, revision: revision ?? null });
    return t;
  }

  listTariffs(options?: { includeRetired?: boolean }): Promise<Tariff[]> {
    return this.store.billing.tariffs(options);
  }

  async retireTariff(id: string, actor: string): Promise<void> {
    if (!(await this.store.billing.retireTariff(id, actor))) throw BillingError.notFound('tariff', { id });
  }

  // --- cycles and determinants ---

  group(id: string): BillingGroup {
    const g = this.groups.find((x) => x.id === id);
    if (g === undefined) throw BillingError.notFound('billing group', { group: id });
    return g;
  }

  /** The group a meter belongs to (the first that matches), or undefined. */
  groupOf(meter: Meter): BillingGroup | undefined {
    return this.groups.find((g) => groupMatches(g, meter));
  }

  cycle(label: string, groupId: string): BillingCycle {
    return cycleOf(label, this.group(groupId));
  }

  /** Determinants of one meter for a cycle, without billing (a preview). */
  async determinants(meterId: number, label: string): Promise<Determinants> {
    parseCycle(label);
    const meter = await this.meter(meterId);
    const g = this.groupOf(meter);
    if (g === undefined) throw BillingError.unbillable(meterId, 'belongs to no billing group');
    const tariff = await this.tariffOf(meter, new Map());
    return (await computeDeterminants(this.store, meterId, cycleOf(label, g), g, tariff.compiled))
      .determinants;
  }

  // --- runs ---

  async run(label: string, options: BillingRunOptions): Promise<BillingRunResult> {
    parseCycle(label);
    if (typeof options?.actor !== 'string' || options.actor === '') {
      throw BillingError.invalid('actor', 'must name who runs the billing');
    }
    const groups = options.group === undefined ? this.groups : [this.group(options.group)];
    const result: BillingRunResult = {
      cycle: label,
      groups: groups.map((g) => g.id),
      meters: 0,
      created: 0,
      rebilled: 0,
      unchanged: 0,
      estimated: 0,
      noData: 0,
      registerMismatches: 0,
      skipped: [],
      failed: [],
      billIds: [],
    };
    const work: { meter: Meter; group: BillingGroup }[] = [];
    const meters =
      options.meterIds === undefined
        ? await this.allMeters()
        : await Promise.all(options.meterIds.map((id) => this.meter(id)));
    for (const meter of meters) {
      const g = this.groupOf(meter);
      if (g === undefined || !groups.includes(g)) {
        if (options.meterIds !== undefined) {
          result.failed.push({
            meterId: meter.id,
            code: 'BILLING_UNBILLABLE',
            message: `meter ${meter.id} belongs to no billing group of this run`,
          });
        }
        continue;
      }
      if (!BILLED_STATUSES.has(meter.status)) continue;
      work.push({ meter, group: g });
    }
    result.meters = work.length;
    const tariffs = new Map<string, Promise<{ tariff: Tariff; compiled: CompiledTariff }>>();
    let next = 0;
    const worker = async () => {
      for (;;) {
        const item = work[next++];
        if (item === undefined) return;
        try {
          await this.billMeter(label, item.meter, item.group, tariffs, options, result);
        } catch (e) {
          result.failed.push({
            meterId: item.meter.id,
            code: isCodedError(e) ? e.code : 'BILLING_INTERNAL',
            message: e instanceof Error ? e.message : String(e),
          });
        }
      }
    };
    const n = Math.max(1, Math.min(16, options.concurrency ?? 4));
    await Promise.all(Array.from({ length: n }, worker));
    result.failed.sort((a, b) => a.meterId - b.meterId);
    result.skipped.sort((a, b) => a.meterId - b.meterId);
    return result;
  }

  private async billMeter(
    label: string,
    meter: Meter,
    group: BillingGroup,
    tariffs: Map<string, Promise<{ tariff: Tariff; compiled: CompiledTariff }>>,
    options: BillingRunOptions,
    result: BillingRunResult,
  ): Promise<void> {
    if (meter.tariff === null) {
      result.skipped.push({ meterId: meter.id, reason: 'no-tariff' });
      return;
    }
    const { tariff, compiled } = await this.tariffOf(meter, tariffs);
    const cycle = cycleOf(label, group);
    const computed = await computeDeterminants(this.store, meter.id, cycle, group, compiled);
    let { determinants, dataVersion } = computed;
    const flags: BillFlag[] = [];
    const hasData = determinants.actual + determinants.estimated > 0;
    if (!hasData) {
      const prev = (await this.store.billing.billVersions(meter.id, previousCycle(label))).at(-1);
      determinants = estimateFromPrevious(determinants, prev);
      dataVersion = `none:${prev?.id ?? 0}`;
      flags.push(BillFlag.noData, BillFlag.estimated);
    } else {
      if (determinants.estimated > 0) flags.push(BillFlag.estimated);
      if (determinants.missing > 0) {
        flags.push(BillFlag.missingData);
        if (!flags.includes(BillFlag.estimated)) flags.push(BillFlag.estimated);
      }
    }
    if (determinants.registerChecks.some((c) => !c.ok)) flags.push(BillFlag.registerMismatch);
    // A mismatch is also an exception the operator works (a later agreeing run clears it).
    await recordRegisterMismatches(this.store, meter.id, label, group, computed.determinants.registerChecks);
    if (hasData && determinants.unvalidatedDays > 0) flags.push(BillFlag.unvalidated);
    if (determinants.openExceptions > 0) flags.push(BillFlag.openExceptions);

    const versions = await this.store.billing.billVersions(meter.id, label);
    const last = versions.at(-1);
    if (
      last !== undefined &&
      (options.rebill === false ||
        (last.dataVersion === dataVersion &&
          last.tariffId === tariff.id &&
          last.tariffRevision === tariff.revision))
    ) {
      result.unchanged++;
      if (options.final === true)
        await this.markFinal(cycle, last.version, computed.channelIds, options.actor);
      return;
    }
    const priced = priceDeterminants(tariff, determinants, cycleDays(cycle));
    const bill: NewBill = {
      meterId: meter.id,
      cycle: label,
      groupId: group.id,
      from: cycle.from,
      to: cycle.to,
      tariffId: tariff.id,
      tariffRevision: tariff.revision,
      currency: tariff.currency,
      minorDigits: tariff.minorDigits,
      lines: priced.lines,
      subtotal: priced.subtotal,
      tax: priced.tax,
      total: priced.total,
      estimated: flags.includes(BillFlag.estimated),
      flags,
      determinants,
      dataVersion,
      difference: last === undefined ? null : differenceOf(last, priced.lines, priced.total),
      createdBy: options.actor,
      reason: options.reason ?? null,
    };
    const stored = await this.store.billing.addBill(bill, (last?.version ?? 0) + 1);
    if (last === undefined) result.created++;
    else result.rebilled++;
    if (stored.estimated) result.estimated++;
    if (flags.includes(BillFlag.noData)) result.noData++;
    if (flags.includes(BillFlag.registerMismatch)) result.registerMismatches++;
    result.billIds.push(stored.id);
    if (options.final === true)
      await this.markFinal(cycle, stored.version, computed.channelIds, options.actor);
  }

  private async markFinal(
    cycle: BillingCycle,
    version: number,
    channelIds: readonly number[],
    actor: string,
  ) {
    for (const channelId of channelIds) {
      const label = `bill ${cycle.label} v${version}`;
      const held = await this.store.vee.locks(channelId, cycle.from + 1, cycle.to);
      if (held.some((l) => l.label === label)) continue;
      await this.store.vee.lock({ channelId, from: cycle.from + 1, to: cycle.to, label, lockedBy: actor });
    }
  }

  // --- bills ---

  listBills(query: BillQuery) {
    if (query.cycle !== undefined) parseCycle(query.cycle);
    return this.store.billing.bills(query);
  }

  async getBill(id: number): Promise<Bill> {
    const b = await this.store.billing.bill(id);
    if (b === null) throw BillingError.notFound('bill', { id });
    return b;
  }

  billVersions(meterId: number, cycle: string): Promise<Bill[]> {
    parseCycle(cycle);
    return this.store.billing.billVersions(meterId, cycle);
  }

  /** Every bill the query selects (all pages), as CSV or JSON text. */
  async exportBills(query: Omit<BillQuery, 'cursor' | 'limit'>, format: ExportFormat): Promise<string> {
    if (format !== 'csv' && format !== 'json')
      throw BillingError.invalid('format', "must be 'csv' or 'json'");
    const bills: Bill[] = [];
    let cursor: string | null = null;
    do {
      const page = await this.listBills({ ...query, cursor, limit: 1000 });
      bills.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return format === 'csv' ? billsToCsv(bills) : billsToJson(bills);
  }

  // --- helpers ---

  private async meter(id: number): Promise<Meter> {
    const m = await this.store.meters.get(id);
    if (m === null) throw BillingError.notFound('meter', { meterId: id });
    return m;
  }

  private async allMeters(): Promise<Meter[]> {
    const out: Meter[] = [];
    let cursor: string | null = null;
    do {
      const page = await this.store.meters.list({ limit: 10_000, cursor });
      out.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return out;
  }

  private tariffOf(
    meter: Meter,
    cache: Map<string, Promise<{ tariff: Tariff; compiled: CompiledTariff }>>,
  ): Promise<{ tariff: Tariff; compiled: CompiledTariff }> {
    const id = meter.tariff;
    if (id === null) return Promise.reject(BillingError.unbillable(meter.id, 'has no tariff'));
    let p = cache.get(id);
    if (p === undefined) {
      p = this.store.billing.tariff(id).then((t) => {
        if (t === null || t.retired) {
          throw new BillingError(
            'not-found',
            'BILLING_NOT_FOUND',
            `tariff ${id} not found${t?.retired ? ' (retired)' : ''}`,
            {
              id,
            },
          );
        }
        return { tariff: t, compiled: new CompiledTariff(t) };
      });
      cache.set(id, p);
    }
    return p;
  }
}

/**
 * Determinants of a cycle without data: the previous bill's energies and demands scaled to
 * this cycle's length (energies only; demand kept), or zero without a previous bill.
 */
function estimateFromPrevious(d: Determinants, prev: Bill | undefined): Determinants {
  if (prev === undefined) return d;
  const p = prev.determinants;
  const scale = (d.to - d.from) / (p.to - p.from);
  const periods = d.periods.map((x) => {
    const q = p.periods.find((y) => y.period === x.period);
    if (q === undefined) return x;
    return {
      ...x,
      importMilliWh: Math.round(q.importMilliWh * scale),
      exportMilliWh: Math.round(q.exportMilliWh * scale),
      maxDemandMilliW: q.maxDemandMilliW,
      maxDemandAt: null,
    };
  });
  return {
    ...d,
    periods,
    importMilliWh: periods.reduce((s, x) => s + x.importMilliWh, 0),
    exportMilliWh: periods.reduce((s, x) => s + x.exportMilliWh, 0),
    maxDemandMilliW: p.maxDemandMilliW,
    maxDemandAt: null,
  };
}

function differenceOf(prev: Bill, lines: NewBill['lines'], total: number): BillDifference {
  const codes = [...new Set([...prev.lines.map((l) => l.code), ...lines.map((l) => l.code)])];
  return {
    previousVersion: prev.version,
    lines: codes
      .map((code) => {
        const previous = prev.lines.find((l) => l.code === code)?.amount ?? 0;
        const current = lines.find((l) => l.code === code)?.amount ?? 0;
        return { code, previous, current, difference: current - previous };
      })
      .filter((l) => l.difference !== 0),
    total: total - prev.total,
  };
}
