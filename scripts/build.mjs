// Bundles the `hes` command into one ES module for deployment without tsx.
import { build } from 'esbuild';

await build({
  entryPoints: ['apps/hes/src/cli.ts'],
  outfile: 'apps/hes/dist/hes.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  packages: 'bundle',
  external: ['better-sqlite3', 'pg', 'pg-copy-streams', 'pg-native', '@node-rs/argon2'],
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  logLevel: 'info',
});
