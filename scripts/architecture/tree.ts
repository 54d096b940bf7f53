import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SourceTree } from './imports.ts';

const SKIP = new Set(['node_modules', 'dist', 'coverage']);

/** The repository on disk as a SourceTree. */
export function fsTree(root: string): SourceTree {
  const list = (dir: string): string[] => {
    const out: string[] = [];
    const abs = join(root, dir);
    if (!existsSync(abs)) return out;
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || SKIP.has(entry.name)) continue;
      const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) out.push(...list(path));
      else if (entry.isFile()) out.push(path);
    }
    return out;
  };
  return {
    list,
    read: (path) => {
      try {
        return readFileSync(join(root, path), 'utf8');
      } catch {
        return undefined;
      }
    },
  };
}

/** An in-memory SourceTree: paths relative to the root with '/' separators. */
export function memoryTree(files: Readonly<Record<string, string>>): SourceTree {
  const paths = Object.keys(files).sort();
  return {
    list: (dir) => paths.filter((p) => p.startsWith(`${dir}/`)),
    read: (path) => files[path],
  };
}
