import type { KeyPurpose, SecretVault, Store } from '@openhes/core';
import { describe, expect, it } from 'vitest';
import { MeterAccess } from '../src/index.ts';

/** A vault with current and pending secrets by `meterId|purpose`. */
function vault(current: Record<string, number[]>, pending: Record<string, number[]>): SecretVault {
  const get = (m: Record<string, number[]>, id: number, p: KeyPurpose) => {
    const v = m[`${id}|${p}`];
    return v === undefined ? null : new Uint8Array(v);
  };
  return {
    kekId: 'test',
    put: async () => 'ref',
    get: async (id, p) => get(current, id, p),
    putPending: async () => {},
    getPending: async (id, p) => get(pending, id, p),
    promotePending: async () => null,
    discardPending: async () => {},
  };
}

const store = {} as Pick<Store, 'meters' | 'keys' | 'counters' | 'audit'>;

describe('MeterAccess keys', () => {
  it("uses a purpose's pending key when asked, the current ones otherwise", async () => {
    const access = new MeterAccess(
      store,
      vault({ '1|guek': [1], '1|gak': [2], '1|lls-password': [0x61] }, { '1|gak': [9] }),
      new Map(),
    );
    expect(await access.secretsOf(1)).toEqual({
      password: 'a',
      ek: new Uint8Array([1]),
      ak: new Uint8Array([2]),
    });
    expect(await access.secretsOf(1, { gak: 'pending', guek: 'current' })).toEqual({
      password: 'a',
      ek: new Uint8Array([1]),
      ak: new Uint8Array([9]),
    });
  });

  it('refuses a pending key that is not stored rather than falling back to the current one', async () => {
    const access = new MeterAccess(store, vault({ '1|guek': [1] }, {}), new Map());
    await expect(access.secretsOf(1, { guek: 'pending' })).rejects.toMatchObject({
      code: 'DRIVER_SECURITY',
      detail: { purpose: 'guek' },
    });
  });
});
