import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  importMeters,
  type MeterImportResult,
  parseMeterList,
  type SecretVault,
  type Store,
} from '@openhes/core';
import {
  CipheredApduTag,
  cipherApdu,
  dataNotification,
  dateTimeToOctets,
  encodeXdlmsApdu,
  fromHex,
} from '@openhes/dlms';
import { loadDriverProfiles, meterDateTime } from '@openhes/drivers';
import type { MeterRecord } from '@openhes/simulator';
import { createSecretVault, loadMasterKey, openStore } from '@openhes/storage';
import {
  type Collector,
  createCollector,
  knownDeviceProfiles,
  MeterAccess,
  type MeterAccessOptions,
} from '../src/index.ts';

export const PROFILES = loadDriverProfiles();

/** Imports a meter list (the simulator's export) as `hes meters import` does: meters active, keys in the vault. */
export function importFleet(
  store: Pick<Store, 'meters' | 'keys'>,
  vault: SecretVault,
  list: string,
): Promise<MeterImportResult> {
  return importMeters({ meters: store.meters, vault: vault }, parseMeterList(list), {
    profiles: knownDeviceProfiles(PROFILES),
    defaultStatus: 'active',
    allOrNothing: true,
  });
}

/** A SQLite store and key vault in a fresh directory, with meter access and a collector that does not sleep. */
export interface AcquisitionHarness {
  dir: string;
  store: Store;
  vault: SecretVault;
  access: MeterAccess;
  collector: Collector;
  close(): Promise<void>;
}

export async function openHarness(
  prefix: string,
  access: MeterAccessOptions = { responseTimeoutMs: 5000, connectTimeoutMs: 2000 },
): Promise<AcquisitionHarness> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const store = await openStore({ kind: 'sqlite', path: join(dir, 'hes.db'), durability: 'normal' });
  const vault = createSecretVault(store.keys, loadMasterKey(dir, {}));
  const meterAccess = new MeterAccess(store, vault, PROFILES, access);
  return {
    dir,
    store,
    vault,
    access: meterAccess,
    collector: createCollector(store, meterAccess, { sleep: async () => {} }),
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The alarm DataNotification an IS 15959 meter pushes (serial, push setup, time, alarm bits),
 * in plaintext; `alarmBits` lists the alarm numbers set in its 128-bit string.
 */
export function alarmNotification(
  rec: MeterRecord,
  at: number,
  alarmBits: readonly number[] = [],
  invokeId = 2,
) {
  const profile = PROFILES.get(rec.profile)!;
  const bits = new Uint8Array(16);
  for (const b of alarmBits) bits[b >> 3] = (bits[b >> 3] ?? 0) | (0x80 >> (b & 7));
  return encodeXdlmsApdu(
    dataNotification({
      longInvokeIdAndPriority: invokeId,
      notificationBody: {
        type: 'structure',
        value: [
          { type: 'visible-string', value: rec.serial },
          { type: 'octet-string', value: Uint8Array.from([0, 4, 25, 9, 0, 255]) },
          { type: 'octet-string', value: dateTimeToOctets(meterDateTime(at, profile)) },
          { type: 'bit-string', value: { length: 128, bytes: bits } },
        ],
      },
    }),
  );
}

/** A plaintext APDU ciphered as the meter would (general-glo, auth+enc) with a chosen counter. */
export function cipheredByMeter(
  rec: MeterRecord,
  plaintext: Uint8Array,
  invocationCounter: number,
): Uint8Array {
  return cipherApdu({
    tag: CipheredApduTag.generalGloCiphering,
    securityControl: 0x30,
    systemTitle: fromHex(rec.systemTitle),
    invocationCounter,
    plaintext,
    keys: { ek: fromHex(rec.ek), ak: fromHex(rec.ak) },
  });
}
