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

/** Every command of `hes` (by its path of names) that has a --data option, with its own arguments. */
function dataCommands(): Map<string, Command> {
  const io = { out: () => {}, err: () => {}, readStdin: async () => '' };
  const found = new Map<string, Command>();
  const walk = (c: Command, path: string[]): void => {
    for (const s of c.commands) {
      const p = [...path, s.name()];
      if (s.options.some((o) => o.long === '--data')) found.set(p.join(' '), s);
      walk(s, p);
    }
  };
  walk(buildProgram(io), []);
  return found;
}

const all = dataCommands();
const commands = [...all.keys()].filter((c) => !CREATING.has(c));
const listed = commands.filter((c) => ARGS[c] !== undefined);
/**
 * A command added since this list was written: its required arguments and options given as
 * "1". Its own checks may stop it before the store is looked at, so only the essential part
 * is asserted of it: it fails, and creates nothing.
 */
const unlisted = commands.filter((c) => ARGS[c] === undefined);
function argsOf(name: string): string[] {
  const known = ARGS[name];
  if (known !== undefined) return known;
  const c = all.get(name);
  if (c === undefined) return [];
  return [
    ...c.registeredArguments.filter((a) => a.required).map(() => '1'),
    ...c.options.filter((o) => o.mandatory && o.long !== '--data').flatMap((o) => [o.long ?? '', '1']),
  ];
}
const slug = (name: string): string => name.replace(/ /g, '-');

describe('--data naming no store', () => {
  it('finds the commands with --data', () => {
    expect(listed.length).toBeGreaterThan(10);
    expect(commands).toContain('read-meter');
    expect(commands).toContain('collect');
  });

  it.each(listed)('hes %s refuses a data directory that does not exist and creates nothing', async (name) => {
    const dir = join(root, `missing-${slug(name)}`, 'data');
    const r = await runHes([...name.split(' '), ...argsOf(name), '--data', dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/(HES_NO_DATA_DIR|HES_NO_STORE)/);
    expect(r.stderr).toContain(dir);
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(join(dir, '..'))).toBe(false);
  });

  it.each(listed)(
    'hes %s refuses an existing directory without a store and writes nothing in it',
    async (name) => {
      const dir = join(root, `empty-${slug(name)}`);
      mkdirSync(dir);
      const r = await runHes([...name.split(' '), ...argsOf(name), '--data', dir]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('HES_NO_STORE');
      expect(readdirSync(dir)).toEqual([]);
    },
  );

  it.runIf(unlisted.length > 0).each(unlisted)(
    'hes %s (not listed here yet) fails on a missing data directory and creates nothing',
    async (name) => {
      const dir = join(root, `unlisted-${slug(name)}`, 'data');
      const r = await runHes([...name.split(' '), ...argsOf(name), '--data', dir]);
      expect(r.status).not.toBe(0);
      expect(existsSync(join(dir, '..'))).toBe(false);
      const empty = join(root, `unlisted-empty-${slug(name)}`);
      mkdirSync(empty);
      expect((await runHes([...name.split(' '), ...argsOf(name), '--data', empty])).status).not.toBe(0);
      expect(existsSync(join(empty, 'hes.db'))).toBe(false);
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
