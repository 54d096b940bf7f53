import { describe, expect, it } from 'vitest';
import { checkImports, formatViolations, importsOf, type Violation } from './imports.ts';
import { ANY, type MayImport } from './rules.ts';
import { memoryTree } from './tree.ts';

const RULES: Record<string, MayImport> = {
  '@x/dlms': [],
  '@x/core': [],
  '@x/transport': ['@x/dlms'],
  '@x/acquisition': ['@x/core', '@x/transport'],
  '@x/storage': ['@x/core'],
  '@x/api': ['@x/core'],
  '@openhes/testkit': ANY,
};

// The checker recognises packages of ours by the @openhes/ scope; the fixture maps its own
// short names onto it.
const rules = Object.fromEntries(
  Object.entries(RULES).map(([k, v]) => [
    k.replace('@x/', '@openhes/'),
    v === ANY ? v : v.map((d) => d.replace('@x/', '@openhes/')),
  ]),
);

function manifest(name: string, deps: string[] = []): string {
  return JSON.stringify({ name, dependencies: Object.fromEntries(deps.map((d) => [d, '*'])) });
}

/** A small repository that keeps every rule. */
function cleanRepo(): Record<string, string> {
  return {
    'package.json': JSON.stringify({ workspaces: ['packages/*', 'apps/*'] }),
    'vectors/a.json': '{}',
    'packages/dlms/package.json': manifest('@openhes/dlms'),
    'packages/dlms/src/index.ts': "export * from './codec.ts';\n",
    'packages/dlms/src/codec.ts':
      "// import '@openhes/core' in a comment is no import\nexport const s = \"import '@openhes/core'\";\n",
    'packages/dlms/src/node/crypto.ts': "import { createCipheriv } from 'node:crypto';\n",
    'packages/dlms/test/codec.test.ts':
      "import { apduVectors } from '@openhes/testkit/vectors';\nimport { s } from '../src/codec.ts';\n",
    'packages/core/package.json': manifest('@openhes/core'),
    'packages/core/src/index.ts': 'export const core = 1;\n',
    'packages/transport/package.json': manifest('@openhes/transport', ['@openhes/dlms', 'ws']),
    'packages/transport/src/index.ts':
      "import net from 'node:net';\nimport type { X } from '@openhes/dlms/node';\n",
    'packages/acquisition/package.json': manifest('@openhes/acquisition', [
      '@openhes/core',
      '@openhes/transport',
    ]),
    'packages/acquisition/src/index.ts':
      "import { core } from '@openhes/core';\nexport { t } from '@openhes/transport';\n",
    'packages/acquisition/test/e2e.test.ts':
      "import { open } from '@openhes/storage';\nimport { dlms } from '@openhes/dlms';\nconst f = new URL('./fixtures/x.json', import.meta.url);\n",
    'packages/storage/package.json': manifest('@openhes/storage', ['@openhes/core']),
    'packages/storage/src/index.ts': "const { core } = await import('@openhes/core');\n",
    'packages/api/package.json': manifest('@openhes/api', ['@openhes/core']),
    'packages/api/src/index.ts': "import { core } from '@openhes/core';\n",
    'packages/testkit/package.json': manifest('@openhes/testkit', ['@openhes/dlms']),
    'packages/testkit/src/vectors.ts':
      "import type { D } from '@openhes/dlms';\nexport const dir = new URL('../../../vectors/', import.meta.url);\n",
    'apps/hes/package.json': manifest('@openhes/hes', ['@openhes/api', '@openhes/storage']),
    'apps/hes/src/main.ts': "import '@openhes/api';\nimport '@openhes/storage';\n",
  };
}

function check(files: Record<string, string>, options: Parameters<typeof checkImports>[1] = {}) {
  return checkImports(memoryTree(files), {
    rules,
    today: new Date('2026-12-03T12:00:00Z'),
    allowed: [],
    ...options,
  });
}

function kinds(violations: Violation[]): string[] {
  return violations.map(
    (v) => `${v.kind} ${v.file ?? v.from}${v.line === undefined ? '' : `:${v.line}`} -> ${v.to}`,
  );
}

describe('import-rule checker', () => {
  it('finds nothing in a repository that keeps the rules', () => {
    const result = check(cleanRepo());
    expect(formatViolations(result.violations)).toBe('');
    expect(result.packages.map((p) => p.name)).toEqual([
      '@openhes/hes',
      '@openhes/acquisition',
      '@openhes/api',
      '@openhes/core',
      '@openhes/dlms',
      '@openhes/storage',
      '@openhes/testkit',
      '@openhes/transport',
    ]);
    expect(result.files).toBe(12);
  });

  it('reports a deliberately wrong import with its file and line', () => {
    const files = cleanRepo();
    files['packages/api/src/index.ts'] += "\nimport { openStore } from '@openhes/storage';\n";
    files['packages/api/package.json'] = manifest('@openhes/api', ['@openhes/core', '@openhes/storage']);
    const { violations } = check(files);
    expect(kinds(violations)).toEqual(['forbidden-import packages/api/src/index.ts:3 -> @openhes/storage']);
    expect(formatViolations(violations)).toBe(
      'packages/api/src/index.ts:3  @openhes/api imports @openhes/storage; it may import @openhes/core',
    );
  });

  it('holds the protocol stack to importing nothing of ours, type imports and re-exports included', () => {
    const files = cleanRepo();
    files['packages/dlms/src/codec.ts'] =
      "import type { Meter } from '@openhes/core';\nexport * from '@openhes/transport';\n";
    files['packages/dlms/package.json'] = manifest('@openhes/dlms', ['@openhes/core', '@openhes/transport']);
    expect(kinds(check(files).violations)).toEqual([
      'forbidden-import packages/dlms/src/codec.ts:1 -> @openhes/core',
      'forbidden-import packages/dlms/src/codec.ts:2 -> @openhes/transport',
    ]);
  });

  it('lets a test use packages not built on its own, never one above it', () => {
    const files = cleanRepo();
    files['packages/dlms/test/codec.test.ts'] +=
      "import { connect } from '@openhes/transport';\nimport '@openhes/core';\nimport { main } from '@openhes/hes';\n";
    expect(kinds(check(files).violations)).toEqual([
      'forbidden-import packages/dlms/test/codec.test.ts:3 -> @openhes/transport',
      'forbidden-import packages/dlms/test/codec.test.ts:5 -> @openhes/hes',
    ]);
  });

  it('keeps the test kit out of src', () => {
    const files = cleanRepo();
    files['packages/core/src/index.ts'] = "import { pgSchema } from '@openhes/testkit/pg';\n";
    files['packages/core/package.json'] = manifest('@openhes/core', ['@openhes/testkit']);
    expect(kinds(check(files).violations)).toEqual([
      'test-only-import packages/core/src/index.ts:1 -> @openhes/testkit',
    ]);
  });

  it('reports relative paths into another package or a root folder, in imports and file URLs', () => {
    const files = cleanRepo();
    files['apps/hes/test/read.test.ts'] =
      "import { TestMeter } from '../../../packages/transport/test/meter.ts';\n";
    files['packages/dlms/test/vectors.test.ts'] =
      "import apdu from '../../../vectors/a.json';\nconst u = new URL('../../../vectors/a.json', import.meta.url);\n";
    expect(kinds(check(files).violations)).toEqual([
      'relative-escape apps/hes/test/read.test.ts:1 -> @openhes/transport',
      'relative-escape packages/dlms/test/vectors.test.ts:1 -> vectors/a.json',
      'relative-escape packages/dlms/test/vectors.test.ts:2 -> vectors/a.json',
    ]);
  });

  it('keeps Node built-ins out of the portable packages except their Node entry points', () => {
    const files = cleanRepo();
    files['packages/core/src/clock.ts'] =
      "import { setTimeout } from 'node:timers/promises';\nimport fs from 'fs';\n";
    files['packages/dlms/src/index.node.ts'] = "import './node/crypto.ts';\nimport 'node:crypto';\n";
    expect(kinds(check(files).violations)).toEqual([
      'node-builtin packages/core/src/clock.ts:1 -> node:timers/promises',
      'node-builtin packages/core/src/clock.ts:2 -> fs',
    ]);
  });

  it('checks that package.json dependencies list exactly the packages of ours that src imports', () => {
    const files = cleanRepo();
    files['packages/storage/package.json'] = manifest('@openhes/storage', ['pg']);
    files['packages/api/package.json'] = manifest('@openhes/api', ['@openhes/core', '@openhes/storage']);
    expect(kinds(check(files).violations)).toEqual([
      'unused-dependency packages/api/package.json -> @openhes/storage',
      'undeclared-dependency packages/storage/package.json -> @openhes/core',
    ]);
  });

  it('asks for a row in the table for every new package', () => {
    const files = cleanRepo();
    files['packages/billing/package.json'] = manifest('@openhes/billing');
    files['packages/billing/src/index.ts'] = "import '@openhes/nowhere';\n";
    expect(kinds(check(files).violations)).toEqual(['no-rule @openhes/billing -> @openhes/billing']);
  });

  it('excuses a listed breach until its day, then reports it; a listed breach that is gone is stale', () => {
    const files = cleanRepo();
    files['packages/api/src/index.ts'] += "import { openStore } from '@openhes/storage';\n";
    files['packages/api/package.json'] = manifest('@openhes/api', ['@openhes/core', '@openhes/storage']);
    const allowed = [
      { from: '@openhes/api', to: '@openhes/storage', until: '2026-12-04', reason: 'being removed' },
      { from: '@openhes/transport', to: '@openhes/cosem', until: '2026-12-04', reason: 'already removed' },
    ];
    const now = check(files, { allowed });
    expect(kinds(now.excused)).toEqual(['forbidden-import packages/api/src/index.ts:2 -> @openhes/storage']);
    expect(kinds(now.violations)).toEqual(['stale-exception @openhes/transport -> @openhes/cosem']);
    const later = check(files, { allowed, today: new Date('2026-12-05T00:00:00Z') });
    expect(kinds(later.violations)).toEqual([
      'forbidden-import packages/api/src/index.ts:2 -> @openhes/storage',
    ]);
  });
});

describe('importsOf', () => {
  it('finds static, dynamic, type-only, side-effect and re-export imports, require and file URLs', () => {
    const text = [
      "import a from 'a';",
      "import type { B } from 'b';",
      "export { c } from 'c';",
      "import 'd';",
      "const e = await import('e');",
      "const f = require('f');",
      "const g = new URL('./g.json', import.meta.url);",
      "// import 'h';",
      'const i = \'import "i"\';',
    ].join('\n');
    expect(importsOf(text).map((r) => `${r.line}:${r.specifier}${r.url ? ' (url)' : ''}`)).toEqual([
      '1:a',
      '2:b',
      '3:c',
      '4:d',
      '5:e',
      '6:f',
      '7:./g.json (url)',
    ]);
  });
});
