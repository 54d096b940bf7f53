import type { ChannelDef } from '../domain/channel.ts';
import type { IngestResult, OnDifferent, ReadingInput, ReadingSource } from '../domain/reading.ts';
import type { Instant } from '../paging.ts';
import type { ChannelStore, ReadingStore } from '../ports.ts';
import { flagPhysicalLimits, type MeterRating, normalizeObis } from '../validation.ts';

/** One value as a collector has it: still addressed by COSEM object, not by channel id. */
export interface CollectedValue {
  channel: ChannelDef;
  ts: Instant;
  value: number;
  quality?: number;
  reasons?: readonly string[];
}

/** How many meters' channel ids the ingest service keeps (least recently used go first). */
export const CHANNEL_CACHE_METERS = 20_000;

export interface ReadingIngestOptions {
  /**
   * The meter's rating (device profile `meter`: nominalVoltage, maxCurrent, phases …):
   * values beyond it are flagged by `flagPhysicalLimits` before they are stored. Looked up
   * once per meter while its channel ids are cached; undefined = not checked.
   */
  ratingOf?: (meterId: number) => MeterRating | undefined | Promise<MeterRating | undefined>;
}

/**
 * The rule for a value differing from the stored one at its instant: a push never replaces what
 * is stored (a meter's own read answer does), it is kept beside it as a conflict.
 */
export function onDifferentFor(source: ReadingSource): OnDifferent {
  return source === 'push' ? 'keep-current' : 'supersede';
}

/**
 * Turns what a collector read from one meter into one atomic reading batch, resolving
 * (meter, OBIS, attribute, kind) to channel ids: the meter's missing channels are created in
 * one transaction, and the ids of recently read meters are kept so a fleet of any size costs
 * bounded memory.
 */
export class ReadingIngestService {
  readonly #channels: ChannelStore;
  readonly #readings: ReadingStore;
  readonly #maxMeters: number;
  /** meterId → (channel key → channel id), in least-recently-used order. */
  readonly #ids = new Map<number, Map<string, number>>();
  /** OBIS text as collectors spell it → normalised form (a small, fixed set per fleet). */
  readonly #obis = new Map<string, string>();
  readonly #ratingOf: ReadingIngestOptions['ratingOf'];
  /** meterId → its rating (null: none), dropped with the meter's channel ids. */
  readonly #ratings = new Map<number, MeterRating | null>();

  constructor(
    channels: ChannelStore,
    readings: ReadingStore,
    maxMeters = CHANNEL_CACHE_METERS,
    options: ReadingIngestOptions = {},
  ) {
    this.#channels = channels;
    this.#readings = readings;
    this.#maxMeters = maxMeters;
    this.#ratingOf = options.ratingOf;
  }

  async #rating(meterId: number): Promise<MeterRating | undefined> {
    const ratingOf = this.#ratingOf;
    if (ratingOf === undefined) return undefined;
    let r = this.#ratings.get(meterId);
    if (r === undefined) {
      r = (await ratingOf(meterId)) ?? null;
      this.#ratings.set(meterId, r);
      if (this.#ratings.size > this.#maxMeters) this.#ratings.delete(this.#ratings.keys().next().value!);
    }
    return r ?? undefined;
  }

  async storeSession(
    meterId: number,
    values: readonly CollectedValue[],
    source: ReadingSource,
    batchId?: string,
  ): Promise<IngestResult> {
    const rating = await this.#rating(meterId);
    if (rating !== undefined) values = flagPhysicalLimits(values, rating);
    const ids = await this.#channelIds(meterId, values);
    const readings: ReadingInput[] = new Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      readings[i] = {
        channelId: ids[i]!,
        ts: v.ts,
        value: v.value,
        quality: v.quality ?? 0,
        reasons: v.reasons ?? [],
        source,
      };
    }
    const onDifferent = onDifferentFor(source);
    return this.#readings.ingest(
      batchId === undefined ? { readings, onDifferent } : { id: batchId, readings, onDifferent },
    );
  }

  #key(def: ChannelDef): string {
    let obis = this.#obis.get(def.obis);
    if (obis === undefined) {
      obis = normalizeObis('obis', def.obis);
      if (this.#obis.size >= 4096) this.#obis.clear();
      this.#obis.set(def.obis, obis);
    }
    return `${obis}|${def.attribute}|${def.kind}`;
  }

  async #channelIds(meterId: number, values: readonly CollectedValue[]): Promise<number[]> {
    let known = this.#ids.get(meterId);
    if (known) {
      this.#ids.delete(meterId);
      this.#ids.set(meterId, known);
    } else {
      known = new Map();
      this.#ids.set(meterId, known);
      if (this.#ids.size > this.#maxMeters) this.#ids.delete(this.#ids.keys().next().value!);
    }
    // Collectors share one definition object per column: its key is built once per call.
    const keyOf = new Map<ChannelDef, string>();
    const keys = values.map((v) => {
      let key = keyOf.get(v.channel);
      if (key === undefined) {
        key = this.#key(v.channel);
        keyOf.set(v.channel, key);
      }
      return key;
    });
    const missing = new Map<string, ChannelDef>();
    for (const [def, key] of keyOf) if (!known.has(key) && !missing.has(key)) missing.set(key, def);
    if (missing.size > 0) {
      const channels = await this.#channels.ensureMany(meterId, [...missing.values()]);
      let i = 0;
      for (const key of missing.keys()) known.set(key, channels[i++]!.id);
    }
    return keys.map((k) => known.get(k)!);
  }
}
