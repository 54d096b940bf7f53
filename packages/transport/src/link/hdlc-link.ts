import {
  DlmsError,
  DlmsErrorCode,
  type HdlcAddress,
  HdlcConnection,
  HdlcDeframer,
  type HdlcEvent,
  type HdlcFrame,
  type HdlcParameters,
  type HdlcStep,
  clientAddress as hdlcClientAddress,
  serverAddress as hdlcServerAddress,
  type ServerAddressInput,
  sameHdlcAddress,
} from '@openhes/dlms';
import { type Transport, TransportFailure, transportError } from '../transport.ts';
import { LinkBase, responseTimeout } from './base.ts';
import type { ApduLink, FrameTraceHook, LinkAddress, LinkRole } from './types.ts';

/** Timer expiries in a row (after the first) before a client link gives up. */
export const HDLC_DEFAULT_MAX_RETRIES = 3;

export interface HdlcLinkOptions {
  role: LinkRole;
  /** Client SAP; required for a client (16 = public client). Server: absent = any client. */
  clientAddress?: number;
  /** Required for a client. Server: absent = bind to the address of the first frame received. */
  serverAddress?: ServerAddressInput;
  /** Largest information field we send and accept (SNRM proposal); default 128. */
  maxInfo?: number;
  /** Window size we propose; default 1. */
  window?: number;
  /**
   * Client: how long to wait for a frame with F before resending or polling again; default
   * 3000 ms. Distinct from the wait for a whole APDU (`nextApdu`), which every frame re-arms.
   */
  responseTimeoutMs?: number;
  /** Client: timeouts in a row before the link fails with a Timeout error; default 3. */
  maxRetries?: number;
  trace?: FrameTraceHook;
}

interface Pending {
  resolve: () => void;
  reject: (e: DlmsError) => void;
}

/**
 * HDLC (IEC 62056-46) over a byte stream (a meter behind a terminal server, an optical probe
 * bridge, our simulator). Drives the pure HdlcConnection: frames in through the deframer,
 * its steps out to the transport, its response timer on setTimeout.
 */
export class HdlcLink extends LinkBase implements ApduLink {
  readonly kind = 'hdlc' as const;
  protected readonly progressUnit = 'frame';
  private readonly deframer = new HdlcDeframer();
  private connection: HdlcConnection | undefined;
  /** The server address of the connection and, for a client, our own (client SAP). */
  private stations: { server: HdlcAddress; client: HdlcAddress | undefined } | undefined;
  private readonly options: HdlcLinkOptions;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private timer: NodeJS.Timeout | undefined;
  private opening: Pending | undefined;
  private closing: Pending | undefined;
  private linkError: DlmsError | undefined;
  private from: LinkAddress = { client: -1, server: -1 };

  constructor(transport: Transport, options: HdlcLinkOptions) {
    super(transport, options.role, options.trace);
    this.options = options;
    this.timeoutMs = options.responseTimeoutMs ?? 3000;
    this.maxRetries = options.maxRetries ?? HDLC_DEFAULT_MAX_RETRIES;
    if (options.role === 'client' || options.serverAddress !== undefined) {
      this.connection = this.newConnection(options.serverAddress);
    }
    transport.onData((chunk) => this.receive(chunk));
  }

  /** The negotiated parameters (after open) from our side. */
  get parameters(): HdlcParameters | undefined {
    return this.connection?.parameters;
  }

  private newConnection(serverAddress: ServerAddressInput | undefined): HdlcConnection {
    const { maxInfo, window } = this.options;
    const parameters: Partial<HdlcParameters> = {
      ...(maxInfo === undefined ? {} : { maxInfoTransmit: maxInfo, maxInfoReceive: maxInfo }),
      ...(window === undefined ? {} : { windowTransmit: window, windowReceive: window }),
    };
    if (serverAddress === undefined) {
      throw new DlmsError(DlmsErrorCode.Encode, 'an HDLC client link needs a server address');
    }
    const client = this.options.clientAddress;
    this.stations = {
      server: hdlcServerAddress(serverAddress),
      client: client === undefined ? undefined : hdlcClientAddress(client),
    };
    return new HdlcConnection({
      role: this.role,
      ...(client === undefined ? {} : { clientAddress: client }),
      serverAddress,
      parameters,
      maxRetries: this.maxRetries,
    });
  }

  open(): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError());
    if (this.role === 'server') return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.opening = { resolve, reject };
      this.run(this.connection!.connect());
    });
  }

  sendApdu(apdu: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError());
    if (!this.connection) {
      return Promise.reject(new DlmsError(DlmsErrorCode.Link, 'HDLC server link has no connection yet'));
    }
    return this.apply(this.connection.sendApdu(apdu));
  }

  noResponse(): void {
    if (this.connection && !this.closed) this.run(this.connection.releasePoll());
  }

  async close(options: { disconnect?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    const c = this.connection;
    if (options.disconnect !== false && this.role === 'client' && c && c.state === 'connected') {
      try {
        await new Promise<void>((resolve, reject) => {
          this.closing = { resolve, reject };
          this.run(c.disconnect());
        });
      } catch {
        // The link ends either way; a DISC without UA is not worth an error on close.
      }
    }
    this.end(undefined);
    await this.transport.close();
  }

  protected override onEnd(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const e = this.closedError();
    this.opening?.reject(e);
    this.opening = undefined;
    this.closing?.resolve();
    this.closing = undefined;
  }

  private receive(chunk: Uint8Array): void {
    for (const e of this.deframer.push(chunk)) {
      if (e.type === 'error') {
        this.emit({ type: 'warning', error: e.error });
        continue;
      }
      this.traceFrame('in', e.bytes);
      // Each segment, RR or RNR of the peer re-arms the response wait; bytes that do not make
      // a valid frame, or frames between other stations, do not.
      if (this.fromPeer(e.frame)) this.progress();
      this.from = addressOf(e.frame, this.role);
      if (!this.connection) this.bind(e.frame);
      if (this.connection && !this.closed) this.run(this.connection.receive(e.frame));
    }
  }

  /** Client: from our server to our SAP. Server: to our address (or any, before we are bound). */
  private fromPeer(frame: HdlcFrame): boolean {
    const s = this.stations;
    if (!s) return this.role === 'server';
    if (this.role === 'server') return sameHdlcAddress(frame.destination, s.server);
    return (
      sameHdlcAddress(frame.source, s.server) &&
      (s.client === undefined || sameHdlcAddress(frame.destination, s.client))
    );
  }

  /** Server without a fixed address: serve the logical device the first frame addresses. */
  private bind(frame: HdlcFrame): void {
    const d = frame.destination;
    this.connection = this.newConnection(
      d.physical === undefined
        ? { logical: d.logical, size: d.size }
        : { logical: d.logical, physical: d.physical, size: d.size },
    );
  }

  private onTimer(): void {
    this.timer = undefined;
    if (!this.connection || this.closed) return;
    this.run(this.connection.onTimeout(), true);
  }

  /** Applies a step nobody awaits; a failed write has already ended the link. */
  private run(step: HdlcStep, fromTimer = false): void {
    this.apply(step, fromTimer).catch(() => {});
  }

  private apply(step: HdlcStep, fromTimer = false): Promise<void> {
    const written = step.send.length > 0 ? this.write(step.send) : Promise.resolve();
    if (step.timer === 'stop' || step.timer === 'start') {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (step.timer === 'start' && !this.closed) {
      this.timer = setTimeout(() => this.onTimer(), this.timeoutMs);
    }
    for (const e of step.events) this.onHdlcEvent(e, fromTimer);
    return written;
  }

  private onHdlcEvent(e: HdlcEvent, fromTimer: boolean): void {
    switch (e.type) {
      case 'connected':
        this.opening?.resolve();
        this.opening = undefined;
        return;
      case 'apdu':
        this.deliver(e.apdu, this.from);
        return;
      case 'error':
        if (e.error.code === DlmsErrorCode.Link) {
          this.linkError = fromTimer
            ? responseTimeout(
                `hdlc ${this.transport.remote}`,
                this.timeoutMs,
                `no frame from the ${this.peerName} in ${this.maxRetries + 1} polls, each`,
              )
            : e.error;
        } else this.emit({ type: 'warning', error: e.error });
        return;
      case 'disconnected':
        this.onDisconnected(e.reason);
        return;
    }
  }

  private onDisconnected(reason: 'local' | 'peer' | 'refused' | 'failed'): void {
    if (reason === 'local') {
      this.closing?.resolve();
      this.closing = undefined;
      return;
    }
    if (this.role === 'server' && reason === 'peer') {
      this.emit({ type: 'disconnected' });
      return;
    }
    const error =
      this.linkError ??
      (reason === 'refused'
        ? new DlmsError(DlmsErrorCode.Link, 'HDLC connection refused (DM)')
        : transportError(TransportFailure.Closed, `hdlc ${this.transport.remote}: link lost (${reason})`));
    this.linkError = undefined;
    this.end(error);
  }
}

function addressOf(frame: HdlcFrame, role: LinkRole): LinkAddress {
  const server = role === 'server' ? frame.destination : frame.source;
  const client = role === 'server' ? frame.source : frame.destination;
  return server.physical === undefined
    ? { client: client.logical, server: server.logical }
    : { client: client.logical, server: server.logical, physical: server.physical };
}
