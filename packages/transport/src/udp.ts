import dgram from 'node:dgram';
import type { DlmsError } from '@openhes/dlms';
import type { SocketAccount } from './budget.ts';
import { failureFromErrno, type Transport, TransportFailure, transportError } from './transport.ts';

export interface UdpConnectOptions {
  host: string;
  port: number;
  localAddress?: string;
  inactivityTimeoutMs?: number;
  /** The socket is drawn from this budget (refused with reason 'no-socket' when it is spent). */
  sockets?: SocketAccount;
}

/** A UDP "connection": datagrams to and from one peer. One datagram = one chunk. */
export class UdpTransport implements Transport {
  readonly kind = 'udp' as const;
  private dataListener: ((chunk: Uint8Array) => void) | undefined;
  private closeListener: ((error?: DlmsError) => void) | undefined;
  private pending: Uint8Array[] = [];
  private finished = false;
  private closeError: DlmsError | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly sendTo: (bytes: Uint8Array) => Promise<void>;
  private readonly release: () => void;
  private readonly inactivityMs: number;
  readonly remote: string;
  readonly local: string;

  constructor(opts: {
    remote: string;
    local: string;
    sendTo: (bytes: Uint8Array) => Promise<void>;
    release: () => void;
    inactivityTimeoutMs?: number;
  }) {
    this.remote = opts.remote;
    this.local = opts.local;
    this.sendTo = opts.sendTo;
    this.release = opts.release;
    this.inactivityMs = opts.inactivityTimeoutMs ?? 0;
    this.touch();
  }

  private touch(): void {
    if (this.inactivityMs <= 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.fail(
        transportError(
          TransportFailure.InactivityTimeout,
          `udp ${this.remote}: no traffic for ${this.inactivityMs} ms`,
        ),
      );
    }, this.inactivityMs);
    this.timer.unref();
  }

  /** Called by the owner of the socket for each datagram from this peer. */
  deliver(datagram: Uint8Array): void {
    if (this.finished) return;
    this.touch();
    if (this.dataListener) this.dataListener(datagram);
    else this.pending.push(datagram);
  }

  fail(error?: DlmsError): void {
    if (this.finished) return;
    this.finished = true;
    this.closeError = error;
    clearTimeout(this.timer);
    this.release();
    this.closeListener?.(error);
  }

  get closed(): boolean {
    return this.finished;
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.dataListener = listener;
    const queued = this.pending;
    this.pending = [];
    for (const d of queued) listener(d);
  }

  onClose(listener: (error?: DlmsError) => void): void {
    this.closeListener = listener;
    if (this.finished) listener(this.closeError);
  }

  async send(bytes: Uint8Array): Promise<void> {
    if (this.finished)
      throw this.closeError ?? transportError(TransportFailure.Closed, `udp ${this.remote}: closed`);
    this.touch();
    await this.sendTo(bytes);
  }

  close(): Promise<void> {
    this.fail(undefined);
    return Promise.resolve();
  }
}

function sendWith(socket: dgram.Socket, host: string, port: number, what: string) {
  return (bytes: Uint8Array) =>
    new Promise<void>((resolve, reject) => {
      socket.send(bytes, port, host, (err) => {
        if (err) {
          const e = err as NodeJS.ErrnoException;
          reject(transportError(failureFromErrno(e.code), `udp ${what}: ${e.message}`, e));
        } else resolve();
      });
    });
}

/** Opens a UDP socket bound to an ephemeral port, talking to one peer. */
export function connectUdp(options: UdpConnectOptions): Promise<UdpTransport> {
  const account = options.sockets;
  const lease = account?.budget.tryAcquire(account.use);
  if (account !== undefined && lease === undefined)
    return Promise.reject(
      transportError(
        TransportFailure.NoSocket,
        `udp ${options.host}:${options.port}: no socket left in the ${account.use} share of the process's socket budget`,
      ),
    );
  const socket = dgram.createSocket('udp4');
  if (lease !== undefined) socket.once('close', () => lease.release());
  return new Promise((resolve, reject) => {
    socket.once('error', (err) => {
      try {
        socket.close();
      } catch {
        // not running: nothing to close
      }
      reject(transportError(TransportFailure.Other, `udp: ${err.message}`, err));
    });
    socket.bind({ address: options.localAddress, port: 0 }, () => {
      const a = socket.address();
      const where = `${options.host}:${options.port}`;
      const t = new UdpTransport({
        remote: where,
        local: `${a.address}:${a.port}`,
        sendTo: sendWith(socket, options.host, options.port, where),
        release: () => socket.close(),
        inactivityTimeoutMs: options.inactivityTimeoutMs,
      });
      socket.removeAllListeners('error');
      socket.on('error', (err: NodeJS.ErrnoException) =>
        t.fail(transportError(failureFromErrno(err.code), `udp ${where}: ${err.message}`, err)),
      );
      socket.on('message', (msg, rinfo) => {
        if (rinfo.port !== options.port) return;
        t.deliver(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength).slice());
      });
      resolve(t);
    });
  });
}

export interface UdpServerOptions {
  host?: string;
  port: number;
  /** Forget a peer after this much silence (default 60 s). */
  peerIdleMs?: number;
  /** Peers remembered at once; a datagram from one more peer is dropped. Default no limit. */
  maxPeers?: number;
  /** Told of each datagram dropped because `maxPeers` peers are remembered. */
  onRefused?: (reason: 'max-peers', remote: string) => void;
}

export interface UdpServer {
  readonly port: number;
  readonly host: string;
  readonly peers: number;
  close(): Promise<void>;
}

/** One socket; each distinct peer address:port becomes its own UdpTransport. */
export function listenUdp(options: UdpServerOptions, onPeer: (t: UdpTransport) => void): Promise<UdpServer> {
  const socket = dgram.createSocket('udp4');
  const peers = new Map<string, UdpTransport>();
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.on('message', (msg, rinfo) => {
      const key = `${rinfo.address}:${rinfo.port}`;
      let peer = peers.get(key);
      if (!peer) {
        if (peers.size >= (options.maxPeers ?? Number.POSITIVE_INFINITY)) {
          options.onRefused?.('max-peers', key);
          return;
        }
        const a = socket.address();
        peer = new UdpTransport({
          remote: key,
          local: `${a.address}:${a.port}`,
          sendTo: sendWith(socket, rinfo.address, rinfo.port, key),
          release: () => peers.delete(key),
          inactivityTimeoutMs: options.peerIdleMs ?? 60_000,
        });
        peers.set(key, peer);
        onPeer(peer);
      }
      peer.deliver(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength).slice());
    });
    socket.bind({ address: options.host ?? '127.0.0.1', port: options.port }, () => {
      socket.off('error', reject);
      const a = socket.address();
      resolve({
        port: a.port,
        host: a.address,
        get peers() {
          return peers.size;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const p of [...peers.values()]) p.fail(undefined);
            socket.close(() => done());
          }),
      });
    });
  });
}
