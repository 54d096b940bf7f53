import { toHex } from '@openhes/dlms';
import type { DeviceProfile } from '../profiles.ts';
import { issuedSecrets, serialOf, systemTitleOf } from '../truth/values.ts';
import type { Fleet } from './fleet.ts';
import { PUSH_CLIENT_SAP } from './push.ts';

/** What a head end needs to reach one simulated meter. */
export interface MeterRecord {
  id: number;
  serial: string;
  host: string;
  port: number;
  framing: 'hdlc' | 'wrapper';
  serverAddress: number;
  profile: string;
  loadClass: string;
  role: 'consumer' | 'transformer';
  transformer: number;
  feeder: number;
  systemTitle: string;
  password: string;
  ek: string;
  ak: string;
  kek: string;
  /**
   * The associations the meter offers, `key:clientSap:authentication:policy` joined by `;`
   * (e.g. `management:48:hls-gmac:auth+enc`). The password is the LLS secret, EK/AK the global
   * unicast keys of HLS-GMAC and of the ciphered policies; security suite 0.
   */
  associations: string;
  securitySuite: number;
  /**
   * How pushes arrive, `style:policy` per distinct protection (`general-glo:auth+enc`), `none`
   * in clear. Pushes are wrapper PDUs over TCP or UDP from wPort `serverAddress` to the push
   * client wPort `pushClientSap`, from the meter's own address, ciphered under EK/AK and carrying
   * the system title.
   */
  pushProtection: string;
  pushClientSap: number;
  /**
   * The sign of the deviation field in the meter's date-time values (clock, capture times,
   * profile stamps): `utc-minus-local` as the Blue Book defines it (an IST meter writes −330),
   * or `local-minus-utc` as many IS 15959 meters write it (+330). The profile's
   * quirks.deviationLocalMinusUtc.
   */
  deviationConvention: 'utc-minus-local' | 'local-minus-utc';
}

function associationsOf(p: DeviceProfile): string {
  return p.associations.map((a) => `${a.key}:${a.clientSap}:${a.authentication}:${a.policy}`).join(';');
}

function pushProtectionOf(p: DeviceProfile): string {
  const kinds = new Set<string>();
  for (const o of p.objects) {
    if (o.push === undefined) continue;
    const pr = o.push.protection;
    kinds.add(pr === undefined ? 'none' : `${pr.style}:${pr.policy}`);
  }
  return [...kinds].join(';') || 'none';
}

export function meterRecord(fleet: Fleet, index: number): MeterRecord {
  const m = fleet.truth.identity(index);
  const s = issuedSecrets(m);
  const at = fleet.endpoint(index);
  return {
    id: index,
    serial: serialOf(m),
    host: at.host,
    port: at.port,
    framing: m.profile.framing,
    serverAddress: m.profile.serverAddress,
    profile: m.profile.id,
    loadClass: m.place.loadClass,
    role: m.place.role,
    transformer: m.place.transformer,
    feeder: m.place.feeder,
    systemTitle: toHex(systemTitleOf(m)),
    password: s.password,
    ek: toHex(s.ek),
    ak: toHex(s.ak),
    kek: toHex(s.kek),
    associations: associationsOf(m.profile),
    securitySuite: 0,
    pushProtection: pushProtectionOf(m.profile),
    pushClientSap: PUSH_CLIENT_SAP,
    deviationConvention:
      m.profile.quirks.deviationLocalMinusUtc === true ? 'local-minus-utc' : 'utc-minus-local',
  };
}

const COLUMNS: (keyof MeterRecord)[] = [
  'id',
  'serial',
  'host',
  'port',
  'framing',
  'serverAddress',
  'profile',
  'loadClass',
  'role',
  'transformer',
  'feeder',
  'systemTitle',
  'password',
  'ek',
  'ak',
  'kek',
  'associations',
  'securitySuite',
  'pushProtection',
  'pushClientSap',
  'deviationConvention',
];

/** The meter list as CSV (header + one line per meter) or JSON lines, streamed in chunks. */
export function* exportMeters(fleet: Fleet, format: 'csv' | 'json'): Generator<string> {
  if (format === 'csv') yield `${COLUMNS.join(',')}\n`;
  else yield '[\n';
  let chunk: string[] = [];
  for (let i = 0; i < fleet.size; i++) {
    const r = meterRecord(fleet, i);
    chunk.push(
      format === 'csv'
        ? COLUMNS.map((c) => String(r[c])).join(',')
        : `  ${JSON.stringify(r)}${i < fleet.size - 1 ? ',' : ''}`,
    );
    if (chunk.length === 1000) {
      yield `${chunk.join('\n')}\n`;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield `${chunk.join('\n')}\n`;
  if (format === 'json') yield ']\n';
}
