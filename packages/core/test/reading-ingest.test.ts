import { describe, expect, it } from 'vitest';
import type { Channel, ChannelDef } from '../src/domain/channel.ts';
import type { IngestResult, ReadingBatch } from '../src/domain/reading.ts';
import type { ChannelStore, ReadingStore } from '../src/ports.ts';
import { ReadingIngestService } from '../src/services/reading-ingest.ts';

class FakeChannels implements Pick<ChannelStore, 'ensureMany'> {
  readonly channels: Channel[] = [];
  ensureCalls = 0;
  defsAsked = 0;
  async ensureMany(meterId: number, defs: readonly ChannelDef[]): Promise<Channel[]> {
    this.ensureCalls++;
    this.defsAsked += defs.length;
    return defs.map((d) => this.one(meterId, d));
  }
  one(meterId: number, def: ChannelDef): Channel {
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
    expect(channels.ensureCalls).toBe(1);
    expect(channels.defsAsked).toBe(2);
    expect(readings.batches).toHaveLength(2);
    expect(readings.batches[0]?.id).toBe('b1');
    expect(readings.batches[0]?.readings.map((r) => r.channelId)).toEqual([1, 2, 1, 2, 1, 2]);
    expect(readings.batches[0]?.readings.every((r) => r.source === 'scheduled')).toBe(true);
  });

  it('keeps the channel ids of a bounded number of meters, least recently used going first', async () => {
    const channels = new FakeChannels();
    const svc = new ReadingIngestService(
      channels as unknown as ChannelStore,
      new FakeReadings() as unknown as ReadingStore,
      2,
    );
    const v = [{ channel: energy, ts: Date.UTC(2025, 0, 1), value: 1 }];
    await svc.storeSession(1, v, 'scheduled');
    await svc.storeSession(2, v, 'scheduled');
    await svc.storeSession(1, v, 'scheduled'); // 1 is now the most recent
    expect(channels.ensureCalls).toBe(2);
    await svc.storeSession(3, v, 'scheduled'); // evicts 2
    await svc.storeSession(1, v, 'scheduled');
    expect(channels.ensureCalls).toBe(3);
    await svc.storeSession(2, v, 'scheduled');
    expect(channels.ensureCalls).toBe(4);
    // the same channel comes back with the same id after eviction
    expect(channels.channels.filter((c) => c.meterId === 2)).toHaveLength(1);
  });

  it('refuses a value whose OBIS code is not one, before storing anything', async () => {
    const readings = new FakeReadings();
    const svc = new ReadingIngestService(
      new FakeChannels() as unknown as ChannelStore,
      readings as unknown as ReadingStore,
    );
    await expect(
      svc.storeSession(1, [{ channel: { ...energy, obis: '1.2.3' }, ts: 0, value: 1 }], 'scheduled'),
    ).rejects.toMatchObject({ code: expect.any(String) });
    expect(readings.batches).toHaveLength(0);
  });
});
