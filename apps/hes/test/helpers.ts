import { type Io, main } from '../src/main.ts';

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
