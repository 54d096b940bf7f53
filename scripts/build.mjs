// Bundles the `hes` command into one CommonJS file, apps/hes/dist/hes.cjs, which
// apps/hes/bin/hes.mjs loads through a V8 code cache (see there): `hes` then starts without
// compiling TypeScript. Run by `npm ci` / `npm install` (the root `prepare` script) and by
// `npm run build`.
//
//   node scripts/build.mjs [--outdir DIR] [--optional]
//
// Beside the bundle it writes hes.inputs.json: the source files the bundle was built from
// (relative to the bundle's directory), so that bin/hes.mjs can tell a bundle older than the
// sources and run the sources instead. --optional: exit 0 with a notice when esbuild is not
// installed (an install without devDependencies; `hes` then runs its sources through tsx).
//
// Not bundled (left to Node's resolution at run time, by a path relative to the bundle so that
// a package nested in a workspace's node_modules is found too):
// - native add-ons and the database clients, loaded only when first used (a lazy module stands
//   in for each, its exports read at build time): better-sqlite3, @node-rs/argon2, pg and
//   pg-copy-streams (`hes --help` loads none of them; pg alone takes longer to load than the
//   whole bundle); pg-native (optional, pg requires it lazily itself);
// - packages that read their own files through __dirname: @fastify/swagger (its package.json)
//   and @fastify/swagger-ui (the /docs page's static files).
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const optional = args.includes('--optional');
const outIdx = args.indexOf('--outdir');
const outdir = resolve(outIdx >= 0 && args[outIdx + 1] ? args[outIdx + 1] : join(root, 'apps/hes/dist'));

let esbuild;
try {
  esbuild = await import('esbuild');
} catch (e) {
  if (!optional) throw e;
  console.error(
    'hes build: esbuild is not installed (no devDependencies?); `hes` will run its TypeScript sources through tsx',
  );
  process.exit(0);
}

const LAZY = ['better-sqlite3', '@node-rs/argon2', 'pg', 'pg-copy-streams'];
const EXTERNAL = [...LAZY, 'pg-native', '@fastify/swagger', '@fastify/swagger-ui'];
const requireHere = createRequire(import.meta.url);

/**
 * The stand-in for a lazily loaded package: the same export names (getters), the real module
 * required at the first use of any of them; a package whose export is a class or function
 * (better-sqlite3) gets a function that calls or constructs the real one.
 */
function lazyModule(rel, absolute) {
  const real = requireHere(absolute);
  const keys = Object.getOwnPropertyNames(real).filter(
    (k) =>
      !(typeof real === 'function' && ['length', 'name', 'prototype', 'arguments', 'caller'].includes(k)),
  );
  return [
    'let real;',
    `const load = () => (real ??= require(${JSON.stringify(rel)}));`,
    typeof real === 'function'
      ? 'const lazy = function (...args) { return new.target ? Reflect.construct(load(), args) : load().apply(this, args); };'
      : 'const lazy = {};',
    `for (const k of ${JSON.stringify(keys)})`,
    '  Object.defineProperty(lazy, k, { enumerable: true, configurable: true, get: () => load()[k] });',
    'module.exports = lazy;',
  ].join('\n');
}

/** Externals as paths relative to the bundle, resolved from the importing file. */
const externals = {
  name: 'hes-externals',
  setup(build) {
    const filter = new RegExp(
      `^(${EXTERNAL.map((p) => p.replace(/[/\\^$*+?.()|[\]{}-]/g, '\\$&')).join('|')})$`,
    );
    build.onResolve({ filter }, async (a) => {
      if (a.pluginData === 'hes-externals') return undefined;
      const r = await build.resolve(a.path, {
        // The bundle require()s them: resolve by their "require" export condition.
        kind: 'require-call',
        resolveDir: a.resolveDir,
        importer: a.importer,
        pluginData: 'hes-externals',
      });
      // Not installed (pg-native is optional): leave the bare name to the run-time require.
      if (r.errors.length > 0 || !isAbsolute(r.path)) return { path: a.path, external: true };
      let rel = relative(outdir, r.path).split(sep).join('/');
      if (!rel.startsWith('.')) rel = `./${rel}`;
      if (LAZY.includes(a.path)) return { path: rel, namespace: 'hes-lazy', pluginData: r.path };
      return { path: rel, external: true };
    });
    build.onResolve({ filter: /^\.\.?\//, namespace: 'hes-lazy' }, (a) => ({ path: a.path, external: true }));
    build.onLoad({ filter: /.*/, namespace: 'hes-lazy' }, (a) => ({
      contents: lazyModule(a.path, a.pluginData),
      loader: 'js',
    }));
  },
};

mkdirSync(outdir, { recursive: true });
const tag = `${process.pid}.${randomUUID().slice(0, 8)}`;
const tmpBundle = join(outdir, `.hes.cjs.${tag}`);
const result = await esbuild.build({
  entryPoints: [join(root, 'apps/hes/src/main.ts')],
  outfile: tmpBundle,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // The sources are ES modules: import.meta.url is the bundle's own URL once bundled.
  define: { 'import.meta.url': '__hesImportMetaUrl' },
  banner: { js: "const __hesImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [externals],
  metafile: true,
  logLevel: 'warning',
});

const inputs = Object.keys(result.metafile.inputs)
  .filter((f) => !f.includes('node_modules/') && !f.startsWith('<'))
  .map((f) => relative(outdir, resolve(root, f)).split(sep).join('/'))
  .sort();
const bundle = join(outdir, 'hes.cjs');
renameSync(tmpBundle, bundle);
const manifest = join(outdir, 'hes.inputs.json');
const tmpManifest = join(outdir, `.hes.inputs.json.${tag}`);
writeFileSync(tmpManifest, `${JSON.stringify({ bundle: 'hes.cjs', inputs }, null, 1)}\n`);
renameSync(tmpManifest, manifest);
// A code cache belongs to one bundle: drop the old one (bin/hes.mjs also checks its key).
rmSync(join(outdir, 'hes.cjs.cache'), { force: true });

const size = statSync(bundle).size;
console.error(
  `hes build: ${relative(process.cwd(), bundle) || bundle} (${(size / 1024 / 1024).toFixed(1)} MB, ${inputs.length} source files)`,
);

// Warm the code cache once (`hes --help` through the new bundle), so the first real command
// starts fast too. Only for the bundle bin/hes.mjs loads by default.
if (outdir === join(root, 'apps/hes/dist')) {
  try {
    execFileSync(process.execPath, [join(root, 'apps/hes/bin/hes.mjs'), '--help'], {
      env: { ...process.env, HES_CLI: 'bundle' },
      stdio: 'ignore',
    });
  } catch {
    console.error('hes build: warning: `hes --help` through the new bundle failed');
  }
}
