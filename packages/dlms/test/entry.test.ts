import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../src/bytes.ts';
import { DlmsError, DlmsErrorCode } from '../src/errors.ts';
import {
  aesGcm,
  aesKeyUnwrap,
  aesKeyWrap,
  cipherApdu,
  dlmsCrypto,
  generateChallenge,
  hasDlmsCrypto,
  setDlmsCrypto,
} from '../src/index.ts';
import { nodeCrypto } from '../src/node/index.ts';

/** The package directory: `@openhes/dlms` resolves from it by self-reference. */
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** A program that prints which crypto provider `@openhes/dlms` came with. */
const PROBE = [
  "import { dlmsCrypto, generateChallenge, hasDlmsCrypto } from '@openhes/dlms';",
  'console.log(hasDlmsCrypto() ? dlmsCrypto().name : "none", generateChallenge(16).length);',
].join('\n');

function errorOf(f: () => unknown): DlmsError {
  try {
    f();
  } catch (e) {
    if (e instanceof DlmsError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

/** Runs f with no crypto provider installed, restoring the previous one after. */
function withoutProvider(f: () => void): void {
  const previous = setDlmsCrypto(undefined);
  try {
    f();
  } finally {
    setDlmsCrypto(previous);
  }
}

describe('entry points', () => {
  it('vitest resolves @openhes/dlms to the node entry', async () => {
    const viaPackage = await import('@openhes/dlms');
    const nodeEntry = await import('../src/index.node.ts');
    expect(viaPackage).toBe(nodeEntry);
    expect(viaPackage.dlmsCrypto().name).toBe('node:crypto');
  });

  it('the node entry exports exactly what the pure entry exports', async () => {
    const pure = await import('../src/index.ts');
    const node = await import('../src/index.node.ts');
    expect(Object.keys(node).sort()).toEqual(Object.keys(pure).sort());
  });

  it('tsx resolves @openhes/dlms to the node entry', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', PROBE], {
      cwd: PACKAGE_DIR,
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('node:crypto 16');
  });

  it('the esbuild bundle for node (scripts/build.mjs settings) takes the node entry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dlms-entry-'));
    try {
      const outfile = join(dir, 'probe.mjs');
      await build({
        stdin: { contents: PROBE, resolveDir: PACKAGE_DIR, loader: 'ts' },
        outfile,
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'esm',
        logLevel: 'silent',
      });
      expect(execFileSync(process.execPath, [outfile], { encoding: 'utf8' }).trim()).toBe('node:crypto 16');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the pure entry without a crypto provider', () => {
  const key = fromHex('000102030405060708090A0B0C0D0E0F');

  it('throws DlmsError Security (detail.missing = crypto-provider) from every primitive', () => {
    withoutProvider(() => {
      expect(hasDlmsCrypto()).toBe(false);
      const calls: Array<() => unknown> = [
        () => dlmsCrypto(),
        () => generateChallenge(16),
        () => aesKeyWrap(key, key),
        () => aesKeyUnwrap(key, new Uint8Array(24)),
        () => aesGcm.encrypt(key, new Uint8Array(12), new Uint8Array(0), new Uint8Array(4), 12),
        () =>
          cipherApdu({
            tag: 0xc8,
            securityControl: 0x30,
            systemTitle: fromHex('4D4D4D0000BC614E'),
            invocationCounter: 1,
            plaintext: fromHex('C001C1000800000100'),
            keys: { ek: key, ak: key },
          }),
      ];
      for (const call of calls) {
        const e = errorOf(call);
        expect(e.code).toBe(DlmsErrorCode.Security);
        expect(e.detail).toEqual({ missing: 'crypto-provider' });
      }
    });
  });

  it('uses the provider installed with setDlmsCrypto', () => {
    const calls: number[] = [];
    const counting = {
      ...nodeCrypto,
      name: 'counting',
      randomBytes: (n: number) => {
        calls.push(n);
        return new Uint8Array(n);
      },
    };
    const previous = setDlmsCrypto(counting);
    try {
      expect(generateChallenge(20)).toEqual(new Uint8Array(20));
      expect(calls).toEqual([20]);
    } finally {
      setDlmsCrypto(previous);
    }
  });
});

describe('node:crypto provider', () => {
  it('AES-256-GCM round trip and a wrong tag', () => {
    const key = new Uint8Array(32).fill(7);
    const iv = new Uint8Array(12).fill(1);
    const aad = Uint8Array.of(0x30);
    const { ciphertext, tag } = nodeCrypto.gcmEncrypt(key, iv, aad, Uint8Array.of(1, 2, 3), 16);
    expect(tag).toHaveLength(16);
    expect(nodeCrypto.gcmDecrypt(key, iv, aad, ciphertext, tag)).toEqual(Uint8Array.of(1, 2, 3));
    tag[0]! ^= 1;
    expect(nodeCrypto.gcmDecrypt(key, iv, aad, ciphertext, tag)).toBeUndefined();
  });

  it('AES-128-ECB block: FIPS-197 appendix C.1', () => {
    const key = fromHex('000102030405060708090A0B0C0D0E0F');
    const block = fromHex('00112233445566778899AABBCCDDEEFF');
    const cipher = nodeCrypto.aesEcbEncrypt(key, block);
    expect(cipher).toEqual(fromHex('69C4E0D86A7B0430D8CDB78070B4C55A'));
    expect(nodeCrypto.aesEcbDecrypt(key, cipher)).toEqual(block);
  });

  it('random bytes are fresh arrays of the length asked', () => {
    const a = nodeCrypto.randomBytes(16);
    expect(a).toHaveLength(16);
    expect(a.buffer.byteLength).toBe(16);
  });
});
