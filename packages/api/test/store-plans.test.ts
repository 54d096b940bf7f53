import type { BusMessage, EventBus } from '@openhes/core';
import { describe, expect, it } from 'vitest';
import { meterRow, startApi } from './helpers.ts';

/** A bus that only records what is published. */
function recordingBus(): EventBus & { seen: BusMessage[] } {
  const seen: BusMessage[] = [];
  return {
    seen,
    async publish(messages) {
      seen.push(...messages);
    },
    async subscribe() {
      return { unsubscribe: async () => {} };
    },
  };
}

describe('plans and meters written through the API', () => {
  it('keeps plans in the store and announces every plan and meter change on the bus', async () => {
    const bus = recordingBus();
    const h = await startApi({ bus });
    try {
      const op = await h.tokenFor('operator');
      const plan = {
        name: 'hourly',
        cron: '0 * * * *',
        reads: ['registers'],
        // Meter ids must name stored meters (issue 13); a profile selector needs none stored.
        meters: { profiles: ['is15959-1ph'] },
        windowSeconds: 0,
        enabled: true,
      };
      const created = await h.call('POST', '/plans', { token: op, body: plan });
      expect(created.status).toBe(201);
      expect(await h.store.plans.list()).toEqual([expect.objectContaining({ ...plan, id: created.json.id })]);
      const dup = await h.call('POST', '/plans', { token: op, body: plan });
      expect([dup.status, dup.json.error.code]).toEqual([409, 'CONFLICT']);
      await h.call('PUT', `/plans/${created.json.id}`, { token: op, body: { ...plan, enabled: false } });
      expect((await h.store.plans.get(created.json.id))?.enabled).toBe(false);
      await h.call('DELETE', `/plans/${created.json.id}`, { token: op });
      expect(await h.store.plans.list()).toEqual([]);

      const imported = await h.call('POST', '/meters/import', { token: op, body: [meterRow(1)] });
      const id = imported.json.ids[0] as number;
      await h.call('PATCH', `/meters/${id}`, { token: op, body: { tariff: 'T1' } });
      expect(bus.seen.map((m) => [m.type, m.key])).toEqual([
        ['plan.changed', `plan:${created.json.id}`],
        ['plan.changed', `plan:${created.json.id}`],
        ['plan.changed', `plan:${created.json.id}`],
        ['meter.changed', `meter:${id}`],
        ['meter.changed', `meter:${id}`],
      ]);
      expect(new Set(bus.seen.map((m) => m.id)).size).toBe(5);
    } finally {
      await h.close();
    }
  });

  it('reports CSV rows it refuses with their line and field, and updates a known serial from its row', async () => {
    const h = await startApi({ deviceProfiles: new Set(['is15959-1ph']) });
    try {
      const op = await h.tokenFor('operator');
      const csv = [
        'serial,manufacturer,model,deviceProfile,protocol,address,tariff',
        'Q1,"Acme, Inc.",E1,is15959-1ph,dlms-tcp,10.0.0.1:4059,"multi',
        'line"',
        'Q2,Acme,E1,unknown-model,dlms-tcp,10.0.0.2:4059,',
        'Q1,Acme,E2,is15959-1ph,dlms-tcp,10.0.0.9:4059,',
      ].join('\n');
      const r = await h.call('POST', '/meters/import', { token: op, body: csv, contentType: 'text/csv' });
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({
        created: 1,
        existing: 1,
        failed: [{ row: 2, line: 4, field: 'deviceProfile', code: 'IMPORT_UNKNOWN_PROFILE' }],
      });
      expect(await h.store.meters.getBySerial('Q1')).toMatchObject({
        manufacturer: 'Acme',
        model: 'E2',
        address: '10.0.0.9:4059',
        tariff: 'multi\nline',
      });
    } finally {
      await h.close();
    }
  });
});
