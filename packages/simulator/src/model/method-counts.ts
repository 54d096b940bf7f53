import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { FleetView, MeterTruth } from '../truth/meter.ts';
import { stateOf } from './control-base.ts';

/**
 * What the meters executed, for tests that prove "no non-idempotent method twice": every
 * method invocation that reached a meter's object, counted per "class/obis/method" in the
 * meter's state (refused ones too: the meter received them), and the image blocks received
 * (with those it already held). Read with `methodCounts` / `imageBlockCounts`.
 *
 * A fleet in another process (hes simulate) can journal them: `journalMethods(truth, path)`
 * appends one line per invocation, written to the file before the meter's answer leaves, so
 * the lines survive a kill -9 of either side; `readMethodJournal(path)` sums them.
 */
export function countMethod(m: MeterTruth, classId: number, obis: string, method: number): void {
  const s = stateOf(m);
  const key = methodKey(classId, obis, method);
  s.methodCalls ??= {};
  const c = s.methodCalls;
  c[key] = (c[key] ?? 0) + 1;
}

export function methodKey(classId: number, obis: string, method: number): string {
  return `${classId}/${obis}/${method}`;
}

interface Journal {
  fd: number;
}

const journals = new WeakMap<FleetView, Journal>();

/** Called when the invocation was executed (its effects, e.g. block counts, are in the state). */
export function methodDone(m: MeterTruth, classId: number, obis: string, method: number): void {
  const j = journals.get(m.fleet);
  if (j === undefined) return;
  const s = m.state;
  const line: Record<string, unknown> = { meter: m.index, key: methodKey(classId, obis, method) };
  if (classId === 18 && method === 2) line.blocks = s?.imageBlocks;
  writeSync(j.fd, `${JSON.stringify(line)}\n`);
}

/** Starts journaling a fleet's method invocations to `path` (appended); returns the closer. */
export function journalMethods(fleet: FleetView, path: string): () => void {
  const fd = openSync(path, 'a', 0o600);
  journals.set(fleet, { fd });
  return () => {
    if (journals.get(fleet)?.fd === fd) journals.delete(fleet);
    closeSync(fd);
  };
}

export interface MeterMethodCounts {
  methods: Record<string, number>;
  imageBlocks: { received: number; duplicates: number };
}

/** Sums a journal by meter index (a torn last line, from a kill mid-write, is skipped). */
export function readMethodJournal(path: string): Map<number, MeterMethodCounts> {
  const out = new Map<number, MeterMethodCounts>();
  for (const text of readFileSync(path, 'utf8').split('\n')) {
    if (text === '') continue;
    let line: { meter: number; key: string; blocks?: { received: number; duplicates: number } };
    try {
      line = JSON.parse(text);
    } catch {
      continue;
    }
    let c = out.get(line.meter);
    if (c === undefined) {
      c = { methods: {}, imageBlocks: { received: 0, duplicates: 0 } };
      out.set(line.meter, c);
    }
    c.methods[line.key] = (c.methods[line.key] ?? 0) + 1;
    if (line.blocks !== undefined) c.imageBlocks = { ...line.blocks };
  }
  return out;
}
