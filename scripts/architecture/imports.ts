/**
 * The import-rule checker: walks the TypeScript and JavaScript sources of every workspace
 * package and reports what the package map forbids. Pure: it reads files through a
 * SourceTree (the file system in ./tree.ts, or an in-memory map in tests).
 *
 * Rules (the table is in ./rules.ts):
 * - src (every file of a package outside test/) imports only the packages its row allows;
 * - a test may import what its package may, the package itself, the test kit, and any package
 *   not built on its own (by the table) — never one of the layers above it;
 * - no relative path leaves its package (fixtures and vectors come through @openhes/testkit),
 *   neither in an import nor in `new URL('…', import.meta.url)`, except into a root folder
 *   its package owns (ROOT_FOLDER_OWNERS: vectors/ for the test kit);
 * - the portable packages import no Node built-in outside src/node/ and src/index.node.ts;
 * - `dependencies` of each package.json lists exactly the packages of ours that its src imports.
 */
import { isBuiltin } from 'node:module';
import ts from 'typescript';
import {
  ALLOWED,
  type AllowedException,
  ANY,
  isNodeEntryPoint,
  MAY_IMPORT,
  type MayImport,
  PORTABLE,
  ROOT_FOLDER_OWNERS,
  TEST_ONLY,
} from './rules.ts';

/** Files relative to the repository root, with '/' separators. */
export interface SourceTree {
  /** Every file under `dir` (recursively), skipping node_modules, dist, coverage and dot folders. */
  list(dir: string): string[];
  /** A file's text, or undefined when it does not exist. */
  read(path: string): string | undefined;
}

export const SCOPE = '@openhes/';

export interface WorkspacePackage {
  name: string;
  /** e.g. packages/dlms */
  dir: string;
  dependencies: readonly string[];
}

export type ViolationKind =
  | 'forbidden-import'
  | 'test-only-import'
  | 'relative-escape'
  | 'node-builtin'
  | 'unknown-package'
  | 'no-rule'
  | 'undeclared-dependency'
  | 'unused-dependency'
  | 'stale-exception';

export interface Violation {
  kind: ViolationKind;
  /** The importing package. */
  from: string;
  /** The imported package, or the repository path a relative specifier reaches. */
  to: string;
  file?: string;
  line?: number;
  specifier?: string;
  message: string;
}

export interface CheckOptions {
  rules?: Readonly<Record<string, MayImport>>;
  allowed?: readonly AllowedException[];
  /** For the time box of `allowed`; defaults to now. */
  today?: Date;
}

export interface CheckResult {
  packages: WorkspacePackage[];
  /** Number of source files read. */
  files: number;
  violations: Violation[];
  /** Breaches matched by an unexpired `allowed` entry. */
  excused: Violation[];
}

const CODE = /\.(?:[cm]?ts|tsx|[cm]?js|jsx)$/;
const URL_OF_FILE = /new\s+URL\(\s*(['"`])(\.{1,2}\/[^'"`$]*)\1\s*,\s*import\.meta\.url\s*\)/g;

function posixJoin(dir: string, relative: string): string {
  const parts = dir === '' ? [] : dir.split('/');
  for (const part of relative.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return `../${relative}`;
      parts.pop();
    } else parts.push(part);
  }
  return parts.join('/');
}

function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

function inside(dir: string, path: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

/** The workspace packages named by the root package.json (globs of the form `dir/*` or `dir`). */
export function findPackages(tree: SourceTree): WorkspacePackage[] {
  const root = JSON.parse(tree.read('package.json') ?? '{}') as { workspaces?: string[] };
  const dirs = new Set<string>();
  for (const pattern of root.workspaces ?? []) {
    if (pattern.endsWith('/*')) {
      const base = pattern.slice(0, -2);
      for (const file of tree.list(base)) {
        const rest = file.slice(base.length + 1).split('/');
        if (rest.length === 2 && rest[1] === 'package.json') dirs.add(`${base}/${rest[0]}`);
      }
    } else if (tree.read(`${pattern}/package.json`) !== undefined) dirs.add(pattern);
  }
  const packages: WorkspacePackage[] = [];
  for (const dir of [...dirs].sort()) {
    const manifest = JSON.parse(tree.read(`${dir}/package.json`)!) as {
      name?: string;
      dependencies?: Record<string, string>;
    };
    if (manifest.name === undefined) continue;
    packages.push({ name: manifest.name, dir, dependencies: Object.keys(manifest.dependencies ?? {}) });
  }
  return packages;
}

export interface ImportRef {
  specifier: string;
  line: number;
  /** `new URL(relative, import.meta.url)` rather than an import. */
  url: boolean;
}

function lineAt(text: string, pos: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < pos; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Static and dynamic imports, re-exports, require() calls and file URLs of one source text. */
export function importsOf(text: string): ImportRef[] {
  const refs: ImportRef[] = ts
    .preProcessFile(text, true, true)
    .importedFiles.map((f) => ({ specifier: f.fileName, line: lineAt(text, f.pos), url: false }));
  for (const m of text.matchAll(URL_OF_FILE)) {
    refs.push({ specifier: m[2]!, line: lineAt(text, m.index), url: true });
  }
  return refs;
}

function packageName(specifier: string): string {
  const [scope, name] = specifier.split('/');
  return `${scope}/${name}`;
}

/** Every package that builds on `name` by the table (transitively); ANY rows build on everything. */
function builtOn(name: string, rules: Readonly<Record<string, MayImport>>, known: string[]): Set<string> {
  const result = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const pkg of known) {
      if (pkg === name || result.has(pkg)) continue;
      const may = rules[pkg];
      if (may === ANY || may?.some((dep) => dep === name || result.has(dep))) {
        result.add(pkg);
        grew = true;
      }
    }
  }
  return result;
}

function ruleOf(pkg: WorkspacePackage, rules: Readonly<Record<string, MayImport>>): MayImport | undefined {
  if (pkg.dir.startsWith('apps/')) return ANY;
  return rules[pkg.name];
}

function describeRule(rule: MayImport): string {
  if (rule === ANY) return 'anything';
  return rule.length === 0 ? 'nothing of ours' : rule.join(', ');
}

export function checkImports(tree: SourceTree, options: CheckOptions = {}): CheckResult {
  const rules = options.rules ?? MAY_IMPORT;
  const allowed = options.allowed ?? ALLOWED;
  const today = (options.today ?? new Date()).toISOString().slice(0, 10);
  const packages = findPackages(tree);
  const byName = new Map(packages.map((p) => [p.name, p]));
  const ruleByName: Record<string, MayImport> = { ...rules };
  for (const p of packages) {
    const rule = ruleOf(p, rules);
    if (rule !== undefined) ruleByName[p.name] = rule;
  }
  const names = Object.keys(ruleByName);
  const found: Violation[] = [];
  let files = 0;

  const owner = (path: string): WorkspacePackage | undefined =>
    packages.filter((p) => inside(p.dir, path)).sort((a, b) => b.dir.length - a.dir.length)[0];

  for (const pkg of packages) {
    const rule = ruleOf(pkg, rules);
    if (rule === undefined) {
      found.push({
        kind: 'no-rule',
        from: pkg.name,
        to: pkg.name,
        message: `${pkg.name} (${pkg.dir}) has no row in the import table (scripts/architecture/rules.ts)`,
      });
      continue;
    }
    const above = builtOn(pkg.name, ruleByName, names);
    const srcImports = new Set<string>();
    for (const file of tree.list(pkg.dir)) {
      if (!CODE.test(file)) continue;
      const text = tree.read(file);
      if (text === undefined) continue;
      files++;
      const inPackage = file.slice(pkg.dir.length + 1);
      const isTest = inPackage.startsWith('test/');
      const portable = PORTABLE.includes(pkg.name) && !isTest && !isNodeEntryPoint(inPackage);
      for (const ref of importsOf(text)) {
        const at = { file, line: ref.line, specifier: ref.specifier };
        if (ref.specifier.startsWith('.')) {
          const target = posixJoin(dirname(file), ref.specifier);
          if (inside(pkg.dir, target)) continue;
          const other = owner(target);
          const folder = target.split('/')[0]!;
          if (other === undefined && ROOT_FOLDER_OWNERS[folder]?.includes(pkg.name)) continue;
          found.push({
            kind: 'relative-escape',
            from: pkg.name,
            to: other?.name ?? target,
            ...at,
            message: `${ref.url ? 'file URL' : 'relative import'} leaves ${pkg.dir} for ${target}${
              other === undefined ? '' : ` (${other.name}: import it by name)`
            }${isTest ? '; tests take fixtures and vectors from @openhes/testkit' : ''}`,
          });
          continue;
        }
        if (ref.url) continue;
        if (ref.specifier.startsWith(SCOPE)) {
          const target = packageName(ref.specifier);
          if (target === pkg.name) continue;
          if (!isTest) srcImports.add(target);
          if (!byName.has(target) && rules[target] === undefined) {
            found.push({
              kind: 'unknown-package',
              from: pkg.name,
              to: target,
              ...at,
              message: `${target} is no workspace package`,
            });
            continue;
          }
          if (!isTest && TEST_ONLY.includes(target)) {
            found.push({
              kind: 'test-only-import',
              from: pkg.name,
              to: target,
              ...at,
              message: `${target} is for tests only`,
            });
            continue;
          }
          const allowedBySrc = rule === ANY || rule.includes(target);
          const allowedInTest = TEST_ONLY.includes(target) || !above.has(target);
          if (allowedBySrc || (isTest && allowedInTest)) continue;
          found.push({
            kind: 'forbidden-import',
            from: pkg.name,
            to: target,
            ...at,
            message: isTest
              ? `a test of ${pkg.name} imports ${target}, which is built on ${pkg.name}`
              : `${pkg.name} imports ${target}; it may import ${describeRule(rule)}`,
          });
          continue;
        }
        if (portable && (ref.specifier.startsWith('node:') || isBuiltin(ref.specifier))) {
          found.push({
            kind: 'node-builtin',
            from: pkg.name,
            to: ref.specifier,
            ...at,
            message: `${pkg.name} must run on any host: ${ref.specifier} belongs behind a port or in src/node/`,
          });
        }
      }
    }
    const declared = new Set(pkg.dependencies.filter((d) => d.startsWith(SCOPE)));
    for (const dep of srcImports) {
      if (!declared.has(dep)) {
        found.push({
          kind: 'undeclared-dependency',
          from: pkg.name,
          to: dep,
          file: `${pkg.dir}/package.json`,
          message: `${pkg.name} imports ${dep} but its package.json dependencies do not list it`,
        });
      }
    }
    for (const dep of declared) {
      if (!srcImports.has(dep)) {
        found.push({
          kind: 'unused-dependency',
          from: pkg.name,
          to: dep,
          file: `${pkg.dir}/package.json`,
          message: `${pkg.name} lists ${dep} in dependencies but its src does not import it`,
        });
      }
    }
  }

  const violations: Violation[] = [];
  const excused: Violation[] = [];
  const used = new Set<AllowedException>();
  for (const v of found) {
    const exception = allowed.find(
      (a) =>
        a.from === v.from && a.to === v.to && (v.kind === 'forbidden-import' || v.kind === 'relative-escape'),
    );
    if (exception !== undefined && today <= exception.until) {
      excused.push(v);
      used.add(exception);
    } else violations.push(v);
  }
  for (const a of allowed) {
    if (used.has(a) || today > a.until) continue;
    violations.push({
      kind: 'stale-exception',
      from: a.from,
      to: a.to,
      message: `the allowed exception ${a.from} → ${a.to} matches nothing any more: remove it from ALLOWED`,
    });
  }
  return { packages, files, violations, excused };
}

/** One line per violation: `path:line  message`. */
export function formatViolations(violations: readonly Violation[]): string {
  return violations
    .map(
      (v) =>
        `${v.file === undefined ? v.from : `${v.file}${v.line === undefined ? '' : `:${v.line}`}`}  ${v.message}`,
    )
    .join('\n');
}
