import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROUTE_ACCESS } from '../src/access.ts';
import { openApiJson } from '../src/openapi.ts';

describe('openapi.json', () => {
  it('matches what the code generates (run `npm run openapi` after changing a route)', async () => {
    const checkedIn = readFileSync(new URL('../openapi.json', import.meta.url), 'utf8');
    expect(checkedIn).toBe(await openApiJson());
  });

  it('documents every route of the access table except the docs pages', async () => {
    const doc = JSON.parse(await openApiJson()) as { paths: Record<string, Record<string, unknown>> };
    for (const r of ROUTE_ACCESS.filter((x) => !x.url.startsWith('/docs'))) {
      const path = r.url.replace(/:(\w+)/g, '{$1}');
      expect(doc.paths[path]?.[r.method.toLowerCase()], `${r.method} ${r.url}`).toBeDefined();
    }
  });
});
