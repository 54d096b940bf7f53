import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  importMeters,
  jsonMeterRows,
  type Meter,
  type ReadingPlan,
  type SecretVault,
  type Store,
} from '@openhes/core';
import { openStore } from '@openhes/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AcquisitionErrorCode,
  type CollectTask,
  knownDeviceProfiles,
  MeterAccess,
  startPlanRunner,
  type TaskResult,
  usableMeterEndpoint,
} from '../src/index.ts';
import { PROFILES } from './harness.ts';

const meter = (over: Partial<Meter>): Meter =>
  ({
    id: 7,
    serial: 'S7',
    deviceProfile: 'is15959-1ph',
    protocol: 'dlms-tcp',
    address: '127.0.0.1:4059',
    ...over,
  }) as Meter;

const causeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    const x = e as { code: string; detail: Record<string, unknown>; message: string };
    return { code: x.code, ...x.detail, message: x.message };
  }
  return undefined;
};

describe('a stored record no driver can use is named by its cause (issue 13)', () => {
  it('bad address, protocol without a driver, unknown profile: ACQ_METER_RECORD_INVALID with field and reason', () => {
    expect(causeOf(() => usableMeterEndpoint(meter({ address: 'meter-7' }), PROFILES))).toMatchObject({
      code: AcquisitionErrorCode.MeterRecordInvalid,
      field: 'address',
      reason: 'IMPORT_BAD_ADDRESS',
      message: expect.stringMatching(/^meter 7: address: /),
    });
    expect(causeOf(() => usableMeterEndpoint(meter({ protocol: 'modbus' }), PROFILES))).toMatchObject({
      code: AcquisitionErrorCode.MeterRecordInvalid,
      field: 'protocol',
      reason: 'IMPORT_NO_DRIVER',
    });
    expect(causeOf(() => usableMeterEndpoint(meter({ deviceProfile: 'nope' }), PROFILES))).toMatchObject({
      code: AcquisitionErrorCode.MeterRecordInvalid,
      field: 'deviceProfile',
      reason: 'IMPORT_UNKNOWN_PROFILE',
    });
    expect(usableMeterEndpoint(meter({}), PROFILES).port).toBe(4059);
  });

  it('MeterAccess refuses a modbus meter before dialling it as DLMS, and a missing meter stays ACQ_UNKNOWN_METER', async () => {
    const stored = new Map([[7, meter({ protocol: 'mqtt' })]]);
    const access = new MeterAccess(
      { meters: { get: async (id: number) => stored.get(id) ?? null } } as unknown as Store,
      {} as SecretVault,
      PROFILES,
    );
    await expect(access.driverFor(7)).rejects.toMatchObject({
      code: AcquisitionErrorCode.MeterRecordInvalid,
      detail: { field: 'protocol', reason: 'IMPORT_NO_DRIVER' },
    });
    await expect(access.driverFor(8)).rejects.toMatchObject({ code: AcquisitionErrorCode.UnknownMeter });
  });
});

describe('imported meters are read by the plans (issue 13)', () => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hes-import-read-'));
    store = await openStore({ kind: 'sqlite', path: join(dir, 'hes.db'), durability: 'normal' });
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a meter imported as the API imports it (no status given) is selected by the plan runner; suspended and registered ones are not', async () => {
    const rows = ['A', 'B', 'C'].map((s, i) => ({
      serial: `IMP-${s}`,
      profile: 'is15959-1ph',
      host: '127.0.0.1',
      port: 4100 + i,
      ...(s === 'C' ? { status: 'registered' } : {}),
    }));
    const r = await importMeters({ meters: store.meters }, jsonMeterRows(rows), {
      profiles: knownDeviceProfiles(PROFILES),
    });
    expect(r.failed).toEqual([]);
    const [a, b] = r.ids as [number, number, number];
    await store.meters.setStatus(b, 'suspended');
    const tasks: CollectTask[] = [];
    const runner = startPlanRunner({
      meters: store.meters,
      submit: async (task) => {
        tasks.push(task);
        return { task, status: 'success' } as TaskResult;
      },
    });
    const plan: ReadingPlan = {
      id: 1,
      name: 'all',
      cron: '*/15 * * * *',
      reads: ['registers'],
      meters: 'all',
      windowSeconds: 0,
      enabled: true,
      createdAt: 0,
      updatedAt: 0,
    };
    await runner.runNow(plan, { spread: false });
    runner.stop();
    expect(tasks.map((t) => t.meterId)).toEqual([a]);
  });
});
