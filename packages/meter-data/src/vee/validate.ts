import { type Instant, type NewVeeException, VeeRule } from '@openhes/core';
import type { ChannelGroup } from './config.ts';
import { INFORMATIONAL_RULES, QualityCode, RULE_QUALITY } from './quality.ts';
import { type Grid, SlotKind, slotOf } from './series.ts';

export interface RegisterPoint {
  ts: Instant;
  value: number;
}

export interface MeterEventLite {
  ts: Instant;
  category: string;
  code: number;
}

/** Everything the rules look at for one interval channel. */
export interface ValidationInput {
  meterId: number;
  channelId: number;
  group: ChannelGroup;
  grid: Grid;
  /** The channel as configured in the registry. */
  channel: { intervalSeconds: number | null; unit: string; isImport: boolean };
  /** The cumulative register of the same quantity, when the meter has one. */
  register: { channelId: number; points: RegisterPoint[] } | null;
  /** Status word per interval end (profile status channel), when the meter has one. */
  status: Map<number, number> | null;
  events: readonly MeterEventLite[];
  /** Interval ends that are not on the grid (misaligned or wrong interval length). */
  offGrid: readonly Instant[];
  /** Slots ending after this are not due yet (not collected so far): never missing. */
  dueUntil: Instant;
}

export interface ValidationResult {
  /** Exceptions of the interval channel. */
  exceptions: NewVeeException[];
  /** Exceptions of the register channel (backwards, rollover). */
  registerExceptions: NewVeeException[];
  /** Per slot: 1 when under a non-informational exception (suspect). */
  suspect: Uint8Array;
  /** Per day: true when it holds an outage or clock flag (not usable as like-day history). */
  flaggedDays: boolean[];
}

/** Relay-open windows from disconnector events, in time order. */
export function openWindows(
  events: readonly MeterEventLite[],
  openCodes: readonly number[],
  closeCodes: readonly number[],
): { from: Instant; to: Instant }[] {
  const out: { from: Instant; to: Instant }[] = [];
  let openAt: Instant | null = null;
  for (const e of [...events].sort((a, b) => a.ts - b.ts)) {
    if (openCodes.includes(e.code) && openAt === null) openAt = e.ts;
    else if (closeCodes.includes(e.code) && openAt !== null) {
      out.push({ from: openAt, to: e.ts });
      openAt = null;
    }
  }
  if (openAt !== null) out.push({ from: openAt, to: Number.MAX_SAFE_INTEGER });
  return out;
}

export function validateChannel(input: ValidationInput): ValidationResult {
  const { grid: g, group } = input;
  const p = group.validation;
  const n = g.ts.length;
  const exceptions: NewVeeException[] = [];
  const registerExceptions: NewVeeException[] = [];
  const suspect = new Uint8Array(n);
  const flaggedDays = g.days.map(() => false);
  const real = (i: number) => g.kind[i] === SlotKind.real;

  const add = (
    rule: VeeRule,
    i: number,
    j: number,
    detail: Record<string, unknown> | null,
    code?: string,
  ) => {
    exceptions.push({
      meterId: input.meterId,
      channelId: input.channelId,
      rule,
      from: g.ts[i]!,
      to: g.ts[j]!,
      day: g.days[g.day[i]!]!.day,
      groupId: group.id,
      qualityCode: code ?? RULE_QUALITY[rule],
      detail,
    });
    if (!INFORMATIONAL_RULES.has(rule)) for (let k = i; k <= j; k++) suspect[k] = 1;
  };
  /** Maximal runs of slots matching `pred`, each split at day boundaries when `perDay`. */
  const runs = (pred: (i: number) => boolean, perDay: boolean, emit: (i: number, j: number) => void) => {
    let start = -1;
    for (let i = 0; i <= n; i++) {
      const ok = i < n && pred(i);
      const breakDay = perDay && start >= 0 && i < n && g.day[i] !== g.day[start];
      if (start >= 0 && (!ok || breakDay)) {
        emit(start, i - 1);
        start = -1;
      }
      if (ok && start < 0) start = i;
    }
  };

  // Configuration: the channel's interval length and unit, values off the grid.
  const dayHeads = g.days.map((_, di) => g.dayFirst[di]!).filter((i) => i < n);
  if (p.intervalLength.enabled) {
    const seconds = input.channel.intervalSeconds;
    if (group.intervalSeconds !== null && seconds !== null && seconds !== group.intervalSeconds) {
      for (const i of dayHeads) {
        add(VeeRule.intervalLength, i, i, { configured: group.intervalSeconds, channel: seconds });
      }
    }
    if (input.offGrid.length > 0) {
      const byDay = new Map<number, Instant[]>();
      for (const t of input.offGrid) {
        const i = nearestSlot(g, t);
        if (i < 0) continue;
        const list = byDay.get(i) ?? [];
        list.push(t);
        byDay.set(i, list);
      }
      for (const [i, list] of byDay)
        add(VeeRule.intervalLength, i, i, { offGrid: list.slice(0, 10), count: list.length });
    }
  }
  if (p.unit.enabled && input.channel.unit !== p.unit.expected) {
    for (const i of dayHeads)
      add(VeeRule.unit, i, i, { expected: p.unit.expected, channel: input.channel.unit });
  }

  // Missing: slots without real data (nothing, or only an estimate), one finding per gap and day.
  if (p.missing.enabled) {
    runs(
      (i) => g.ts[i]! <= input.dueUntil && (g.kind[i] === SlotKind.none || g.kind[i] === SlotKind.estimated),
      true,
      (i, j) => add(VeeRule.missing, i, j, { intervals: j - i + 1 }),
    );
  }

  // Limits and sign.
  if (p.highLimit.enabled && p.highLimit.max !== null) {
    const max = p.highLimit.max;
    runs(
      (i) => real(i) && g.values[i]! > max,
      false,
      (i, j) => add(VeeRule.highLimit, i, j, { max }),
    );
  }
  if (p.lowLimit.enabled && p.lowLimit.min !== null) {
    const min = p.lowLimit.min;
    runs(
      (i) => real(i) && g.values[i]! < min,
      false,
      (i, j) => add(VeeRule.lowLimit, i, j, { min }),
    );
  }
  if (p.negative.enabled && input.channel.isImport) {
    runs(
      (i) => real(i) && g.values[i]! < 0,
      false,
      (i, j) => add(VeeRule.negative, i, j, null),
    );
  }

  // Spike: per day, the highest interval against the third-highest.
  if (p.spike.enabled) {
    for (let di = 0; di < g.days.length; di++) {
      let h1 = -1;
      let v1 = Number.NEGATIVE_INFINITY;
      let v2 = Number.NEGATIVE_INFINITY;
      let v3 = Number.NEGATIVE_INFINITY;
      for (let i = g.dayFirst[di]!; i < g.dayFirst[di + 1]!; i++) {
        if (!real(i)) continue;
        const v = g.values[i]!;
        if (v > v1) {
          v3 = v2;
          v2 = v1;
          v1 = v;
          h1 = i;
        } else if (v > v2) {
          v3 = v2;
          v2 = v;
        } else if (v > v3) v3 = v;
      }
      if (h1 < 0 || v3 === Number.NEGATIVE_INFINITY) continue;
      const third = Math.max(v3, 0);
      if (v1 > third * (1 + p.spike.tolerancePct / 100) && v1 - third >= p.spike.minDelta) {
        add(VeeRule.spike, h1, h1, { value: v1, thirdHighest: v3, tolerancePct: p.spike.tolerancePct });
      }
    }
  }

  // Relay open: usage while disconnected; zero runs there are expected, not findings.
  const windows = p.usageWhileOpen.enabled
    ? openWindows(
        input.events.filter((e) => e.category === 'disconnector'),
        p.usageWhileOpen.openCodes,
        p.usageWhileOpen.closeCodes,
      )
    : [];
  const inOpen = (i: number) => {
    const end = g.ts[i]!;
    const start = end - g.intervalMs;
    return windows.some((w) => w.from <= start && w.to >= end);
  };
  if (windows.length > 0) {
    const tol = p.usageWhileOpen.tolerance;
    runs(
      (i) => real(i) && inOpen(i) && g.values[i]! > tol,
      false,
      (i, j) => add(VeeRule.usageWhileOpen, i, j, null),
    );
  }
  if (p.zeroRun.enabled) {
    const min = p.zeroRun.minIntervals;
    // Zeros around a power failure are an outage (valid data, flagged), not a dead meter.
    const failures = input.events.filter((e) => e.category === 'power-failure').map((e) => e.ts);
    runs(
      (i) => real(i) && g.values[i] === 0 && !(windows.length > 0 && inOpen(i)),
      false,
      (i, j) => {
        if (j - i + 1 < min) return;
        const from = g.ts[i]! - 2 * g.intervalMs;
        const to = g.ts[j]! + g.intervalMs;
        if (failures.some((t) => t >= from && t <= to)) return;
        add(VeeRule.zeroRun, i, j, { intervals: j - i + 1 });
      },
    );
  }
  if (p.flatLine.enabled) {
    const min = p.flatLine.minIntervals;
    let start = -1;
    for (let i = 0; i <= n; i++) {
      const same = i < n && real(i) && g.values[i] !== 0 && start >= 0 && g.values[i] === g.values[start];
      if (same) continue;
      if (start >= 0 && i - start >= min)
        add(VeeRule.flatLine, start, i - 1, { value: g.values[start], intervals: i - start });
      start = i < n && real(i) && g.values[i] !== 0 ? i : -1;
    }
  }

  // Flags: the meter's status word and its power-failure / clock events.
  if (p.meterFlag.enabled && input.status !== null) {
    const mask = p.meterFlag.bits.reduce((m, b) => m | (1 << b), 0);
    for (const [t, word] of input.status) {
      const i = slotOf(g, t);
      if (i < 0 || (word & mask) === 0) continue;
      const code =
        word & (1 << 7)
          ? QualityCode.meterPowerFail
          : word & 0b100010
            ? QualityCode.meterClockChanged
            : QualityCode.meterDataInvalid;
      add(VeeRule.meterFlag, i, i, { status: word }, code);
      if (word & ((1 << 7) | (1 << 5) | (1 << 1))) flaggedDays[g.day[i]!] = true;
    }
  }
  if (p.eventFlag.enabled) {
    for (const e of input.events) {
      if (!p.eventFlag.categories.includes(e.category)) continue;
      const i = slotContaining(g, e.ts);
      if (i < 0) continue;
      const code = e.category === 'clock' ? QualityCode.eventClockChanged : QualityCode.eventPowerFail;
      const exists = exceptions.some((x) => x.rule === VeeRule.eventFlag && x.from === g.ts[i]);
      if (!exists) add(VeeRule.eventFlag, i, i, { category: e.category, code: e.code, at: e.ts }, code);
      flaggedDays[g.day[i]!] = true;
    }
  }

  // Registers: going backwards (or rolling over), and the sum of intervals against their delta.
  const reg = input.register;
  if (reg !== null && reg.points.length > 1) {
    const pts = [...reg.points].sort((a, b) => a.ts - b.ts);
    const regDay = (t: Instant) => {
      const i = slotContaining(g, t);
      return i < 0 ? null : { i, day: g.days[g.day[i]!]!.day };
    };
    const backwards = new Set<number>();
    if (p.register.enabled) {
      for (let k = 1; k < pts.length; k++) {
        const a = pts[k - 1]!;
        const b = pts[k]!;
        if (b.value >= a.value) continue;
        backwards.add(k);
        const at = regDay(b.ts);
        if (at === null) continue;
        const r = p.register.rolloverAt;
        const rollover = r !== null && a.value >= 0.9 * r && b.value <= 0.1 * r;
        registerExceptions.push({
          meterId: input.meterId,
          channelId: reg.channelId,
          rule: rollover ? VeeRule.registerRollover : VeeRule.registerBackwards,
          from: b.ts,
          to: b.ts,
          day: at.day,
          groupId: group.id,
          qualityCode: rollover ? QualityCode.overflow : QualityCode.resetOccurred,
          detail: { previous: a.value, previousAt: a.ts, value: b.value },
        });
      }
    }
    if (p.sumCheck.enabled) {
      for (let k = 1; k < pts.length; k++) {
        if (backwards.has(k)) continue;
        const a = pts[k - 1]!;
        const b = pts[k]!;
        const ia = slotOf(g, a.ts);
        const ib = slotOf(g, b.ts);
        if (ia < 0 || ib <= ia) continue;
        let sum = 0;
        let complete = true;
        for (let i = ia + 1; i <= ib; i++) {
          if (g.kind[i] === SlotKind.none) {
            complete = false;
            break;
          }
          sum += g.values[i]!;
        }
        if (!complete) continue;
        const delta = b.value - a.value;
        const tol = Math.max(p.sumCheck.toleranceAbs, (Math.abs(delta) * p.sumCheck.tolerancePct) / 100);
        if (Math.abs(sum - delta) > tol) {
          add(VeeRule.sumCheck, ia + 1, ib, { intervals: sum, registerDelta: delta, from: a.ts, to: b.ts });
        }
      }
    }
  }
  return { exceptions, registerExceptions, suspect, flaggedDays };
}

/** The slot whose interval (end − length, end] holds instant t, or -1. */
export function slotContaining(g: Grid, t: Instant): number {
  if (g.ts.length === 0) return -1;
  const i = Math.ceil((t - g.ts[0]!) / g.intervalMs);
  return i >= 0 && i < g.ts.length ? i : -1;
}

function nearestSlot(g: Grid, t: Instant): number {
  return slotContaining(g, t);
}
