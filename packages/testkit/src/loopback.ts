import {
  type ClientLinkOptions,
  DlmsClient,
  type DlmsClientOptions,
  type DlmsServer,
  serveDlms,
} from '@openhes/transport';
import { AK, CLIENT_TITLE, EK, PASSWORD, servedBy, TestMeter } from './meters.ts';

/** Closers a test runs after each case (newest first). */
export type Cleanups = Array<() => Promise<void>>;

export type LoopbackKind = 'tcp' | 'udp';
export type LoopbackLink = 'wrapper' | 'hdlc';
export type LoopbackAuth = 'none' | 'low' | 'hls-gmac';

/** Every transport × link × authentication the loopback test meter serves. */
export const LOOPBACK_COMBOS: ReadonlyArray<[LoopbackKind, LoopbackLink, LoopbackAuth]> = (() => {
  const out: Array<[LoopbackKind, LoopbackLink, LoopbackAuth]> = [];
  for (const t of ['tcp', 'udp'] as const)
    for (const l of ['wrapper', 'hdlc'] as const)
      for (const a of ['none', 'low', 'hls-gmac'] as const) out.push([t, l, a]);
  return out;
})();

/** A fresh TestMeter served on a free loopback port; closed by `cleanups`. */
export async function startTestMeter(
  transport: LoopbackKind,
  link: LoopbackLink,
  cleanups: Cleanups,
): Promise<{ server: DlmsServer; meter: TestMeter }> {
  const meter = new TestMeter();
  const server = await serveDlms({
    transport,
    port: 0,
    link: link === 'wrapper' ? { kind: 'wrapper' } : { kind: 'hdlc', maxInfo: 512, window: 1 },
    sessionFor: () => servedBy(meter),
  });
  cleanups.push(() => server.close());
  return { server, meter };
}

const SAP: Record<LoopbackAuth, number> = { none: 16, low: 32, 'hls-gmac': 1 };

/** Client options matching the test meter's associations for one authentication. */
export function testClientOptions(
  transport: LoopbackKind,
  port: number,
  link: LoopbackLink,
  auth: LoopbackAuth,
): DlmsClientOptions {
  const linkOptions: ClientLinkOptions =
    link === 'wrapper'
      ? { kind: 'wrapper', clientWPort: SAP[auth], serverWPort: 1 }
      : { kind: 'hdlc', clientAddress: SAP[auth], serverAddress: { logical: 1, physical: 17 }, maxInfo: 256 };
  return {
    transport: { kind: transport, host: '127.0.0.1', port },
    link: linkOptions,
    association: {
      authentication: auth,
      ...(auth === 'low' ? { password: PASSWORD } : {}),
    },
    ...(auth === 'hls-gmac'
      ? { security: { systemTitle: CLIENT_TITLE, ek: EK, ak: AK, policy: 'auth+enc' as const } }
      : {}),
    responseTimeoutMs: 5000,
  };
}

/** A connected client, closed by `cleanups`. */
export async function connectTestClient(options: DlmsClientOptions, cleanups: Cleanups): Promise<DlmsClient> {
  const client = await DlmsClient.connect(options);
  cleanups.push(() => client.close());
  return client;
}
