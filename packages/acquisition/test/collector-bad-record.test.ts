import type { CollectionOutcome, MeterHealth, MeterHealthStore, NewAuditEntry } from '@openhes/core';
import { describe, expect, it } from 'vitest';
import { AcquisitionError, AcquisitionErrorCode, Collector, parseMeterAddress } from '../src/index.ts';

function memoryHealth(): MeterHealthStore & { rows: Map<number, MeterHealth> } {
  const rows = new Map<number, MeterHealth>();
  return {
    rows,
    get: async (id) => rows.get(id) ?? null,
    put: async (h) => {
      const row = { ...h, updatedAt: 0 };
      rows.set(h.meterId, row);
      return row;
    },
    flagged: async (at) => [...rows.values()].filter((h) => h.flaggedUntil !== null && h.flaggedUntil > at),
  };
}

describe('a meter whose record no driver can use (issue 12 defect 6)', () => {
  it('parseMeterAddress names the bad address with ACQ_METER_RECORD_INVALID', () => {
    expect(() => parseMeterAddress('meter-7')).toThrow(
      expect.objectContaining({ code: AcquisitionErrorCode.MeterRecordInvalid }),
    );
    expect(parseMeterAddress('10.0.0.1:4059?logical=1').port).toBe(4059);
  });

  it('is skipped and flagged at once: no retry, no session, the next scheduled task skipped', async () => {
    const outcomes: CollectionOutcome[] = [];
    const audit: NewAuditEntry[] = [];
    const health = memoryHealth();
    let driverCalls = 0;
    const collector = new Collector({
      driverFor: async (id) => {
        driverCalls++;
        throw new AcquisitionError(
          AcquisitionErrorCode.MeterRecordInvalid,
          `meter ${id}: address 'x' is not host:port`,
        );
      },
      work: async () => {
        throw new Error('no session may run');
      },
      outcomes: {
        record: async (o) => void outcomes.push(o),
        list: async () => ({ items: [], nextCursor: null }),
      },
      audit: {
        append: async (e) => {
          audit.push(e);
          return { ...e, id: audit.length, at: 0 };
        },
        list: async () => ({ items: [], nextCursor: null }),
      },
      health,
      clock: { now: () => 1000 },
      sleep: async () => {},
    });
    const first = await collector.submit({
      id: 't1',
      meterId: 9,
      reads: ['registers'],
      priority: 'scheduled',
    });
    expect(first).toMatchObject({
      status: 'skipped',
      errorCode: AcquisitionErrorCode.MeterRecordInvalid,
      attempts: 1,
    });
    expect(driverCalls).toBe(1);
    expect(collector.isFlagged(9)).toBe(true);
    expect(health.rows.get(9)).toMatchObject({ lastError: AcquisitionErrorCode.MeterRecordInvalid });
    expect(audit).toMatchObject([{ action: 'meter.flagged', target: 'meter:9' }]);
    const second = await collector.submit({
      id: 't2',
      meterId: 9,
      reads: ['registers'],
      priority: 'scheduled',
    });
    expect(second).toMatchObject({ status: 'skipped', errorCode: AcquisitionErrorCode.MeterFlagged });
    expect(driverCalls).toBe(1);
    expect(outcomes.map((o) => o.status)).toEqual(['skipped', 'skipped']);
  });
});
