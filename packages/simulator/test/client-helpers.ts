import { DlmsClient, type DlmsClientOptions } from '@openhes/transport';
import type { Fleet } from '../src/fleet/fleet.ts';
import { issuedSecrets } from '../src/truth/values.ts';

export const CLIENT_TITLE = Uint8Array.from([0x4f, 0x48, 0x45, 0x53, 0, 0, 0, 1]);

export type Role = 'public' | 'reader' | 'management';
const SAP: Record<Role, number> = { public: 16, reader: 32, management: 48 };

export function clientOptions(fleet: Fleet, meter: number, role: Role, counter = 0): DlmsClientOptions {
  const m = fleet.truth.meter(meter);
  const s = issuedSecrets(m);
  const sap = SAP[role];
  return {
    transport: { kind: 'tcp', ...fleet.endpoint(meter) },
    link:
      m.profile.framing === 'wrapper'
        ? { kind: 'wrapper', clientWPort: sap, serverWPort: m.profile.serverAddress }
        : {
            kind: 'hdlc',
            clientAddress: sap,
            serverAddress: { logical: m.profile.serverAddress },
            maxInfo: 256,
          },
    association: {
      authentication: role === 'public' ? 'none' : role === 'reader' ? 'low' : 'hls-gmac',
      ...(role === 'reader' ? { password: s.password } : {}),
    },
    ...(role === 'management'
      ? {
          security: {
            systemTitle: CLIENT_TITLE,
            ek: s.ek,
            ak: s.ak,
            policy: 'auth+enc' as const,
            invocationCounter: counter,
          },
        }
      : {}),
    responseTimeoutMs: 5000,
  };
}

const counters = new Map<string, number>();

/** Connects with a fresh invocation counter per (fleet, meter) so replays are never refused. */
export async function connect(fleet: Fleet, meter: number, role: Role): Promise<DlmsClient> {
  const key = `${fleet.port}/${meter}`;
  const next = counters.get(key) ?? 1;
  const options = clientOptions(fleet, meter, role, next);
  if (options.security) options.security.onCounter = (n) => counters.set(key, n);
  counters.set(key, next + 1000);
  return DlmsClient.connect(options);
}
