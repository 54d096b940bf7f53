import {
  type Channel,
  hasQuality,
  type Instant,
  QualityFlag,
  type Store,
  type VeeException,
} from '@openhes/core';
import { DEFAULT_IMPORT_OBIS } from '../billing/groups.ts';
import { INFORMATIONAL_RULES } from '../vee/quality.ts';
import { PrepaymentError } from './errors.ts';

/** One interval of imported energy: ends at `ts`, lasts `lengthMs`. */
export interface ConsumedInterval {
  ts: Instant;
  lengthMs: number;
  /** Whole milliwatt-hours. */
  milliWh: number;
  estimated: boolean;
}

/**
 * Where the engine reads consumption from: interval energies of a meter with interval end
 * after `after`, oldest first, at most `limit`. `storeConsumption` reads the current
 * (validated, VEE-estimated where gaps were) values of the meter's import interval channel.
 */
export interface ConsumptionSource {
  intervals(meterId: number, after: Instant, limit: number): Promise<ConsumedInterval[]>;
}

const UNIT_MILLI_WH: Readonly<Record<string, number>> = { Wh: 1_000, kWh: 1_000_000, MWh: 1_000_000_000 };

function importChannel(channels: readonly Channel[], obisList: readonly string[]): Channel | undefined {
  for (const o of obisList) {
    const c = channels.find((x) => x.obis === o && x.attribute === 2 && x.kind === 'interval');
    if (c !== undefined) return c;
  }
  return undefined;
}

/** How far before a page an open VEE finding may start and still cover it (runs of zeros, flat lines). */
const FINDING_LOOKBACK_MS = 31 * 86_400_000;

/**
 * Interval ranges [from, to] (interval ends) of the channel under open, non-informational VEE
 * findings that start in [from - lookback, to]: values there are not validated yet.
 */
async function heldRanges(
  vee: Store['vee'],
  channelId: number,
  from: Instant,
  to: Instant,
): Promise<[Instant, Instant][]> {
  const out: [Instant, Instant][] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await vee.exceptions({
      channelId,
      status: 'open',
      from: from - FINDING_LOOKBACK_MS,
      to: to + 1,
      limit: 500,
      ...(cursor !== undefined ? { cursor } : {}),
    });
    for (const e of page.items as VeeException[]) {
      if (INFORMATIONAL_RULES.has(e.rule) || e.to < from) continue;
      out.push([e.from, e.to]);
    }
    if (page.nextCursor === null || page.nextCursor === undefined) break;
    cursor = page.nextCursor;
  }
  return out;
}

/**
 * Consumption from the readings store: the first interval channel of `importObis` (default
 * billing's 1.0.1.29.0.255, then 1.0.1.8.0.255), charged from validated values only. Left out
 * (they wait, and the engine stops at the first one as at a gap): values kept aside as
 * conflicts, values marked suspect, and raw values under an open, non-informational VEE finding
 * (a spike, a zero run, a high limit… found by VEE but neither resolved nor replaced). An
 * estimate or an edit over such a value is charged; so is the value once the finding is
 * resolved (accepted, dismissed) or cleared by a later VEE run.
 */
export function storeConsumption(
  store: Pick<Store, 'channels' | 'readings'> & Partial<Pick<Store, 'vee'>>,
  options: { importObis?: readonly string[]; until?: () => Instant } = {},
): ConsumptionSource {
  const obis = options.importObis ?? DEFAULT_IMPORT_OBIS;
  return {
    async intervals(meterId, after, limit) {
      const channel = importChannel(await store.channels.forMeter(meterId), obis);
      if (channel === undefined) return [];
      const factor = UNIT_MILLI_WH[channel.unit];
      if (factor === undefined) {
        throw PrepaymentError.invalid(
          'channel',
          `import channel ${channel.obis} of meter ${meterId} has unit ${JSON.stringify(channel.unit)}, not Wh/kWh/MWh`,
          { meterId },
        );
      }
      const seconds = channel.intervalSeconds;
      if (seconds === null || seconds <= 0) {
        throw PrepaymentError.invalid(
          'channel',
          `import channel ${channel.obis} of meter ${meterId} has no interval length`,
          { meterId },
        );
      }
      const to = options.until?.() ?? Number.MAX_SAFE_INTEGER;
      const page = await store.readings.series({
        channelId: channel.id,
        from: after + 1,
        to: Math.min(to, 4_102_444_800_000),
        limit,
      });
      const items = page.items;
      const held =
        store.vee !== undefined && items.length > 0
          ? await heldRanges(store.vee, channel.id, items[0]!.ts, items[items.length - 1]!.ts)
          : [];
      const out: ConsumedInterval[] = [];
      for (const r of items) {
        if (hasQuality(r.quality, QualityFlag.conflict) || hasQuality(r.quality, QualityFlag.suspect))
          continue;
        if (
          held.length > 0 &&
          (r.quality & (QualityFlag.estimated | QualityFlag.edited)) === 0 &&
          held.some(([f, t]) => r.ts >= f && r.ts <= t)
        )
          continue;
        if (out.length > 0 && out[out.length - 1]!.ts === r.ts) continue;
        out.push({
          ts: r.ts,
          lengthMs: seconds * 1000,
          milliWh: Math.round(r.value * factor),
          estimated: hasQuality(r.quality, QualityFlag.estimated),
        });
      }
      return out;
    },
  };
}
