/**
 * Issue 12, defect 3: free space is watched with an alarm before it runs out. The maintenance
 * service's disk watch looks at the data directory's file system (`fs.statfs`), alarms each
 * change of level (output, audit entry, metric) and makes the API not ready at critical.
 * The data directory is a small tmpfs (the tests run as root); where mounting is not permitted
 * that part is skipped and the levels are proven on a simulated file system.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApi, createMetrics } from '@openhes/api';
import type { AuditStore, NewAuditEntry } from '@openhes/core';
import { afterAll, describe, expect, it } from 'vitest';
import type { ServiceContext } from '../src/services/context.ts';
import {
  DEFAULT_MAINTENANCE_CRON,
  DEFAULT_RETENTION,
  DiskWatch,
  diskWatchOptions,
  parseFreeSpace,
  startMaintenance,
  withDiskReadiness,
} from '../src/services/maintenance.ts';
import { wire } from '../src/wire.ts';
import { capture } from './helpers.ts';

const MiB = 2 ** 20;

describe('disk watch options', () => {
  it('reads thresholds as percentages, sizes or both, and refuses nonsense', () => {
    expect(parseFreeSpace('10%', 'X')).toEqual({ percent: 10 });
    expect(parseFreeSpace('512MiB', 'X')).toEqual({ bytes: 512 * MiB });
    expect(parseFreeSpace('5%, 2GB', 'X')).toEqual({ percent: 5, bytes: 2e9 });
    expect(parseFreeSpace('1048576', 'X')).toEqual({ bytes: MiB });
    expect(() => parseFreeSpace('lots', 'HES_DISK_WARNING_FREE')).toThrow(/HES_DISK_WARNING_FREE/);
    expect(() => parseFreeSpace('150%', 'X')).toThrow(/between 0 and 100/);
    const o = diskWatchOptions('/data', {
      HES_DISK_WARNING_FREE: '20%',
      HES_DISK_CRITICAL_FREE: '100MiB',
      HES_DISK_CHECK_SECONDS: '5',
    });
    expect(o).toEqual({
      path: '/data',
      warning: { percent: 20 },
      critical: { bytes: 100 * MiB },
      intervalMs: 5000,
    });
    expect(diskWatchOptions('/d', {}).warning).toEqual({ percent: 10, bytes: 2 ** 30 });
    expect(() => diskWatchOptions('/d', { HES_DISK_CHECK_SECONDS: '0' })).toThrow(/HES_DISK_CHECK_SECONDS/);
  });
});

describe('disk watch levels (simulated file system)', () => {
  it('alarms each change of level once: said, audited, in the metrics', async () => {
    let free = 900;
    const entries: NewAuditEntry[] = [];
    const audit = { append: async (e: NewAuditEntry) => entries.push(e) } as unknown as AuditStore;
    const { registry } = createMetrics();
    const said: string[] = [];
    const w = new DiskWatch(
      { path: '/data', warning: { percent: 20 }, critical: { bytes: 50 }, intervalMs: 1000 },
      {
        audit,
        registry,
        statfs: async () => ({ freeBytes: free, totalBytes: 1000 }),
        say: (l) => said.push(l),
      },
    );
    expect((await w.check()).level).toBe('ok');
    free = 150;
    expect((await w.check()).level).toBe('warning');
    expect((await w.check()).level).toBe('warning');
    free = 40;
    expect(await w.check()).toMatchObject({ level: 'critical', freeBytes: 40, freePercent: 4 });
    expect(await registry.metrics()).toMatch(/^hes_disk_level 2$/m);
    expect(await registry.metrics()).toMatch(/^hes_disk_free_bytes 40$/m);
    free = 500;
    expect((await w.check()).level).toBe('ok');
    expect(entries.map((e) => e.action)).toEqual(['disk.warning', 'disk.critical', 'disk.ok']);
    expect(entries[1]).toMatchObject({ actor: 'system', target: 'disk:/data', detail: { freeBytes: 40 } });
    expect(said).toHaveLength(3);
    expect(said[1]).toMatch(/^disk CRITICAL: .*not ready/);
  });

  it('an audit entry that cannot be stored (full disk) is said instead, the watch goes on', async () => {
    const audit = {
      append: async () => {
        throw new Error('the disk is full: nothing was stored');
      },
    } as unknown as AuditStore;
    const said: string[] = [];
    const w = new DiskWatch(
      { path: '/d', warning: { percent: 20 }, critical: { percent: 5 }, intervalMs: 1000 },
      {
        audit,
        registry: createMetrics().registry,
        statfs: async () => ({ freeBytes: 0, totalBytes: 1000 }),
        say: (l) => said.push(l),
      },
    );
    expect((await w.check()).level).toBe('critical');
    expect(said[1]).toMatch(/audit entry could not be stored/);
  });
});

const dir = mkdtempSync(join(tmpdir(), 'hes-disk-'));
let mounted = false;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0700', 'tmpfs', dir], { stdio: 'ignore' });
  mounted = true;
} catch {
  mounted = false;
}
afterAll(() => {
  if (mounted) execFileSync('umount', [dir]);
  rmSync(dir, { recursive: true, force: true });
});

/** Writes a filler file leaving about `percent` of the file system free. */
function leaveFree(percent: number): void {
  rmSync(join(dir, 'fill'), { force: true });
  const s = statfsSync(dir);
  const total = s.blocks * s.bsize;
  const free = s.bavail * s.bsize;
  writeFileSync(join(dir, 'fill'), Buffer.alloc(Math.max(0, free - Math.floor((total * percent) / 100)), 1));
}

describe.runIf(mounted)('the maintenance service watches the data directory (tmpfs)', () => {
  it('warns, then goes critical and makes the API not ready, and recovers when space is freed', async () => {
    const data = join(dir, 'data');
    const wired = await wire({ data, env: {} });
    const { io, lines } = capture();
    const ctx = {
      wired,
      io,
      options: { retention: DEFAULT_RETENTION, maintenanceCron: DEFAULT_MAINTENANCE_CRON },
      warn: () => {},
    } as unknown as ServiceContext;
    const m = await startMaintenance(ctx, {
      HES_DISK_WARNING_FREE: '50%',
      HES_DISK_CRITICAL_FREE: '25%',
      HES_DISK_CHECK_SECONDS: '3600',
    });
    const clock = { t: Date.UTC(2026, 0, 1), now: () => clock.t };
    const app = await buildApi({ store: withDiskReadiness(wired.store, m.disk), clock });
    try {
      expect(m.disk.last?.level).toBe('ok');
      expect((await app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);

      leaveFree(40);
      expect((await m.disk.check()).level).toBe('warning');
      leaveFree(15);
      clock.t += 1000;
      const ready = await app.inject({ method: 'GET', url: '/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({
        status: 'not-ready',
        checks: [{ name: 'store', ok: false, code: 'DISK_CRITICAL' }],
      });
      expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
      expect(m.disk.last?.level).toBe('critical');
      const audited = await wired.store.audit.list({ actor: 'system' });
      expect(audited.items.map((a) => a.action)).toEqual(['disk.warning', 'disk.critical']);
      expect(await wired.metrics.registry.metrics()).toMatch(/^hes_disk_level 2$/m);
      expect(lines.filter((l) => l.startsWith('ERR disk'))).toHaveLength(2);

      rmSync(join(dir, 'fill'));
      clock.t += 1000;
      expect((await app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
      expect(m.disk.last?.level).toBe('ok');
    } finally {
      await app.close();
      await m.stop(0);
      await wired.close();
    }
  }, 30_000);
});
