import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTROL_ROLE_CLASS, controlObjects } from '@openhes/cosem';
import { describe, expect, it } from 'vitest';
import { attributeAccessOf, catalogOf, methodAccessOf } from '../src/model/catalog.ts';
import { PROFILES } from './helpers.ts';

describe('control objects the profiles declare', () => {
  for (const [id, p] of PROFILES) {
    it(`${id}: the simulator serves each one, usable by its association and not by the reader`, () => {
      const cat = catalogOf(p);
      const roles = controlObjects(p);
      expect(roles.length).toBeGreaterThanOrEqual(5);
      for (const c of roles) {
        const e = cat.byObis.get(c.obis);
        expect(e?.spec.class, `${id} ${c.role}`).toBe(CONTROL_ROLE_CLASS[c.role]);
        const can = (association: string): boolean =>
          e!.methods.some((m) => methodAccessOf(cat, association, e!, m) === 'access') ||
          e!.attributes.some((a) => attributeAccessOf(cat, association, e!, a.index).includes('write'));
        expect(can(c.association.key), `${id} ${c.role} by ${c.association.key}`).toBe(true);
        expect(can('reader'), `${id} ${c.role} by reader`).toBe(false);
      }
    });
  }
});

describe('simulator module graph', () => {
  it('has no import cycle (truth/energy.ts and truth/demand.ts share truth/accrual.ts)', () => {
    const root = resolve(dirname(fileURLToPath(import.meta.url)), '../src');
    const graph = new Map<string, string[]>();
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (e.isDirectory()) walk(path);
        else if (e.name.endsWith('.ts')) {
          const src = readFileSync(path, 'utf8');
          const deps = [...src.matchAll(/^(?:import|export)\s(?!type\s)[^;]*?from\s+'(\.[^']+)'/gms)].map(
            (m) => resolve(dirname(path), m[1]!),
          );
          graph.set(path, deps);
        }
      }
    };
    walk(root);
    expect(graph.get(join(root, 'truth/demand.ts'))).not.toContain(join(root, 'truth/energy.ts'));
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (n: string): void => {
      state.set(n, 'open');
      stack.push(n);
      for (const d of graph.get(n) ?? []) {
        if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].join(' → '));
        else if (!state.has(d)) visit(d);
      }
      stack.pop();
      state.set(n, 'done');
    };
    for (const n of graph.keys()) if (!state.has(n)) visit(n);
    expect(cycles).toEqual([]);
  });
});
