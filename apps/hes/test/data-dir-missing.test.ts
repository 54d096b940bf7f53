import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../src/main.ts';
import { runHes } from './helpers.ts';

// `--data` naming a directory that does not exist (or holds no store): every command that only
// works on an existing store refuses, naming the path, and creates nothing; `hes meters import`
// (and `hes start`) may create it.

const root = mkdtempSync(join(tmpdir(), 'hes-nodata-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const image = join(root, 'image.bin');
writeFileSync(image, Buffer.alloc(64, 7));

/** The commands that create a data directory; every other command with --data must refuse. */
const CREATING = new Set(['start', 'meters import']);

/** Arguments that pass each command's own checks, so that only the missing store stops it. */
const ARGS: Record<string, string[]> = {
  'meters set-status': ['1', 'active'],
  'meters resync': ['1'],
  'read-meter': ['1'],
  collect: ['--once', '--no-push'],
  'command create': ['--meter', '1', '--kind', 'connect', '--reason', 'test', '--as', 'admin'],
  'command list': [],
  'command show': ['1'],
  'command approve': ['1', '--as', 'admin'],
  'command reject': ['1', '--as', 'admin'],
  'command cancel': ['1', '--as', 'admin'],
  'campaign create': ['--name', 'c', '--kind', 'connect', '--reason', 'test', '--ids', '1', '--as', 'admin'],
  'campaign list': [],
  'campaign show': ['1'],
  'campaign results': ['1'],
  'campaign approve': ['1', '--as', 'admin'],
  'campaign reject': ['1', '--as', 'admin'],
  'campaign pause': ['1', '--as', 'admin'],
  'campaign resume': ['1', '--as', 'admin'],
  'campaign cancel': ['1', '--as', 'admin'],
  'firmware upload': [image, '--identifier', 'FW-2', '--version', '2.0.0', '--as', 'admin'],
  'firmware list': [],
  'users list': [],
  'users reset-password': ['admin'],
};

/** Every command of `hes` (by its path of names) that has a --data option. */
function dataCommands(): string[] {
  const io = { out: () => {}, err: () => {}, readStdin: async () => '' };
  const found: string[] = [];
  const walk = (c: Command, path: string[]): void => {
    for (const s of c.commands) {
      const p = [...path, s.name()];
      if (s.options.some((o) => o.long === '--data')) found.push(p.join(' '));
      walk(s, p);
    }
  };
  walk(buildProgram(io), []);
  return found;
}

describe('--data naming no store', () => {
  const commands = dataCommands().filter((c) => !CREATING.has(c));

  it('covers every command with --data (a new one must be listed here)', () => {
    expect(commands.length).toBeGreaterThan(10);
    expect(commands.filter((c) => ARGS[c] === undefined)).toEqual([]);
  });

  it.each(commands)(
    'hes %s refuses a data directory that does not exist and creates nothing',
    async (name) => {
      const dir = join(root, `missing-${name.replace(/ /g, '-')}`, 'data');
      const r = await runHes([...name.split(' '), ...(ARGS[name] ?? []), '--data', dir]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/(HES_NO_DATA_DIR|HES_NO_STORE)/);
      expect(r.stderr).toContain(dir);
      expect(existsSync(dir)).toBe(false);
      expect(existsSync(join(dir, '..'))).toBe(false);
    },
  );

  it.each(commands)(
    'hes %s refuses an existing directory without a store and writes nothing in it',
    async (name) => {
      const dir = join(root, `empty-${name.replace(/ /g, '-')}`);
      mkdirSync(dir);
      const r = await runHes([...name.split(' '), ...(ARGS[name] ?? []), '--data', dir]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('HES_NO_STORE');
      expect(readdirSync(dir)).toEqual([]);
    },
  );

  it('hes meters import creates the data directory and its store', async () => {
    const dir = join(root, 'new', 'data');
    const list = join(root, 'meters.csv');
    writeFileSync(list, 'serial,protocol,address,deviceProfile\nNEW-1,dlms-tcp,127.1.0.1:4059,is15959-1ph\n');
    const r = await runHes(['meters', 'import', list, '--data', dir]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(existsSync(join(dir, 'hes.db'))).toBe(true);
    // Now that the store exists, a reading command gets past the check.
    const listed = await runHes(['command', 'list', '--data', dir]);
    expect(listed.status).toBe(0);
  });
});
