import { type ChannelCurrentValues, type Instant, type Reading, validateId } from '@openhes/core';
import { StorageError, StorageErrorCode } from '../errors.ts';
import { checked, checkRange } from './validate.ts';

/** Channels one `currentMany` call reads at most. */
export const MAX_CURRENT_CHANNELS = 1000;

/** Validates a `currentMany` query; returns the channel ids. */
export function checkCurrentQuery(q: {
  channelIds: readonly number[];
  from: Instant;
  to: Instant;
}): number[] {
  checkRange(q.from, q.to);
  if (!Array.isArray(q.channelIds) || q.channelIds.length > MAX_CURRENT_CHANNELS) {
    throw new StorageError(
      StorageErrorCode.InvalidInput,
      `channelIds must be a list of at most ${MAX_CURRENT_CHANNELS} channel ids`,
      { detail: { reason: 'CORE_INVALID_VALUE', field: 'channelIds' } },
    );
  }
  return checked(() => q.channelIds.map((id, i) => validateId(`channelIds[${i}]`, id)));
}

/**
 * Collects one channel's newest version per instant into columns. Rows are pushed per instant
 * newest first or oldest first as the engine reads them; `keep` decides which row of an
 * instant stays.
 */
export class CurrentColumns {
  ts: Float64Array;
  value: Float64Array;
  quality: Int32Array;
  version: Int32Array;
  estimate: Uint8Array;
  n = 0;
  /** Instants holding a version kept aside (version <= 0). */
  readonly asideTs: Instant[] = [];

  readonly channelId: number;

  constructor(channelId: number, capacity: number) {
    this.channelId = channelId;
    this.ts = new Float64Array(capacity);
    this.value = new Float64Array(capacity);
    this.quality = new Int32Array(capacity);
    this.version = new Int32Array(capacity);
    this.estimate = new Uint8Array(capacity);
  }

  #grow(): void {
    const size = Math.max(16, this.ts.length * 2);
    const ts = new Float64Array(size);
    ts.set(this.ts);
    this.ts = ts;
    const value = new Float64Array(size);
    value.set(this.value);
    this.value = value;
    const quality = new Int32Array(size);
    quality.set(this.quality);
    this.quality = quality;
    const version = new Int32Array(size);
    version.set(this.version);
    this.version = version;
    const estimate = new Uint8Array(size);
    estimate.set(this.estimate);
    this.estimate = estimate;
  }

  /**
   * One stored row. A row of the same instant as the last one replaces it when its version
   * is higher (and is >= 1); a version <= 0 only marks the instant as holding one aside.
   */
  add(ts: number, version: number, value: number, quality: number, estimate: boolean): void {
    const last = this.n - 1;
    if (last >= 0 && this.ts[last] === ts) {
      if (version <= 0) {
        if (this.asideTs[this.asideTs.length - 1] !== ts) this.asideTs.push(ts);
        return;
      }
      if (version > this.version[last]!) this.#set(last, ts, version, value, quality, estimate);
      return;
    }
    if (this.n === this.ts.length) this.#grow();
    this.#set(this.n++, ts, version, value, quality, estimate);
    if (version <= 0) this.asideTs.push(ts);
  }

  #set(i: number, ts: number, version: number, value: number, quality: number, estimate: boolean): void {
    this.ts[i] = ts;
    this.version[i] = version;
    this.value[i] = value;
    this.quality[i] = quality;
    this.estimate[i] = estimate ? 1 : 0;
  }

  finish(aside: Reading[]): ChannelCurrentValues {
    return {
      channelId: this.channelId,
      ts: this.ts.subarray(0, this.n),
      value: this.value.subarray(0, this.n),
      quality: this.quality.subarray(0, this.n),
      version: this.version.subarray(0, this.n),
      estimate: this.estimate.subarray(0, this.n),
      aside,
    };
  }
}
