/**
 * bench:cli — how long `hes` takes to start: wall time of `hes --help` and of two short
 * commands, run the way a user runs them (a new `node apps/hes/bin/hes.mjs` process each time),
 * beside the baseline `node -e 0` measured in the same run, interleaved run by run so that
 * the machine's load falls on every row alike. The bundle is built first into its own
 * directory (apps/hes/dist/bench, so the checkout's bundle is left alone) and warmed once (its
 * code cache); the sources through tsx (HES_CLI=source, what `hes` did before the bundle) are
 * measured too, fewer times.
 *
 *   npm run bench:cli [-- --runs N]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fmt, printTable } from './harness.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = fileURLToPath(new URL('../apps/hes/bin/hes.mjs', import.meta.url));
const outdir = fileURLToPath(new URL('../apps/hes/dist/bench', import.meta.url));
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 15;
const SOURCE_RUNS = Math.max(3, Math.round(RUNS / 5));

const DECODE = '7EA0190321326FD8E6E600C001C100080000010000FF0200601A7E';

interface Case {
  name: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  runs: number;
}

const bundled = { HES_CLI: 'bundle', HES_CLI_BUNDLE: `${outdir}/hes.cjs` };
const cases: Case[] = [
  { name: 'node -e 0 (baseline)', args: ['-e', '0'], env: {}, runs: RUNS },
  { name: 'hes --help (bundle)', args: [bin, '--help'], env: bundled, runs: RUNS },
  { name: 'hes --version (bundle)', args: [bin, '--version'], env: bundled, runs: RUNS },
  { name: 'hes dlms decode HEX (bundle)', args: [bin, 'dlms', 'decode', DECODE], env: bundled, runs: RUNS },
  { name: 'hes --help (sources, tsx)', args: [bin, '--help'], env: { HES_CLI: 'source' }, runs: SOURCE_RUNS },
];

function once(c: Case): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, c.args, {
    cwd: root,
    env: { ...process.env, VITEST: '', ...c.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}: ${r.stderr.toString()}`);
  return ms;
}

console.log('building the bundle into apps/hes/dist/bench …');
rmSync(outdir, { recursive: true, force: true });
execFileSync(process.execPath, ['scripts/build.mjs', '--outdir', outdir], { cwd: root, stdio: 'inherit' });

// Warm-up: the first bundle run writes its code cache; one run of each warms the disk cache.
for (const c of cases) once(c);

const times = new Map<string, number[]>(cases.map((c) => [c.name, []]));
for (let i = 0; i < RUNS; i++) for (const c of cases) if (i < c.runs) times.get(c.name)?.push(once(c));

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const base = median(times.get(cases[0]!.name) ?? []);
printTable(
  `start-up wall time, ${RUNS} runs each (sources ${SOURCE_RUNS}), interleaved; ratio = median / median of node -e 0`,
  cases.map((c) => {
    const xs = times.get(c.name) ?? [];
    return {
      command: c.name,
      'median ms': fmt(median(xs)),
      'min ms': fmt(Math.min(...xs)),
      'ratio to node -e 0': `${fmt(median(xs) / base, 1)}×`,
      'extra ms over node': fmt(median(xs) - base),
    };
  }),
);
rmSync(outdir, { recursive: true, force: true });
