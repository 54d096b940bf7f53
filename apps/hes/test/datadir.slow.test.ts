import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, Socket } from 'node:net';
import { hostname, networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@openhes/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartOptions, startHeadEnd } from '../src/commands/start.ts';
import { LOCK_FILE } from '../src/datadir.ts';
import { capture, runHes } from './helpers.ts';

const KEY = 'a'.repeat(64);
const options = (data: string, more: Partial<StartOptions> = {}): StartOptions => ({
  data,
  port: '0',
  host: '127.0.0.1',
  logLevel: 'silent',
  progressEvery: '0',
  ...more,
});
const mode = (path: string): number => statSync(path).mode & 0o777;
const dir = (name: string): string => mkdtempSync(join(tmpdir(), `hes-${name}-`));

/** A pid that surely is no live process: a child that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('the data directory of hes start (issue 12 defects 5 and 9)', () => {
  let umask = 0;
  beforeAll(() => {
    umask = process.umask(0); // the most open umask: modes must not depend on it
  });
  afterAll(() => {
    process.umask(umask);
  });

  it('a second start on a running data directory is refused naming the holder, and writes nothing', async () => {
    const data = dir('lock');
    const first = capture();
    const a = await startHeadEnd(options(data, { demo: true, meters: '3' }), first.io, {
      HES_MASTER_KEY: KEY,
    });
    try {
      const lock = JSON.parse(readFileSync(join(data, LOCK_FILE), 'utf8')) as Record<string, unknown>;
      expect(lock).toMatchObject({ pid: process.pid, host: hostname(), command: 'start' });
      expect(typeof lock.startedAt).toBe('string');
      const state = readFileSync(join(data, 'demo-fleet.json'), 'utf8');
      const before = (await a.store.meters.list({ limit: 100 })).items.map((m) => [m.serial, m.address]);
      const dbBefore = statSync(join(data, 'hes.db')).mtimeMs;

      const second = capture();
      await expect(
        startHeadEnd(options(data, { demo: true, meters: '3' }), second.io, { HES_MASTER_KEY: KEY }),
      ).rejects.toThrow(
        new RegExp(`in use by hes start \\(pid ${process.pid} on host ${hostname()}, since `),
      );
      // Nothing imported, no fleet, no state rewritten, the lock still the first one's.
      expect(second.lines.filter((l) => !l.startsWith('ERR '))).toEqual([]);
      expect(readFileSync(join(data, 'demo-fleet.json'), 'utf8')).toBe(state);
      expect((await a.store.meters.list({ limit: 100 })).items.map((m) => [m.serial, m.address])).toEqual(
        before,
      );
      expect(statSync(join(data, 'hes.db')).mtimeMs).toBe(dbBefore);
      expect(JSON.parse(readFileSync(join(data, LOCK_FILE), 'utf8'))).toEqual(lock);
      expect((await fetch(`${a.url}/health`)).status).toBe(200);
    } finally {
      await a.close(0);
    }
    expect(existsSync(join(data, LOCK_FILE))).toBe(false);
  }, 60_000);

  it('hes collect is refused on a running data directory; hes meters import works beside it', async () => {
    const data = dir('collect');
    const a = await startHeadEnd(options(data), capture().io, { HES_MASTER_KEY: KEY });
    const env = process.env.HES_MASTER_KEY;
    process.env.HES_MASTER_KEY = KEY;
    try {
      const collect = await runHes(['collect', '--data', data, '--once', '--no-push']);
      expect(collect.status).toBe(1);
      expect(collect.stderr).toMatch(new RegExp(`in use by hes start \\(pid ${process.pid} on host `));
      const list = join(dir('list'), 'meters.csv');
      writeFileSync(
        list,
        'serial,deviceProfile,protocol,address\nIMP-1,is15959-1ph,dlms-tcp,127.0.0.1:4059\n',
      );
      const imported = await runHes(['meters', 'import', list, '--data', data]);
      expect(imported.stderr).toBe('');
      expect(imported.status).toBe(0);
      expect((await a.store.meters.getBySerial('IMP-1'))?.address).toBe('127.0.0.1:4059');
      const bad = join(dir('list'), 'bad.csv');
      writeFileSync(bad, 'serial,deviceProfile,protocol,address\nIMP-2,is15959-1ph,dlms-tcp,meter-2\n');
      const refused = await runHes(['meters', 'import', bad, '--data', data]);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(
        /row 1 \(line 2\): address: .*'meter-2' is not host:port \(IMPORT_BAD_ADDRESS\)/,
      );
    } finally {
      if (env === undefined) delete process.env.HES_MASTER_KEY;
      else process.env.HES_MASTER_KEY = env;
      await a.close(0);
    }
  }, 60_000);

  it('hes collect listens for pushes on loopback by default and warns of the master key in the directory', async () => {
    const data = dir('collect-bind');
    // collect reads an existing store (issue 13: it refuses a directory without one): make it.
    await (await openStore({ kind: 'sqlite', path: join(data, 'hes.db') })).close();
    const r = await runHes(['collect', '--data', data, '--once', '--push-port', '0']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^push listener on 127\.0\.0\.1 tcp:\d+ udp:\d+$/m);
    expect(r.stderr).toMatch(/warning: the master key is kept in the data directory/);
    expect(mode(join(data, 'hes.db'))).toBe(0o600);
    expect(existsSync(join(data, LOCK_FILE))).toBe(false);
  }, 60_000);

  it('takes over the stale lock of a dead process on this host, with a message', async () => {
    const data = dir('stale');
    chmodSync(data, 0o700);
    const pid = deadPid();
    writeFileSync(
      join(data, LOCK_FILE),
      JSON.stringify({ pid, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z', command: 'start' }),
    );
    const c = capture();
    const h = await startHeadEnd(options(data), c.io, { HES_MASTER_KEY: KEY });
    try {
      expect(
        c.lines.some((l) => l.includes(`stale lock of hes start (pid ${pid} on host ${hostname()}`)),
      ).toBe(true);
      expect(JSON.parse(readFileSync(join(data, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    } finally {
      await h.close(0);
    }
  }, 60_000);

  it('a lock held by another host is never taken over', async () => {
    const data = dir('otherhost');
    writeFileSync(
      join(data, LOCK_FILE),
      JSON.stringify({ pid: deadPid(), host: 'elsewhere', startedAt: 'x', command: 'collect' }),
    );
    await expect(startHeadEnd(options(data), capture().io, { HES_MASTER_KEY: KEY })).rejects.toThrow(
      /in use by hes collect \(pid \d+ on host elsewhere/,
    );
    expect(existsSync(join(data, 'hes.db'))).toBe(false);
  });

  it('a busy API port fails the start before the store is created, and leaves no lock', async () => {
    const data = dir('port');
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      await expect(
        startHeadEnd(options(data, { port: String(port), demo: true, meters: '2' }), capture().io, {
          HES_MASTER_KEY: KEY,
        }),
      ).rejects.toThrow(new RegExp(`API port 127.0.0.1:${port} is not free`));
    } finally {
      busy.close();
    }
    expect(existsSync(join(data, 'hes.db'))).toBe(false);
    expect(existsSync(join(data, 'demo-fleet.json'))).toBe(false);
    expect(existsSync(join(data, 'master.key'))).toBe(false);
    expect(existsSync(join(data, LOCK_FILE))).toBe(false);
  });

  it('creates the directory 0700 and its files 0600 under umask 0, and warns of a master key kept there', async () => {
    const data = join(dir('modes'), 'data');
    const c = capture();
    const h = await startHeadEnd(options(data, { demo: true, meters: '2' }), c.io, {});
    try {
      expect(mode(data)).toBe(0o700);
      for (const f of ['hes.db', 'hes.db-wal', 'hes.db-shm', 'master.key', LOCK_FILE, 'demo-fleet.json'])
        expect([f, mode(join(data, f))]).toEqual([f, 0o600]);
      expect(
        c.lines.some((l) => l.startsWith('ERR hes: warning: the master key is kept in the data directory')),
      ).toBe(true);
    } finally {
      await h.close(0);
    }
  }, 60_000);

  it('fixes the modes of an existing directory at start, with a warning', async () => {
    const data = dir('fix');
    const first = await startHeadEnd(options(data), capture().io, { HES_MASTER_KEY: KEY });
    await first.close(0);
    chmodSync(data, 0o755);
    chmodSync(join(data, 'hes.db'), 0o644);
    const c = capture();
    const h = await startHeadEnd(options(data), c.io, { HES_MASTER_KEY: KEY });
    try {
      expect(mode(data)).toBe(0o700);
      expect(mode(join(data, 'hes.db'))).toBe(0o600);
      const warning = c.lines.find((l) => l.includes('readable by others'));
      expect(warning).toMatch(/0755 → 0700.*hes\.db 0644 → 0600/);
      // The key came from the environment: no warning about it.
      expect(c.lines.some((l) => l.includes('master key is kept'))).toBe(false);
    } finally {
      await h.close(0);
    }
  }, 60_000);

  it('reads the master key from --master-key-file, without the warning and without master.key in the directory', async () => {
    const data = dir('keyfile');
    const keyFile = join(dir('keys'), 'hes.key');
    writeFileSync(keyFile, `${KEY}\n`, { mode: 0o600 });
    const c = capture();
    const h = await startHeadEnd(options(data, { masterKeyFile: keyFile }), c.io, {});
    try {
      expect(existsSync(join(data, 'master.key'))).toBe(false);
      expect(c.lines.some((l) => l.includes('master key is kept'))).toBe(false);
    } finally {
      await h.close(0);
    }
  }, 60_000);

  it('binds the API, the push listener and the demo fleet to loopback by default', async () => {
    const other = Object.values(networkInterfaces())
      .flat()
      .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
    const data = dir('binds');
    const c = capture();
    const h = await startHeadEnd(options(data, { demo: true, meters: '2' }), c.io, { HES_MASTER_KEY: KEY });
    try {
      expect(h.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
      const pushPort = Number(/push listener on tcp:(\d+)/.exec(c.lines.join('\n'))?.[1]);
      expect(pushPort).toBeGreaterThan(0);
      if (other === undefined) return;
      // Through a non-loopback address of this host: the API and the push port are not there,
      // and the fleet closes such a connection before a byte is exchanged.
      expect(await connects(other, h.port)).toBe('refused');
      expect(await connects(other, pushPort)).toBe('refused');
      expect(['refused', 'closed']).toContain(await connects(other, h.fleet!.port));
    } finally {
      await h.close(0);
    }
  }, 60_000);
});

/** What a TCP connection to host:port meets: refused, closed by the peer without data, or open. */
function connects(host: string, port: number): Promise<'refused' | 'closed' | 'open'> {
  return new Promise((resolve) => {
    const s = new Socket();
    let got = false;
    s.setTimeout(1500, () => {
      s.destroy();
      resolve('open');
    });
    s.on('data', () => {
      got = true;
    });
    s.on('error', () => resolve('refused'));
    s.on('close', () => resolve(got ? 'open' : 'closed'));
    s.connect(port, host);
  });
}
