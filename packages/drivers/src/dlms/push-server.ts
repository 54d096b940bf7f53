import {
  listenTcp,
  listenUdp,
  type TcpServer,
  type Transport,
  type UdpServer,
  WrapperLink,
} from '@openhes/transport';

/*
 * The wrapper TCP and UDP listeners for meter-initiated pushes; what a push says is decoded
 * by push-receive.ts.
 */

export interface PushServerOptions {
  host?: string;
  /** TCP port; 0 = any free port; undefined = no TCP listener. */
  tcpPort?: number;
  udpPort?: number;
}

export interface PushServer {
  readonly tcpPort: number | undefined;
  readonly udpPort: number | undefined;
  close(): Promise<void>;
}

/**
 * TCP and UDP wrapper listeners for meter-initiated notifications: `onApdu` gets each APDU
 * with the sender's host (IPv4-mapped addresses unmapped) and its full remote address.
 */
export async function listenForPushes(
  options: PushServerOptions,
  onApdu: (apdu: Uint8Array, fromHost: string, remote: string) => void,
): Promise<PushServer> {
  const attach = (t: Transport): void => {
    const host = t.remote.slice(0, t.remote.lastIndexOf(':')).replace(/^::ffff:/, '');
    const link = new WrapperLink(t, { role: 'server' });
    link.onEvent(() => {});
    link.onClose(() => {});
    link.onApdu((apdu) => {
      link.noResponse();
      onApdu(apdu, host, t.remote);
    });
  };
  const host = options.host ?? '127.0.0.1';
  let tcp: TcpServer | undefined;
  let udp: UdpServer | undefined;
  if (options.tcpPort !== undefined)
    tcp = await listenTcp({ host, port: options.tcpPort, inactivityTimeoutMs: 60_000 }, attach);
  if (options.udpPort !== undefined)
    udp = await listenUdp({ host, port: options.udpPort, peerIdleMs: 30_000 }, attach);
  return {
    tcpPort: tcp?.port,
    udpPort: udp?.port,
    close: async () => {
      await Promise.all([tcp?.close(), udp?.close()]);
    },
  };
}
