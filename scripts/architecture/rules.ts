/**
 * Which workspace package may import which: the table of ../shared/ARCHITECTURE.md ("Which
 * package may import which"), written out in docs/ARCHITECTURE-RULES.md. Change the three
 * together. Keys and values are package names; `ANY` marks a package that may import anything
 * of ours (apps/* always may).
 */
export const ANY = '*';

export type MayImport = readonly string[] | typeof ANY;

export const MAY_IMPORT: Readonly<Record<string, MayImport>> = {
  '@openhes/dlms': [],
  '@openhes/core': [],
  '@openhes/cosem': ['@openhes/dlms'],
  '@openhes/transport': ['@openhes/dlms'],
  '@openhes/drivers': ['@openhes/core', '@openhes/cosem', '@openhes/dlms', '@openhes/transport'],
  '@openhes/acquisition': ['@openhes/core', '@openhes/drivers'],
  '@openhes/control': ['@openhes/core', '@openhes/drivers'],
  '@openhes/meter-data': ['@openhes/core'],
  '@openhes/integration': ['@openhes/core'],
  '@openhes/storage': ['@openhes/core'],
  '@openhes/bus': ['@openhes/core'],
  '@openhes/api': ['@openhes/core'],
  '@openhes/simulator': ['@openhes/dlms', '@openhes/cosem', '@openhes/transport'],
  /** Imported by tests only (every test may import it). */
  '@openhes/testkit': ANY,
};

/** Packages whose src/ must run on any host: no Node built-ins outside their Node entry points. */
export const PORTABLE: readonly string[] = ['@openhes/dlms', '@openhes/cosem', '@openhes/core'];

/** The Node-only entry points of a portable package, relative to its directory. */
export function isNodeEntryPoint(pathInPackage: string): boolean {
  return pathInPackage.startsWith('src/node/') || pathInPackage === 'src/index.node.ts';
}

/**
 * Folders at the repository root that only the named packages reach by relative path: the
 * reference vectors are read through @openhes/testkit.
 */
export const ROOT_FOLDER_OWNERS: Readonly<Record<string, readonly string[]>> = {
  vectors: ['@openhes/testkit'],
};

/** Imported by tests only: a package's src importing it is a violation. */
export const TEST_ONLY: readonly string[] = ['@openhes/testkit'];

/** A known breach of the table being removed, accepted until the given day (UTC, inclusive). */
export interface AllowedException {
  from: string;
  to: string;
  /** YYYY-MM-DD; after it the breach is reported again. */
  until: string;
  reason: string;
}

/**
 * Known, time-boxed breaches. Each entry must match a breach that still exists: once the code
 * is fixed the checker reports the entry itself as stale, so it is removed with the fix.
 */
export const ALLOWED: readonly AllowedException[] = [];
