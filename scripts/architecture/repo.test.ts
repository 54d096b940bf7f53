import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkImports, formatViolations } from './imports.ts';
import { MAY_IMPORT } from './rules.ts';
import { fsTree } from './tree.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('the repository keeps the package map', () => {
  const result = checkImports(fsTree(ROOT));

  it('every package has a row in the import table', () => {
    for (const pkg of result.packages) {
      if (!pkg.dir.startsWith('apps/')) expect(MAY_IMPORT, pkg.name).toHaveProperty([pkg.name]);
    }
    expect(result.files).toBeGreaterThan(100);
  });

  it('no import breaks the rules (scripts/architecture/rules.ts, docs/ARCHITECTURE-RULES.md)', () => {
    expect(formatViolations(result.violations)).toBe('');
  });
});
