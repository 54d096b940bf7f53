#!/usr/bin/env node
// The `hes` command.
//
// It runs the bundle apps/hes/dist/hes.cjs (built by scripts/build.mjs at `npm ci` /
// `npm install`) when the bundle is there and no source it was built from is newer; it then
// compiles through a V8 code cache kept beside it (hes.cjs.cache), so a command starts in a
// fraction of the time the TypeScript sources take through tsx. Otherwise it runs the sources
// through tsx, after a one-line notice saying why. HES_CLI chooses:
//   auto (default)  the bundle when present and fresh, else the sources with the notice;
//   source          the sources, silently (tests: vitest sets VITEST, which means source, so a
//                   test that spawns `hes` always runs the sources it is testing);
//   bundle          the bundle, even when older than the sources (benchmarks).
// HES_CLI_BUNDLE names another bundle file (tests of the bundle itself).
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const env = process.env;
const mode = env.HES_CLI || (env.VITEST ? 'source' : 'auto');
if (mode !== 'auto' && mode !== 'source' && mode !== 'bundle') {
  process.stderr.write(`hes: HES_CLI must be auto, source or bundle, not ${JSON.stringify(mode)}\n`);
  process.exit(2);
}
const bundle = resolve(env.HES_CLI_BUNDLE || fileURLToPath(new URL('../dist/hes.cjs', import.meta.url)));
const shown = (p) => relative(process.cwd(), p) || p;

/** Why the bundle cannot be used (undefined: it can). */
function unusable() {
  let built;
  try {
    built = statSync(bundle).mtimeMs;
  } catch {
    return `there is no bundle ${shown(bundle)}`;
  }
  if (mode === 'bundle') return undefined;
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(resolve(dirname(bundle), 'hes.inputs.json'), 'utf8')).inputs;
    if (!Array.isArray(inputs)) throw new Error('no inputs');
  } catch {
    return `the bundle ${shown(bundle)} has no readable hes.inputs.json`;
  }
  for (const input of inputs) {
    const path = resolve(dirname(bundle), input);
    let changed;
    try {
      changed = statSync(path).mtimeMs;
    } catch {
      return `${shown(path)}, which the bundle was built from, is gone`;
    }
    if (changed > built) return `${shown(path)} changed after the bundle was built`;
  }
  return undefined;
}

/**
 * Loads the CommonJS bundle as Node would, but compiled with the V8 code cache when one for
 * this very file exists (its first line: the bundle's size, mtime and the Node version and
 * architecture; V8 itself checks little more than the source length), and writes that cache
 * after the first run. A read-only install simply runs without it.
 */
async function runBundle() {
  const st = statSync(bundle);
  const key = `${st.size}:${st.mtimeMs}:${process.version}:${process.arch}`;
  const cacheFile = `${bundle}.cache`;
  let cachedData;
  try {
    const buf = readFileSync(cacheFile);
    const nl = buf.indexOf(10);
    if (nl > 0 && buf.subarray(0, nl).toString('utf8') === key) cachedData = buf.subarray(nl + 1);
  } catch {
    // no cache yet
  }
  const script = new Script(Module.wrap(readFileSync(bundle, 'utf8')), { filename: bundle, cachedData });
  const mod = { exports: {}, filename: bundle, id: bundle, loaded: false };
  script
    .runInThisContext()
    .call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, dirname(bundle));
  mod.loaded = true;
  const status = await mod.exports.main(process.argv);
  if (cachedData === undefined || script.cachedDataRejected) {
    try {
      const tmp = `${cacheFile}.${process.pid}`;
      writeFileSync(tmp, Buffer.concat([Buffer.from(`${key}\n`), script.createCachedData()]));
      renameSync(tmp, cacheFile);
    } catch {
      // read-only install: run without a cache
    }
  }
  return status;
}

async function runSources() {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../src/main.ts');
  return main(process.argv);
}

const why = mode === 'source' ? undefined : unusable();
if (mode === 'source') {
  process.exitCode = await runSources();
} else if (why === undefined) {
  process.exitCode = await runBundle();
} else if (mode === 'bundle') {
  process.stderr.write(`hes: HES_CLI=bundle but ${why}; build it with \`npm run prepare\`\n`);
  process.exitCode = 2;
} else {
  process.stderr.write(
    `hes: ${why}: running the TypeScript sources (slower start); \`npm run prepare\` rebuilds the bundle, HES_CLI=source hides this notice\n`,
  );
  process.exitCode = await runSources();
}
