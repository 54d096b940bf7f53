import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { CodedError, ErrorKind } from '@openhes/core';

/**
 * The data directory of a `hes` process: who may write it (one head end at a time, through
 * `hes.lock`) and who may read it (the owner only: the directory 0700, its files 0600).
 */

export const LOCK_FILE = 'hes.lock';
export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

/** What `hes.lock` records of the process holding the data directory. */
export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the holder took the lock. */
  startedAt: string;
  /** The command that holds it (`start`, `collect`). */
  command: string;
}

/** The data directory is held by another live process (or its lock cannot be read). */
export class DataDirLockedError extends Error {
  readonly code = 'HES_DATA_LOCKED';
  readonly holder: LockHolder | undefined;
  constructor(message: string, holder: LockHolder | undefined) {
    super(message);
    this.name = 'DataDirLockedError';
    this.holder = holder;
  }
}

export interface DataDirLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
    if (typeof h.pid !== 'number' || typeof h.host !== 'string') return undefined;
    return {
      pid: h.pid,
      host: h.host,
      startedAt: typeof h.startedAt === 'string' ? h.startedAt : '?',
      command: typeof h.command === 'string' ? h.command : '?',
    };
  } catch {
    return undefined;
  }
}

const describe = (h: LockHolder): string =>
  `hes ${h.command} (pid ${h.pid} on host ${h.host}, since ${h.startedAt})`;

/**
 * Creates the data directory (0700) when it is missing: under any umask, the directory is
 * never readable by others, not even for a moment (created 0700, then chmod for umasks that
 * would take bits away from the owner).
 */
export function ensureDataDir(dir: string): string {
  const data = resolve(dir);
  if (!existsSync(data)) {
    mkdirSync(data, { recursive: true, mode: DIR_MODE });
    chmodSync(data, DIR_MODE);
  }
  return data;
}

/** Writes `text` to a new file of mode 0600 (exclusive create); false when the file exists. */
function createExclusive(path: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', FILE_MODE);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(path, FILE_MODE);
  return true;
}

/**
 * Creates the SQLite file empty with mode 0600 before SQLite opens it: SQLite gives its WAL,
 * SHM and journal files the database file's mode, so none of them is ever readable by others.
 */
export function createPrivateFile(path: string): void {
  if (existsSync(path)) return;
  try {
    closeSync(openSync(path, 'wx', FILE_MODE));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return;
  }
  chmodSync(path, FILE_MODE);
}

/**
 * Takes the exclusive lock of a data directory: `hes.lock` holding this process's pid, host
 * and start time, created atomically (the file is written in full under a unique name and
 * hard-linked into place, so no process ever reads a half-written lock). A lock whose holder is
 * a dead process on this host is taken over (reported through `warn`); a live holder, or one on
 * another host (its pid cannot be checked from here), makes this throw DataDirLockedError
 * naming it. `warn` also hears of a lock file that cannot be read.
 */
export function lockDataDir(dir: string, command: string, warn: (message: string) => void): DataDirLock {
  const data = ensureDataDir(dir);
  const path = join(data, LOCK_FILE);
  const holder: LockHolder = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    command,
  };
  const text = `${JSON.stringify(holder)}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    const tmp = join(data, `.${LOCK_FILE}.${process.pid}.${randomUUID().slice(0, 8)}`);
    createExclusive(tmp, text);
    let linked = false;
    try {
      linkSync(tmp, path);
      linked = true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // A file system without hard links: an exclusive create, written at once (a reader that
      // finds it still empty waits, see below).
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS')
        linked = createExclusive(path, text);
      else if (code !== 'EEXIST') throw e;
    } finally {
      unlinkSync(tmp);
    }
    if (linked) {
      let released = false;
      return {
        path,
        holder,
        release() {
          if (released) return;
          released = true;
          const now = readHolder(path);
          if (now?.pid === holder.pid && now.host === holder.host && now.startedAt === holder.startedAt)
            unlinkSync(path);
        },
      };
    }
    const other = readHolder(path);
    if (other === undefined) {
      // Empty or garbled: a writer that died before this scheme, or a hand-made file.
      const age = Date.now() - statSafe(path);
      if (age < 5_000) {
        sleepSync(200);
        continue;
      }
      throw new DataDirLockedError(
        `data directory ${data} is locked by ${path}, which names no holder; remove it if no hes runs on this directory`,
        undefined,
      );
    }
    if (other.host !== holder.host || alive(other.pid))
      throw new DataDirLockedError(
        `data directory ${data} is in use by ${describe(other)}; stop it first, or use another --data (lock ${path})`,
        other,
      );
    // A dead holder on this host: move its lock aside atomically (only one taker wins the rename).
    const stale = `${path}.stale.${process.pid}`;
    try {
      renameSync(path, stale);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    const moved = readHolder(stale);
    if (moved !== undefined && (moved.pid !== other.pid || moved.startedAt !== other.startedAt)) {
      // Another process took the stale lock over between our read and our rename: its fresh
      // lock is what we moved. Put it back and leave the directory to it.
      try {
        linkSync(stale, path);
      } catch {
        // a third process holds it now; either way it is not ours
      }
      unlinkSync(stale);
      throw new DataDirLockedError(
        `data directory ${data} is in use by ${describe(moved)}; stop it first, or use another --data (lock ${path})`,
        moved,
      );
    }
    unlinkSync(stale);
    warn(`taking over the stale lock of ${describe(other)}: that process is gone`);
  }
  throw new DataDirLockedError(`could not take the lock ${path}`, readHolder(path));
}

function statSafe(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Makes the data directory 0700 and every file in it (database, WAL/SHM, master key, lock,
 * state files) 0600, telling `warn` of each one that was more open. Symbolic links and
 * subdirectories are left alone.
 */
export function secureDataDir(dir: string, warn: (message: string) => void): void {
  const data = resolve(dir);
  const fixed: string[] = [];
  const dirMode = statSync(data).mode & 0o777;
  if (dirMode !== DIR_MODE) {
    chmodSync(data, DIR_MODE);
    fixed.push(`${data} ${octal(dirMode)} → 0700`);
  }
  for (const name of readdirSync(data)) {
    const path = join(data, name);
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(path);
    } catch {
      continue;
    }
    if (!st.isFile()) continue;
    const mode = st.mode & 0o777;
    if (mode === FILE_MODE) continue;
    chmodSync(path, FILE_MODE);
    fixed.push(`${name} ${octal(mode)} → 0600`);
  }
  if (fixed.length > 0) warn(`data directory was readable by others; fixed: ${fixed.join(', ')}`);
}

const octal = (mode: number): string => `0${mode.toString(8).padStart(3, '0')}`;

/**
 * Throws when `host:port` cannot be listened on (TCP, and UDP when `udp`): checked before the
 * head end writes anything, so a start that would fail on a busy port leaves no trace.
 * Port 0 (any free port) always passes.
 */
export async function assertPortFree(what: string, host: string, port: number, udp = false): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((ok, fail) => {
    const s = createServer();
    s.once('error', (e: NodeJS.ErrnoException) =>
      fail(
        Object.assign(new Error(`${what} port ${host}:${port} is not free (${e.code ?? e.message})`), {
          code: 'HES_PORT_BUSY',
        }),
      ),
    );
    s.listen({ host, port, exclusive: true }, () => s.close(() => ok()));
  });
  if (!udp) return;
  await new Promise<void>((ok, fail) => {
    const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    s.once('error', (e: NodeJS.ErrnoException) => {
      s.close();
      fail(
        Object.assign(new Error(`${what} UDP port ${host}:${port} is not free (${e.code ?? e.message})`), {
          code: 'HES_PORT_BUSY',
        }),
      );
    });
    s.bind({ address: host, port, exclusive: true }, () => s.close(() => ok()));
  });
}

/**
 * Where the master key comes from, and a warning when it sits in the data directory (a copy
 * of the directory then carries the key beside the secrets it protects).
 */
export function masterKeyWarning(
  data: string,
  env: NodeJS.ProcessEnv,
  keyFile: string | undefined,
): string | undefined {
  if (keyFile !== undefined || (env.HES_MASTER_KEY ?? '') !== '' || (env.HES_MASTER_KEY_FILE ?? '') !== '')
    return undefined;
  return `the master key is kept in the data directory (${join(resolve(data), 'master.key')}): a copy of the directory carries the key with the secrets it protects; set HES_MASTER_KEY or --master-key-file to a key kept elsewhere`;
}

/** `--data` names no existing head-end store, for a command that only works on one (kind not-found). */
export class NoStoreError extends CodedError {
  constructor(message: string, code: 'HES_NO_DATA_DIR' | 'HES_NO_STORE', data: string) {
    super(ErrorKind.notFound, code, message, { detail: { field: '--data', data } });
    this.name = 'NoStoreError';
  }
}

/**
 * Throws NoStoreError unless `dir` is a directory holding the embedded store (`hes.db`): the
 * check of every command that only reads or changes an existing store (read-meter, collect,
 * meters set-status/resync, command, campaign, firmware …), so that a mistyped `--data` is
 * named instead of silently creating an empty store there. Only `hes start` and
 * `hes meters import` create a data directory. Nothing to check with `--pg` (PostgreSQL).
 */
export function requireExistingStore(dir: string, pg?: string): void {
  if (pg !== undefined) return;
  const data = resolve(dir);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(data);
  } catch {
    throw new NoStoreError(
      `--data ${dir}: the data directory ${data} does not exist (\`hes start\` or \`hes meters import\` creates one; is the path right?)`,
      'HES_NO_DATA_DIR',
      data,
    );
  }
  if (!st.isDirectory())
    throw new NoStoreError(`--data ${dir}: ${data} is not a directory`, 'HES_NO_DATA_DIR', data);
  if (!existsSync(join(data, 'hes.db')))
    throw new NoStoreError(
      `--data ${dir}: no head-end store in ${data} (no hes.db; \`hes start\` or \`hes meters import\` creates one; is the path right?)`,
      'HES_NO_STORE',
      data,
    );
}
