import { type Channel, hasQuality, type Instant, QualityFlag, type Store } from '@openhes/core';
import { DEFAULT_IMPORT_OBIS } from '../billing/groups.ts';
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

/**
 * Consumption from the readings store: the first interval channel of `importObis` (default
 * billing's 1.0.1.29.0.255, then 1.0.1.8.0.255); values kept aside as conflicts and values
 * VEE marked suspect are left out (they wait for an estimate or an edit).
 */
export function storeConsumption(
  store: Pick<Store, 'channels' | 'readings'>,
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
      const out: ConsumedInterval[] = [];
      for (const r of page.items) {
        if (hasQuality(r.quality, QualityFlag.conflict) || hasQuality(r.quality, QualityFlag.suspect))
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
