import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

/**
 * Where a meter's send counter (its invocation counter under one key) may continue from, and
 * the durable promise that no counter below a mark was handed out unreserved. Real meters keep
 * their frame counters in non-volatile memory; the simulator keeps them in a state file.
 */
export interface CounterReservations {
  /** The first counter the meter may send under this key: every counter below it may have been used. */
  start(systemTitleHex: string, key: string): number;
  /**
   * Makes sure every counter up to `through` is reserved durably before returning (a write
   * that fails throws, and the counter is then never used); returns the mark (> through): the
   * first counter not reserved.
   */
  reserve(systemTitleHex: string, key: string, through: number): number;
}

/** Counters reserved ahead per meter and key: one state-file write covers this many sends. */
export const COUNTER_BLOCK = 4096;

/** The key of the meters' one send counter: the global unicast encryption key. */
export const UNICAST_KEY = 'guek';

const MAX_MARK = 0x1_0000_0000;

interface StateFile {
  version: 1;
  /** system title (hex) → key → reserved high-water mark (first counter not reserved). */
  counters: Record<string, Record<string, number>>;
}

function readMarks(path: string): Map<string, number> {
  const marks = new Map<string, number>();
  if (!existsSync(path)) return marks;
  let file: Partial<StateFile>;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as Partial<StateFile>;
  } catch (e) {
    // A state file that cannot be read must not silently send counters from zero again.
    throw new Error(`simulator state ${path} is not readable JSON: ${(e as Error).message}`);
  }
  if (file.version !== 1 || typeof file.counters !== 'object' || file.counters === null)
    throw new Error(`simulator state ${path} is not a version 1 counter file`);
  for (const [title, keys] of Object.entries(file.counters)) {
    for (const [key, mark] of Object.entries(keys ?? {})) {
      if (!Number.isInteger(mark) || mark < 0 || mark > MAX_MARK)
        throw new Error(`simulator state ${path}: counter ${title}/${key} is not a counter (${mark})`);
      marks.set(`${title}/${key}`, mark);
    }
  }
  return marks;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `<path>.lock` (holding our pid) or throws naming the live process that holds it. */
function lockState(path: string): void {
  const lock = `${path}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder = Number.NaN;
    try {
      holder = Number.parseInt(readFileSync(lock, 'utf8'), 10);
    } catch {
      // Released meanwhile: try again.
    }
    if (Number.isInteger(holder) && alive(holder))
      throw new Error(
        `simulator state ${path} is in use by process ${holder}${holder === process.pid ? ' (this one)' : ''}: two fleets on one state file would send the same counters (if that process is no simulator, remove ${lock})`,
      );
    try {
      unlinkSync(lock);
    } catch {
      // Someone else took it over first: try again.
    }
  }
  throw new Error(`simulator state ${path}: could not take ${lock}`);
}

/** Writes the whole file beside itself, flushed, then renamed over it (a crash leaves old or new). */
function writeDurably(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  try {
    const dir = openSync(dirname(path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // Not every platform opens directories; the rename itself is atomic.
  }
}

/**
 * The state file of a simulated fleet's invocation counters (JSON: version and, per meter
 * system title and key, the reserved high-water mark). Marks only ever rise. A fleet that
 * opens it continues every meter's counter from its mark, so after a restart (clean or not)
 * no meter sends a counter, and so an AES-GCM nonce, it may have sent before.
 */
export class CounterFile implements CounterReservations {
  readonly path: string;
  readonly block: number;
  readonly #marks: Map<string, number>;
  /** Marks as loaded: where this run's counters start. */
  readonly #starts: Map<string, number>;
  #writes = 0;

  #locked = false;

  /**
   * Opens the state file for one running fleet: a second fleet on the same file (in this
   * process or another live one) is refused, since two would hand out the same counters. A
   * lock left by a process that is gone is taken over. `close()` releases it.
   */
  constructor(path: string, block = COUNTER_BLOCK) {
    if (!Number.isInteger(block) || block < 1) throw new Error(`counter block must be ≥ 1, got ${block}`);
    this.path = path;
    this.block = block;
    lockState(path);
    this.#locked = true;
    try {
      this.#marks = readMarks(path);
    } catch (e) {
      this.close();
      throw e;
    }
    this.#starts = new Map(this.#marks);
  }

  /** Releases the state file (the marks on disk stay as they are: nothing is written). */
  close(): void {
    if (!this.#locked) return;
    this.#locked = false;
    try {
      unlinkSync(`${this.path}.lock`);
    } catch {
      // Already gone.
    }
  }

  /** State-file writes so far (each one durable before a counter it covers is used). */
  get writes(): number {
    return this.#writes;
  }

  start(systemTitleHex: string, key: string): number {
    return this.#starts.get(`${systemTitleHex.toLowerCase()}/${key}`) ?? 0;
  }

  mark(systemTitleHex: string, key: string): number {
    return this.#marks.get(`${systemTitleHex.toLowerCase()}/${key}`) ?? 0;
  }

  reserve(systemTitleHex: string, key: string, through: number): number {
    return this.reserveMany([[systemTitleHex, key, through]])[0]!;
  }

  /**
   * Reserves for many meters with one write: a mark not above its `through` rises to
   * `through` + a block (capped at 2^32); returns the marks in the same order.
   */
  reserveMany(
    wanted: readonly (readonly [systemTitleHex: string, key: string, through: number])[],
  ): number[] {
    const next = new Map(this.#marks);
    const out: number[] = [];
    let changed = false;
    for (const [title, key, through] of wanted) {
      const k = `${title.toLowerCase()}/${key}`;
      const mark = next.get(k) ?? 0;
      if (mark > through) {
        out.push(mark);
        continue;
      }
      const raised = Math.min(MAX_MARK, through + this.block);
      next.set(k, raised);
      out.push(raised);
      changed = true;
    }
    if (changed) {
      const counters: StateFile['counters'] = {};
      for (const [k, mark] of next) {
        const [title, key] = k.split('/') as [string, string];
        const keys = counters[title] ?? {};
        keys[key] = mark;
        counters[title] = keys;
      }
      writeDurably(this.path, `${JSON.stringify({ version: 1, counters } satisfies StateFile)}\n`);
      this.#writes++;
      for (const [k, mark] of next) this.#marks.set(k, mark);
    }
    return out;
  }
}
