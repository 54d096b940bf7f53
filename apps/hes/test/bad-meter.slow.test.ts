import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startHeadEnd } from '../src/commands/start.ts';
import { wire } from '../src/wire.ts';
import { capture } from './helpers.ts';

const KEY = 'b'.repeat(64);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('a bad meter record in the store (issue 12 defect 6)', () => {
  it('hes start comes up, the API answers, the bad meters are reported, flagged and skipped, the others are read', async () => {
    const data = mkdtempSync(join(tmpdir(), 'hes-badmeter-'));
    // Records the import now refuses, written straight into the store (as an old import or SQL would).
    const w = await wire({ data, env: { HES_MASTER_KEY: KEY } });
    const profile = [...w.profiles.keys()][0]!;
    const bad = [
      { serial: 'BAD-ADDR', address: 'meter-7', protocol: 'dlms-tcp', deviceProfile: profile },
      { serial: 'BAD-PORT', address: '127.0.0.1:99999', protocol: 'dlms-tcp', deviceProfile: profile },
      {
        serial: 'BAD-PROFILE',
        address: '127.0.0.1:4059',
        protocol: 'dlms-tcp',
        deviceProfile: 'no-such-profile',
      },
      { serial: 'BAD-PROTO', address: '127.0.0.1:4059', protocol: 'modbus', deviceProfile: profile },
    ] as const;
    const ids: number[] = [];
    for (const b of bad)
      ids.push((await w.store.meters.create({ ...b, manufacturer: 'x', model: 'x', status: 'active' })).id);
    await w.close();

    const c = capture();
    const h = await startHeadEnd(
      { data, port: '0', host: '127.0.0.1', logLevel: 'silent', progressEvery: '0', demo: true, meters: '3' },
      c.io,
      { HES_MASTER_KEY: KEY, HES_ADMIN_PASSWORD: 'bad-meter-test-pw' },
    );
    try {
      expect((await fetch(`${h.url}/health`)).status).toBe(200);
      for (const [i, b] of bad.entries()) {
        const line = c.lines.find((l) => l.includes(`meter ${ids[i]} (${b.serial}) skipped:`));
        expect(line, c.lines.join('\n')).toBeDefined();
        const health = await h.store.health.get(ids[i]!);
        expect(health?.lastError).toBe('ACQ_METER_RECORD_INVALID');
        expect(health?.flaggedUntil).toBeGreaterThan(Date.now());
      }
      expect(c.lines.find((l) => l.includes('(BAD-ADDR) skipped'))).toMatch(
        /address: .*'meter-7' is not host:port/,
      );
      expect(c.lines.find((l) => l.includes('(BAD-PORT) skipped'))).toMatch(/no valid port/);
      expect(c.lines.find((l) => l.includes('(BAD-PROFILE) skipped'))).toMatch(/unknown device profile/);
      expect(c.lines.find((l) => l.includes('(BAD-PROTO) skipped'))).toMatch(/no driver for modbus/);
      const audit = await h.store.audit.list({ limit: 100 });
      const audited = audit.items.filter((a) => a.action === 'meter.record-invalid').map((a) => a.target);
      expect(audited.sort()).toEqual(ids.map((id) => `meter:${id}`).sort());

      // The demo meters are read; the bad ones are skipped, never tried.
      const demoIds = (await h.store.meters.list({ limit: 100 })).items
        .map((m) => m.id)
        .filter((id) => !ids.includes(id));
      const deadline = Date.now() + 40_000;
      let read = new Set<number>();
      let outcomes: Awaited<ReturnType<typeof h.store.collection.list>>['items'] = [];
      while (Date.now() < deadline) {
        outcomes = (await h.store.collection.list({ limit: 1000 })).items;
        read = new Set(outcomes.filter((o) => o.status === 'success').map((o) => o.meterId));
        if (demoIds.every((id) => read.has(id))) break;
        await sleep(500);
      }
      expect(demoIds.filter((id) => !read.has(id))).toEqual([]);
      for (const o of outcomes.filter((x) => ids.includes(x.meterId))) expect(o.status).toBe('skipped');
      expect((await fetch(`${h.url}/health`)).status).toBe(200);
    } finally {
      await h.close(0);
    }

    // One record fixed by hand: the next start lets it go and does not audit the others again.
    const w2 = await wire({ data, env: { HES_MASTER_KEY: KEY } });
    await w2.store.meters.update(ids[0]!, { address: '127.0.0.1:4059' });
    await w2.close();
    const again = capture();
    const h2 = await startHeadEnd(
      { data, port: '0', host: '127.0.0.1', logLevel: 'silent', progressEvery: '0' },
      again.io,
      { HES_MASTER_KEY: KEY },
    );
    try {
      expect(again.lines.some((l) => l.includes('(BAD-ADDR) skipped'))).toBe(false);
      expect(again.lines.some((l) => l.includes('(BAD-PORT) skipped'))).toBe(true);
      expect((await h2.store.health.get(ids[0]!))?.flaggedUntil).toBeNull();
      expect((await h2.store.health.get(ids[1]!))?.flaggedUntil).toBeGreaterThan(Date.now());
      const audit = (await h2.store.audit.list({ limit: 500 })).items;
      expect(audit.filter((a) => a.action === 'meter.record-invalid')).toHaveLength(bad.length);
    } finally {
      await h2.close(0);
    }
  }, 90_000);
});
