import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import type { Store } from '@openhes/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSecretVault, loadMasterKey, MASTER_KEY_FILE, openStore, StorageError } from '../src/index.ts';
import { addMeter } from './helpers.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

async function rejection(p: Promise<unknown>): Promise<StorageError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(StorageError);
  return e as StorageError;
}

describe('secret vault', () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hes-vault-'));
    store = await openStore({ kind: 'sqlite', path: join(dir, 'hes.db'), durability: 'normal' });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores secrets wrapped, returns them, and keeps one version per distinct secret', async () => {
    const vault = createSecretVault(store.keys, loadMasterKey(dir, {}));
    const m = await addMeter(store);
    const ek = randomBytes(16);
    expect(await vault.get(m.id, 'guek')).toBeNull();
    expect(await vault.put(m.id, 'guek', ek)).toBe('guek@1');
    expect(hex((await vault.get(m.id, 'guek'))!)).toBe(hex(ek));
    expect(await vault.put(m.id, 'guek', ek)).toBe('guek@1');
    const stored = await store.keys.current(m.id, 'guek');
    expect(stored?.kekId).toBe(vault.kekId);
    expect(hex(stored!.wrapped)).not.toContain(hex(ek));
    const ek2 = randomBytes(16);
    expect(await vault.put(m.id, 'guek', ek2)).toBe('guek@2');
    expect(hex((await vault.get(m.id, 'guek'))!)).toBe(hex(ek2));
    expect(await vault.get(m.id, 'gak')).toBeNull();
    expect((await rejection(vault.put(m.id, 'gak', new Uint8Array()))).code).toBe('STORAGE_INVALID_INPUT');
  });

  it('opens keys wrapped in the format of the acquisition key vault', async () => {
    const master = randomBytes(32);
    const vault = createSecretVault(store.keys, master);
    const m = await addMeter(store);
    const secret = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    // version 1 ‖ IV ‖ tag ‖ ciphertext, AAD "<meter>|<purpose>", built here by hand.
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', master, iv, { authTagLength: 16 });
    c.setAAD(Buffer.from(`${m.id}|gak`));
    const body = Buffer.concat([c.update(secret), c.final()]);
    const wrapped = Buffer.concat([Buffer.from([1]), iv, c.getAuthTag(), body]);
    await store.keys.put({ meterId: m.id, purpose: 'gak', kekId: vault.kekId, wrapped });
    expect(hex((await vault.get(m.id, 'gak'))!)).toBe(hex(secret));
    expect(vault.kekId).toMatch(/^mk-[0-9a-f]{16}$/);
  });

  it('keeps a rotated key pending, encrypted and unused, until promoted or discarded', async () => {
    const master = randomBytes(32);
    const vault = createSecretVault(store.keys, master);
    const m = await addMeter(store);
    const old = randomBytes(16);
    const next = randomBytes(16);
    expect(await vault.put(m.id, 'guek', old)).toBe('guek@1');
    expect(await vault.getPending(m.id, 'guek')).toBeNull();
    expect(await vault.promotePending(m.id, 'guek')).toBeNull();
    await vault.putPending(m.id, 'guek', next);
    expect(hex((await vault.getPending(m.id, 'guek'))!)).toBe(hex(next));
    // Sessions still get the current key; the stored pending bytes are wrapped, not the key.
    expect(hex((await vault.get(m.id, 'guek'))!)).toBe(hex(old));
    const stored = await store.keys.pending(m.id, 'guek');
    expect(stored?.kekId).toBe(vault.kekId);
    expect(hex(stored!.wrapped)).not.toContain(hex(next));
    // Another master key cannot open it; bad input is refused.
    const wrong = createSecretVault(store.keys, randomBytes(32));
    expect((await rejection(wrong.getPending(m.id, 'guek'))).code).toBe('STORAGE_SECRET_UNREADABLE');
    expect((await rejection(vault.putPending(m.id, 'guek', new Uint8Array()))).code).toBe(
      'STORAGE_INVALID_INPUT',
    );
    expect(await vault.promotePending(m.id, 'guek')).toBe('guek@2');
    expect(hex((await vault.get(m.id, 'guek'))!)).toBe(hex(next));
    expect(await vault.getPending(m.id, 'guek')).toBeNull();
    // Discarded: the current key stays.
    await vault.putPending(m.id, 'guek', randomBytes(16));
    await vault.discardPending(m.id, 'guek');
    expect(await vault.getPending(m.id, 'guek')).toBeNull();
    expect(hex((await vault.get(m.id, 'guek'))!)).toBe(hex(next));
    expect((await store.keys.versions(m.id, 'guek')).map((k) => k.version)).toEqual([1, 2]);
  });

  it('fails with a typed error under the wrong master key, or when a key is moved', async () => {
    const master = randomBytes(32);
    const vault = createSecretVault(store.keys, master);
    const a = await addMeter(store);
    const b = await addMeter(store);
    const secret = randomBytes(16);
    await vault.put(a.id, 'guek', secret);
    const wrong = createSecretVault(store.keys, randomBytes(32));
    const e = await rejection(wrong.get(a.id, 'guek'));
    expect(e).toMatchObject({ code: 'STORAGE_SECRET_UNREADABLE', kind: 'internal', retryable: false });
    expect(e.detail).toMatchObject({ reason: 'STORAGE_WRONG_MASTER_KEY', meterId: a.id, purpose: 'guek' });
    // The same wrapped bytes under another meter or purpose do not open.
    const k = (await store.keys.current(a.id, 'guek'))!;
    await store.keys.put({ meterId: b.id, purpose: 'guek', kekId: k.kekId, wrapped: k.wrapped });
    await store.keys.put({ meterId: a.id, purpose: 'gak', kekId: k.kekId, wrapped: k.wrapped });
    expect((await rejection(vault.get(b.id, 'guek'))).code).toBe('STORAGE_SECRET_UNREADABLE');
    expect((await rejection(vault.get(a.id, 'gak'))).code).toBe('STORAGE_SECRET_UNREADABLE');
    await store.keys.put({ meterId: b.id, purpose: 'gak', kekId: k.kekId, wrapped: new Uint8Array([9, 9]) });
    expect((await rejection(vault.get(b.id, 'gak'))).detail?.reason).toBe('STORAGE_UNKNOWN_WRAP_FORMAT');
    // A put under another master key (re-keying) stores a new version that only it opens.
    expect(await wrong.put(a.id, 'guek', secret)).toBe('guek@2');
    expect(hex((await wrong.get(a.id, 'guek'))!)).toBe(hex(secret));
    expect((await rejection(vault.get(a.id, 'guek'))).code).toBe('STORAGE_SECRET_UNREADABLE');
    expect(() => createSecretVault(store.keys, new Uint8Array(16))).toThrow(
      expect.objectContaining({ code: 'STORAGE_MASTER_KEY' }),
    );
  });

  it('never shows the master key or a secret in its shape or its errors', async () => {
    const master = randomBytes(32);
    const vault = createSecretVault(store.keys, master);
    const m = await addMeter(store);
    const secret = randomBytes(16);
    await vault.put(m.id, 'hls-secret', secret);
    const e = await rejection(createSecretVault(store.keys, randomBytes(32)).get(m.id, 'hls-secret'));
    const shown = [
      JSON.stringify(vault),
      inspect(vault, { showHidden: true, depth: 10, getters: true }),
      String(e),
      e.stack ?? '',
      JSON.stringify(e.detail),
      inspect(e, { showHidden: true, depth: 10 }),
    ].join('\n');
    for (const needle of [hex(master), master.toString('base64'), hex(secret), secret.toString('base64')]) {
      expect(shown).not.toContain(needle);
    }
    expect(Object.keys(vault).sort()).toEqual([
      'discardPending',
      'get',
      'getPending',
      'kekId',
      'promotePending',
      'put',
      'putPending',
    ]);
  });

  it('loads the master key from the environment or a 0600 file created once', () => {
    const key = loadMasterKey(dir, {});
    expect(key).toHaveLength(32);
    expect(statSync(join(dir, MASTER_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(hex(loadMasterKey(dir, {}))).toBe(hex(key));
    const env = randomBytes(32);
    expect(hex(loadMasterKey(dir, { HES_MASTER_KEY: env.toString('base64') }))).toBe(hex(env));
    expect(hex(loadMasterKey(dir, { HES_MASTER_KEY: hex(env) }))).toBe(hex(env));
    expect(() => loadMasterKey(dir, { HES_MASTER_KEY: 'abcd' })).toThrow(
      expect.objectContaining({ code: 'STORAGE_MASTER_KEY', kind: 'invalid' }),
    );
    const other = mkdtempSync(join(tmpdir(), 'hes-vault-bad-'));
    try {
      writeFileSync(join(other, MASTER_KEY_FILE), 'not a key\n');
      expect(() => loadMasterKey(other, {})).toThrow(expect.objectContaining({ code: 'STORAGE_MASTER_KEY' }));
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
