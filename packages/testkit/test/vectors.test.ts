import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  apduVectors,
  hdlcVectors,
  readVectorJson,
  suite0Vectors,
  VECTORS_DIR,
  vectorNamed,
} from '../src/vectors.ts';

describe('reference vectors', () => {
  it('reads vectors/ at the repository root', () => {
    expect(existsSync(join(VECTORS_DIR, 'dlms-ua', 'README.md'))).toBe(true);
    expect(readVectorJson<{ provenance: string }>('dlms-ua/apdu.json').provenance).toBe(
      apduVectors.provenance,
    );
  });

  it('every byte vector has a name, upper-case hex and a meaning', () => {
    for (const file of [apduVectors, hdlcVectors]) {
      expect(file.provenance).not.toBe('');
      expect(file.vectors.length).toBeGreaterThan(0);
      for (const v of file.vectors) {
        expect(v.hex).toMatch(/^(?:[0-9A-F]{2})+$/);
        expect(v.name).not.toBe('');
        expect(v.meaning).not.toBe('');
      }
    }
  });

  it('suite 0 examples carry their keys and a system title each', () => {
    expect(suite0Vectors.common.encryptionKey).toMatch(/^[0-9A-F]{32}$/);
    expect(suite0Vectors.common.authenticationKey).toMatch(/^[0-9A-F]{32}$/);
    for (const v of suite0Vectors.vectors) expect(v.systemTitle).toMatch(/^[0-9A-F]{16}$/);
  });

  it('vectorNamed finds a vector by name and refuses a missing one', () => {
    const first = hdlcVectors.vectors[0]!;
    expect(vectorNamed(hdlcVectors, first.name)).toBe(first);
    expect(() => vectorNamed(hdlcVectors, 'no such vector')).toThrow(/no such vector/);
  });
});
