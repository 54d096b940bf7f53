import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHes } from './helpers.ts';

// The bundle `hes` runs after `npm ci` (scripts/build.mjs → apps/hes/dist/hes.cjs, loaded by
// bin/hes.mjs through a V8 code cache): built here into a directory of its own, then run as a
// user runs it. The rest of the tests spawn the sources (vitest sets VITEST → HES_CLI=source).

// vitest runs from the repository root (vitest.config.ts), where the build script lives.
const root = process.cwd();
const BIN = fileURLToPath(new URL('../bin/hes.mjs', import.meta.url));
// Inside the checkout, so that the bundle's relative paths to node_modules resolve as in dist/.
const outdir = fileURLToPath(new URL(`../dist/test-${randomUUID().slice(0, 8)}`, import.meta.url));
const bundle = join(outdir, 'hes.cjs');
const tmp = mkdtempSync(join(tmpdir(), 'hes-bundle-'));
const DECODE = '7EA0190321326FD8E6E600C001C100080000010000FF0200601A7E';

function hes(
  args: string[],
  env: NodeJS.ProcessEnv,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: tmp,
    env: { ...process.env, HES_CLI_BUNDLE: bundle, ...env },
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--outdir', outdir], { stdio: 'pipe' });
}, 120_000);
afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

describe('the hes bundle', () => {
  it('lists the sources it was built from', () => {
    const { inputs } = JSON.parse(readFileSync(join(outdir, 'hes.inputs.json'), 'utf8')) as {
      inputs: string[];
    };
    expect(inputs).toContain('../../src/main.ts');
    expect(inputs.some((f) => f.endsWith('packages/dlms/src/index.ts'))).toBe(true);
    expect(inputs.some((f) => f.includes('node_modules'))).toBe(false);
  });

  it('runs, writes its code cache on the first run, and uses it after', () => {
    const first = hes(['--version'], { HES_CLI: 'bundle' });
    expect(first).toMatchObject({ status: 0, stdout: '0.1.0\n', stderr: '' });
    const cache = readFileSync(`${bundle}.cache`);
    const key = cache.subarray(0, cache.indexOf(10)).toString();
    expect(key).toContain(process.version);
    const second = hes(['--version'], { HES_CLI: 'bundle' });
    expect(second).toMatchObject({ status: 0, stdout: '0.1.0\n', stderr: '' });
    // A cache for another bundle (its key) is not used, and is replaced.
    writeFileSync(
      `${bundle}.cache`,
      Buffer.concat([Buffer.from('1:2:v0:x\n'), cache.subarray(cache.indexOf(10) + 1)]),
    );
    expect(hes(['--version'], { HES_CLI: 'bundle' })).toMatchObject({ status: 0, stdout: '0.1.0\n' });
    expect(readFileSync(`${bundle}.cache`).subarray(0, key.length).toString()).toBe(key);
  });

  it('answers as the sources do (dlms decode, a refused --data)', async () => {
    const fromSources = await runHes(['dlms', 'decode', DECODE]);
    const fromBundle = hes(['dlms', 'decode', DECODE], { HES_CLI: 'bundle' });
    expect(fromBundle.status).toBe(0);
    expect(fromBundle.stdout).toBe(fromSources.stdout);
    const missing = join(tmp, 'nowhere');
    const refused = hes(['read-meter', '1', '--data', missing], { HES_CLI: 'bundle' });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('HES_NO_DATA_DIR');
    expect(existsSync(missing)).toBe(false);
  });

  it('finds the device profiles and the native store (meters import, users list)', () => {
    const list = join(tmp, 'meters.csv');
    writeFileSync(list, 'serial,protocol,address,deviceProfile\nB-1,dlms-tcp,127.1.0.1:4059,is15959-1ph\n');
    const data = join(tmp, 'data');
    const r = hes(['meters', 'import', list, '--data', data], { HES_CLI: 'bundle' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('imported 1 meters: 1 created');
    expect(existsSync(join(data, 'hes.db'))).toBe(true);
    expect(hes(['users', 'list', '--data', data], { HES_CLI: 'bundle' }).status).toBe(0);
  });

  it('serves the API docs page and its static files (swagger-ui resolved from node_modules)', async () => {
    const data = join(tmp, 'api');
    const child: ChildProcess = spawn(
      process.execPath,
      [BIN, 'start', '--data', data, '--port', '0', '--services', 'api'],
      {
        cwd: tmp,
        env: {
          ...process.env,
          HES_CLI_BUNDLE: bundle,
          HES_CLI: 'bundle',
          HES_ADMIN_PASSWORD: 'bundle-test-password-1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      let url: string | undefined;
      for (let i = 0; i < 600 && url === undefined; i++) {
        url = /OpenHES API listening on (http:\/\/\S+)/.exec(out)?.[1];
        if (url === undefined) await new Promise((r) => setTimeout(r, 100));
      }
      expect(url, out).toBeDefined();
      const page = await fetch(`${url}/docs/`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toMatch(/<html/i);
      const asset = /src="\.\/(static\/[^"]+\.js)"/.exec(html)?.[1] ?? 'static/swagger-ui-bundle.js';
      const js = await fetch(`${url}/docs/${asset}`);
      expect(js.status).toBe(200);
      expect((await js.text()).length).toBeGreaterThan(1000);
      const spec = (await (await fetch(`${url}/openapi.json`)).json()) as { openapi?: string };
      expect(spec.openapi).toMatch(/^3\./);
    } finally {
      child.kill('SIGINT');
      await exited;
    }
  }, 90_000);

  it('in auto mode, runs the sources with a one-line notice when a source is newer than the bundle', () => {
    const old = new Date(Date.now() - 365 * 86_400_000);
    utimesSync(bundle, old, old);
    const r = hes(['--version'], { HES_CLI: 'auto' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('0.1.0\n');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^hes: .+ changed after the bundle was built: running the TypeScript sources/);
    // HES_CLI=bundle runs it anyway (benchmarks); HES_CLI=source runs the sources silently.
    expect(hes(['--version'], { HES_CLI: 'bundle' })).toMatchObject({ status: 0, stderr: '' });
    expect(hes(['--version'], { HES_CLI: 'source' })).toMatchObject({ status: 0, stderr: '' });
  }, 60_000);

  it('in auto mode, says so when there is no bundle; HES_CLI=bundle then refuses', () => {
    const none = join(tmp, 'no-such', 'hes.cjs');
    const r = hes(['--version'], { HES_CLI: 'auto', HES_CLI_BUNDLE: none });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^hes: there is no bundle .*no-such\/hes\.cjs: running the TypeScript sources/);
    const refused = hes(['--version'], { HES_CLI: 'bundle', HES_CLI_BUNDLE: none });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('HES_CLI=bundle but there is no bundle');
    expect(hes(['--version'], { HES_CLI: 'sometimes' }).status).toBe(2);
  }, 60_000);
});
