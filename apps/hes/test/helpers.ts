import { type ChildProcess, spawn } from 'node:child_process';
import type { Io } from '../src/io.ts';
import { main } from '../src/main.ts';

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured output. */
export async function runHes(args: string[], stdin = ''): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    out: (t) => {
      stdout += t.endsWith('\n') ? t : `${t}\n`;
    },
    err: (t) => {
      stderr += t.endsWith('\n') ? t : `${t}\n`;
    },
    readStdin: async () => stdin,
  };
  const status = await main(['node', 'hes', ...args], io);
  return { status, stdout, stderr };
}

/** An Io whose output lines are collected (stderr lines prefixed `ERR `). */
export function capture(): { io: Io; lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    io: {
      out: (t) => lines.push(...t.replace(/\n$/, '').split('\n')),
      err: (t) => lines.push(`ERR ${t}`),
      readStdin: async () => '',
    },
  };
}

const BIN = new URL('../bin/hes.mjs', import.meta.url).pathname;

/** `hes` as a child process: its output lines as they come (stderr prefixed `ERR `) and its exit. */
export interface HesProcess {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

export function spawnHes(args: readonly string[], env: NodeJS.ProcessEnv): HesProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let rest = '';
  child.stdout?.on('data', (b: Buffer) => {
    const parts = (rest + b.toString('utf8')).split('\n');
    rest = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr?.on('data', (b: Buffer) => lines.push(`ERR ${b.toString('utf8').trimEnd()}`));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, exited };
}
