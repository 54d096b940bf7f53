import { describe, expect, it } from 'vitest';
import type { ChannelDef } from '../src/domain/channel.ts';
import type { IngestResult, ReadingBatch } from '../src/domain/reading.ts';
import type { ChannelStore, ReadingStore } from '../src/ports.ts';
import { ReadingIngestService } from '../src/services/reading-ingest.ts';
import { PHYSICAL_LIMIT_REASON } from '../src/validation.ts';

const block: ChannelDef = {
  obis: '1.0.1.29.0.255',
  attribute: 2,
  kind: 'interval',
  unit: 'Wh',
  scaler: 0,
  intervalSeconds: 900,
};

function fakes() {
  const batches: ReadingBatch[] = [];
  const readings = {
    async ingest(b: ReadingBatch): Promise<IngestResult> {
      batches.push(b);
      return { batchId: 'x', inserted: b.readings.length, versioned: 0, unchanged: 0, duplicateBatch: false };
    },
  } as unknown as ReadingStore;
  const channels = {
    async ensureMany(meterId: number, defs: ChannelDef[]) {
      return defs.map((d, i) => ({ ...d, id: i + 1, meterId }));
    },
  } as unknown as ChannelStore;
  return { batches, readings, channels };
}

describe('reading ingest rules', () => {
  it('flags values beyond the meter rating on the way in (reads and pushes) and keeps them', async () => {
    const f = fakes();
    const looked: number[] = [];
    const ingest = new ReadingIngestService(f.channels, f.readings, 10, {
      ratingOf: (id) => {
        looked.push(id);
        return { nominalVoltage: 240, maxCurrent: 60, phases: 1 };
      },
    });
    const ts = Date.UTC(2025, 0, 1);
    await ingest.storeSession(7, [{ channel: block, ts, value: 1e9 }], 'scheduled');
    await ingest.storeSession(7, [{ channel: block, ts, value: 1e9 }], 'push');
    for (const b of f.batches) {
      expect(b.readings).toHaveLength(1);
      expect(b.readings[0]!.reasons).toEqual([PHYSICAL_LIMIT_REASON]);
      expect(b.readings[0]!.quality).toBe(8);
    }
    expect(looked).toEqual([7]);
  });

  it('ingests pushes with the keep-current rule, reads with supersede', async () => {
    const f = fakes();
    const ingest = new ReadingIngestService(f.channels, f.readings);
    const ts = Date.UTC(2025, 0, 1);
    await ingest.storeSession(1, [{ channel: block, ts, value: 1 }], 'push');
    await ingest.storeSession(1, [{ channel: block, ts, value: 1 }], 'scheduled');
    await ingest.storeSession(1, [{ channel: block, ts, value: 1 }], 'on-demand');
    expect(f.batches.map((b) => b.onDifferent)).toEqual(['keep-current', 'supersede', 'supersede']);
  });
});
