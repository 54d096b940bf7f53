import {
  type AuditStore,
  type Clock,
  isCodedError,
  type KnownDeviceProfile,
  type Meter,
  type MeterEndpoint,
  type MeterHealthStore,
  type MeterRecordProblem,
  type MeterStore,
  meterRecordProblem,
  parseDlmsAddress,
} from '@openhes/core';
import type { DriverProfile } from '@openhes/drivers';
import { AcquisitionError, AcquisitionErrorCode } from './errors.ts';

export { formatMeterAddress, type MeterEndpoint } from '@openhes/core';

/**
 * A stored meter address as the drivers dial it (core's parseDlmsAddress, the rule the import
 * checks); an address no driver can use throws ACQ_METER_RECORD_INVALID naming it.
 */
export function parseMeterAddress(address: string): MeterEndpoint {
  try {
    return parseDlmsAddress(address);
  } catch (e) {
    if (!isCodedError(e)) throw e;
    throw new AcquisitionError(AcquisitionErrorCode.MeterRecordInvalid, `address: ${e.message}`, {
      detail: { field: 'address', reason: e.code },
    });
  }
}

/**
 * A stored meter checked by the import's rule (`meterRecordProblem`) before any session: the
 * endpoint to dial, or ACQ_METER_RECORD_INVALID naming the field and the cause
 * (`detail.reason`: IMPORT_BAD_ADDRESS, IMPORT_NO_DRIVER, IMPORT_UNKNOWN_PROFILE), never a
 * transport error seconds later nor ACQ_UNKNOWN_METER (kept for a meter that does not exist).
 */
export function usableMeterEndpoint(meter: Meter, profiles: ReadonlyMap<string, unknown>): MeterEndpoint {
  const problem = meterRecordProblem(meter, { profiles: new Set(profiles.keys()) });
  if (problem !== undefined)
    throw new AcquisitionError(
      AcquisitionErrorCode.MeterRecordInvalid,
      `meter ${meter.id}: ${problem.message}`,
      {
        detail: { meterId: meter.id, field: problem.field, reason: problem.code },
      },
    );
  return parseMeterAddress(meter.address);
}

/** The device profiles as the meter importer checks them (id → manufacturer). */
export function knownDeviceProfiles(
  profiles: ReadonlyMap<string, DriverProfile>,
): Map<string, KnownDeviceProfile> {
  return new Map([...profiles].map(([id, p]) => [id, { manufacturer: p.meter.manufacturer }]));
}

/** A stored meter that no driver can use, and why. */
export interface UnusableMeter {
  meter: Meter;
  problem: MeterRecordProblem;
}

export interface UnusableMeterPorts {
  meters: Pick<MeterStore, 'list'>;
  health: MeterHealthStore;
  audit: Pick<AuditStore, 'append'>;
  clock: Clock;
}

/** How long a meter with an unusable record is flagged; the collector looks again after it. */
export const UNUSABLE_FLAG_MS = 3_600_000;

/**
 * Checks every stored meter (decommissioned ones aside) against the import's rule
 * (`meterRecordProblem`: protocol with a driver, dialable address, known device profile) and
 * flags each one that fails in the health store, so the collectors skip its scheduled reads,
 * with one audit entry `meter.record-invalid` per meter not already flagged for it (a restart
 * does not repeat them); a meter flagged for its record that has been fixed since is unflagged.
 * Records written before the import checked them, or by SQL, end here
 * instead of stopping the head end. Returns them for the caller to report.
 */
export async function flagUnusableMeters(
  ports: UnusableMeterPorts,
  profiles: ReadonlyMap<string, DriverProfile>,
): Promise<UnusableMeter[]> {
  const known = knownDeviceProfiles(profiles);
  const found: UnusableMeter[] = [];
  let cursor: string | null = null;
  do {
    const page = await ports.meters.list({ limit: 5000, cursor });
    for (const meter of page.items) {
      if (meter.status === 'decommissioned') continue;
      const problem = meterRecordProblem(meter, { profiles: known });
      if (problem !== undefined) found.push({ meter, problem });
    }
    cursor = page.nextCursor;
  } while (cursor !== null);
  const now = ports.clock.now();
  for (const { meter, problem } of found) {
    const before = await ports.health.get(meter.id);
    await ports.health.put({
      meterId: meter.id,
      failures: before?.failures ?? 0,
      flaggedUntil: now + UNUSABLE_FLAG_MS,
      lastSuccessAt: before?.lastSuccessAt ?? null,
      lastFailureAt: now,
      lastError: AcquisitionErrorCode.MeterRecordInvalid,
    });
    if (before?.lastError === AcquisitionErrorCode.MeterRecordInvalid) continue;
    await ports.audit.append({
      actor: 'acquisition',
      action: 'meter.record-invalid',
      target: `meter:${meter.id}`,
      outcome: 'failed',
      detail: { serial: meter.serial, field: problem.field, code: problem.code, message: problem.message },
    });
  }
  // Records fixed since they were flagged for it are let go (the collector would wait an hour).
  const bad = new Set(found.map((u) => u.meter.id));
  for (const h of await ports.health.flagged(now)) {
    if (h.lastError !== AcquisitionErrorCode.MeterRecordInvalid || bad.has(h.meterId)) continue;
    await ports.health.put({
      meterId: h.meterId,
      failures: 0,
      flaggedUntil: null,
      lastSuccessAt: h.lastSuccessAt,
      lastFailureAt: h.lastFailureAt,
      lastError: null,
    });
  }
  return found;
}
