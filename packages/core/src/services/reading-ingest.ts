import type { ChannelDef } from '../domain/channel.ts';
import type { IngestResult, ReadingInput, ReadingSource } from '../domain/reading.ts';
import type { Instant } from '../paging.ts';
import type { ChannelStore, ReadingStore } from '../ports.ts';
import { normalizeObis } from '../validation.ts';

/** One value as a collector has it: still addressed by COSEM object, not by channel id. */
export interface CollectedValue {
  channel: ChannelDef;
  ts: Instant;
  value: number;
  quality?: number;
  reasons?: readonly string[];
}

/**
 * Turns what a collector read from one meter into one atomic reading batch, resolving
 * (meter, OBIS, attribute, kind) to channel ids once per process.
 */
export class ReadingIngestService {
  readonly #channels: ChannelStore;
  readonly #readings: ReadingStore;
  readonly #ids = new Map<string, number>();

  constructor(channels: ChannelStore, readings: ReadingStore) {
    this.#channels = channels;
    this.#readings = readings;
  }

  async storeSession(
    meterId: number,
    values: readonly CollectedValue[],
    source: ReadingSource,
    batchId?: string,
  ): Promise<IngestResult> {
    const readings: ReadingInput[] = [];
    for (const v of values) {
      const channelId = await this.#channelId(meterId, v.channel);
      readings.push({
        channelId,
        ts: v.ts,
        value: v.value,
        quality: v.quality ?? 0,
        reasons: v.reasons ?? [],
        source,
      });
    }
    return this.#readings.ingest(batchId === undefined ? { readings } : { id: batchId, readings });
  }

  async #channelId(meterId: number, def: ChannelDef): Promise<number> {
    const key = `${meterId}|${normalizeObis('obis', def.obis)}|${def.attribute}|${def.kind}`;
    const known = this.#ids.get(key);
    if (known !== undefined) return known;
    const channel = await this.#channels.ensure(meterId, def);
    this.#ids.set(key, channel.id);
    return channel.id;
  }
}
