import { describe, expect, it } from 'vitest';
import type { Channel, ChannelDef } from '../src/domain/channel.ts';
import type { IngestResult, ReadingBatch } from '../src/domain/reading.ts';
import type { ChannelStore, ReadingStore } from '../src/ports.ts';
import { ReadingIngestService } from '../src/services/reading-ingest.ts';

class FakeChannels implements Pick<ChannelStore, 'ensure'> {
  readonly channels: Channel[] = [];
  ensureCalls = 0;
  async ensure(meterId: number, def: ChannelDef): Promise<Channel> {
    this.ensureCalls++;
    const found = this.channels.find(
      (c) => c.meterId === meterId && c.obis === def.obis && c.attribute === def.attribute,
    );
    if (found) return found;
    const c = { ...def, id: this.channels.length + 1, meterId };
    this.channels.push(c);
    return c;
  }
}

class FakeReadings implements Pick<ReadingStore, 'ingest'> {
  readonly batches: ReadingBatch[] = [];
  async ingest(batch: ReadingBatch): Promise<IngestResult> {
    this.batches.push(batch);
    return {
      batchId: batch.id ?? 'x',
      inserted: batch.readings.length,
      versioned: 0,
      unchanged: 0,
      duplicateBatch: false,
    };
  }
}

const energy: ChannelDef = {
  obis: '1.0.1.8.0.255',
  attribute: 2,
  kind: 'interval',
  unit: 'Wh',
  scaler: 0,
  intervalSeconds: 900,
};
const voltage: ChannelDef = {
  ...energy,
  obis: '1.0.32.7.0.255',
  kind: 'instantaneous',
  intervalSeconds: null,
};

describe('ReadingIngestService', () => {
  it('resolves each channel once and sends one batch per session', async () => {
    const channels = new FakeChannels();
    const readings = new FakeReadings();
    const svc = new ReadingIngestService(
      channels as unknown as ChannelStore,
      readings as unknown as ReadingStore,
    );
    const t0 = Date.UTC(2025, 0, 1);
    const values = [0, 1, 2].flatMap((i) => [
      { channel: energy, ts: t0 + i * 900_000, value: i },
      { channel: voltage, ts: t0 + i * 900_000, value: 230 + i },
    ]);
    await svc.storeSession(7, values, 'scheduled', 'b1');
    await svc.storeSession(7, values, 'scheduled', 'b2');
    expect(channels.ensureCalls).toBe(2);
    expect(readings.batches).toHaveLength(2);
    expect(readings.batches[0]?.id).toBe('b1');
    expect(readings.batches[0]?.readings.map((r) => r.channelId)).toEqual([1, 2, 1, 2, 1, 2]);
    expect(readings.batches[0]?.readings.every((r) => r.source === 'scheduled')).toBe(true);
  });
});
