import type { KnownDeviceProfile, MeterEndpoint } from '@openhes/core';
import type { DriverProfile } from '@openhes/drivers';
import { AcquisitionError, AcquisitionErrorCode } from './errors.ts';

export { formatMeterAddress, type MeterEndpoint } from '@openhes/core';

export function parseMeterAddress(address: string): MeterEndpoint {
  const [hostPort = '', query = ''] = address.split('?', 2);
  const i = hostPort.lastIndexOf(':');
  const port = Number(hostPort.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new AcquisitionError(
      AcquisitionErrorCode.UnknownMeter,
      `meter address '${address}' is not host:port`,
    );
  const q = new URLSearchParams(query);
  const n = (k: string): number | undefined => (q.has(k) ? Number(q.get(k)) : undefined);
  return {
    host: hostPort.slice(0, i),
    port,
    transport: q.get('udp') === '1' ? 'udp' : 'tcp',
    logical: n('logical'),
    physical: n('physical'),
    systemTitle: q.get('st') ?? undefined,
  };
}

/** The device profiles as the meter importer checks them (id → manufacturer). */
export function knownDeviceProfiles(
  profiles: ReadonlyMap<string, DriverProfile>,
): Map<string, KnownDeviceProfile> {
  return new Map([...profiles].map(([id, p]) => [id, { manufacturer: p.meter.manufacturer }]));
}
