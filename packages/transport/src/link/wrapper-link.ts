import { DlmsError, DlmsErrorCode, encodeWrapperPdu, WrapperDeframer, type WrapperPdu } from '@openhes/dlms';
import type { Transport } from '../transport.ts';
import { LinkBase } from './base.ts';
import type { ApduLink, FrameTraceHook, LinkAddress, LinkRole } from './types.ts';

export interface WrapperLinkOptions {
  role: LinkRole;
  /** Client wPort (client SAP); default 16, the public client. Server: absent = any. */
  clientWPort?: number;
  /** Server wPort (logical device); default 1, the management logical device. Server: absent = any. */
  serverWPort?: number;
  trace?: FrameTraceHook;
}

/**
 * The TCP/UDP wrapper (IEC 62056-47) as an APDU link. Over TCP PDUs may arrive in any
 * chunking; over UDP each datagram carries whole PDUs, so the deframer restarts per datagram.
 * A client accepts only PDUs from its server wPort to its client wPort; a server answers the
 * wPorts of the last request.
 */
export class WrapperLink extends LinkBase implements ApduLink {
  readonly kind = 'wrapper' as const;
  protected readonly progressUnit = 'data';
  private readonly deframer = new WrapperDeframer();
  private readonly clientWPort: number | undefined;
  private readonly serverWPort: number | undefined;
  private lastPeer: LinkAddress | undefined;

  constructor(transport: Transport, options: WrapperLinkOptions) {
    super(transport, options.role, options.trace);
    const client = options.role === 'client';
    this.clientWPort = options.clientWPort ?? (client ? 16 : undefined);
    this.serverWPort = options.serverWPort ?? (client ? 1 : undefined);
    transport.onData((chunk) => this.receive(chunk));
  }

  open(): Promise<void> {
    return this.closed ? Promise.reject(this.closedError()) : Promise.resolve();
  }

  sendApdu(apdu: Uint8Array, to?: LinkAddress): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError());
    const peer = to ?? this.lastPeer;
    let pdu: WrapperPdu;
    if (this.role === 'client') {
      pdu = { source: this.clientWPort!, destination: this.serverWPort!, apdu };
    } else {
      const client = peer?.client ?? this.clientWPort;
      const server = peer?.server ?? this.serverWPort;
      if (client === undefined || server === undefined) {
        return Promise.reject(
          new DlmsError(DlmsErrorCode.Protocol, 'wrapper server: no peer wPort to answer'),
        );
      }
      pdu = { source: server, destination: client, apdu };
    }
    return this.write([encodeWrapperPdu(pdu)]);
  }

  noResponse(): void {}

  close(): Promise<void> {
    this.end(undefined);
    return Promise.resolve();
  }

  private receive(chunk: Uint8Array): void {
    // One PDU per response, but over TCP it may come in many chunks: any byte is progress
    // (nextApdu's `maxMs` bounds a peer that dribbles).
    if (chunk.length > 0) this.progress();
    const events = this.deframer.push(chunk);
    if (this.transport.kind === 'udp' && this.deframer.buffered > 0) {
      this.deframer.reset();
      this.emit({
        type: 'warning',
        error: new DlmsError(DlmsErrorCode.Truncated, 'UDP datagram ends inside a wrapper PDU'),
      });
    }
    for (const e of events) {
      if (e.type === 'error') {
        this.emit({ type: 'warning', error: e.error });
        continue;
      }
      const { pdu } = e;
      if (this.trace) this.traceFrame('in', encodeWrapperPdu(pdu));
      const from: LinkAddress =
        this.role === 'client'
          ? { client: pdu.destination, server: pdu.source }
          : { client: pdu.source, server: pdu.destination };
      if (!this.accepts(from)) {
        this.emit({
          type: 'warning',
          error: new DlmsError(
            DlmsErrorCode.Protocol,
            `wrapper PDU ${pdu.source}→${pdu.destination} is not for this link; dropped`,
          ),
        });
        continue;
      }
      if (this.role === 'server') this.lastPeer = from;
      this.deliver(pdu.apdu, from);
    }
  }

  private accepts(a: LinkAddress): boolean {
    return (
      (this.clientWPort === undefined || a.client === this.clientWPort) &&
      (this.serverWPort === undefined || a.server === this.serverWPort)
    );
  }
}
