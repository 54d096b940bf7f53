import type { ChannelDef, Store } from '@openhes/core';
import { expect } from 'vitest';
import { StorageError } from '../src/errors.ts';

export interface Harness {
  open(opts?: { migrateTo?: number }): Promise<Store>;
  /** Runs raw SQL against the store's database (schema-qualified where needed). */
  exec(sql: string): Promise<void>;
  cleanup(): Promise<void>;
}

export const T0 = Date.UTC(2025, 0, 1);
export const MIN15 = 900_000;
export const DAY = 86_400_000;

export const energy: ChannelDef = {
  obis: '1-0:1.8.0.255',
  attribute: 2,
  kind: 'interval',
  unit: 'Wh',
  scaler: 0,
  intervalSeconds: 900,
};
export const voltage: ChannelDef = {
  obis: '1-0:32.7.0.255',
  attribute: 2,
  kind: 'instantaneous',
  unit: 'V',
  scaler: -1,
  intervalSeconds: null,
};

export async function failure(p: Promise<unknown>): Promise<{ code: string; reason: unknown }> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(StorageError);
    const err = e as StorageError;
    return { code: err.code, reason: err.detail?.reason };
  }
  throw new Error('expected a StorageError');
}

let serial = 0;
export async function addMeter(store: Store, extra: Record<string, unknown> = {}) {
  serial++;
  return store.meters.create({
    serial: `SN${process.pid}-${String(serial).padStart(8, '0')}`,
    manufacturer: 'ACME',
    model: 'AM550',
    deviceProfile: 'acme-am550',
    protocol: 'dlms-tcp',
    address: '127.0.0.1:4059',
    ...extra,
  });
}

/** 96 quarter-hour values ending on `day` (days after T0), value = base + interval index. */
export function dayOf(channelId: number, day: number, base = 0) {
  return Array.from({ length: 96 }, (_, i) => ({
    channelId,
    ts: T0 + day * DAY + (i + 1) * MIN15,
    value: base + i,
  }));
}
