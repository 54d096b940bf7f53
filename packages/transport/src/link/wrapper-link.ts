import {
  DlmsError,
  DlmsErrorCode,
  encodeWrapperPdu,
  WRAPPER_HEADER_LENGTH,
  WrapperDeframer,
  type WrapperPdu,
} from '@openhes/dlms';
import { type Transport, TransportFailure, transportError } from '../transport.ts';
import { LinkBase } from './base.ts';
import type { ApduLink, FrameTraceHook, LinkAddress, LinkRole } from './types.ts';

export interface WrapperLinkOptions {
  role: LinkRole;
  /** Client wPort (client SAP); default 16, the public client. Server: absent = any. */
  clientWPort?: number;
  /** Server wPort (logical device); default 1, the management logical device. Server: absent = any. */
  serverWPort?: number;
  trace?: FrameTraceHook;
  /**
   * Largest APDU a header may declare (the peers' maximum PDU size); default 0xFFFF. Bytes
   * held for one connection stay within about twice the header plus this.
   */
  maxApduLength?: number;
  /**
   * A PDU must arrive whole within this many ms of its first byte, however steadily its
   * bytes come; else the link ends with a Timeout (reason 'pdu-timeout'). Default none.
   */
  pduDeadlineMs?: number;
  /**
   * What a framing error does (a header of another version, or declaring more than
   * `maxApduLength`): 'warn' (default) emits a warning and resynchronises; 'close' ends the
   * link at once with a Malformed error whose `detail.reason` is 'pdu-too-large' or
   * 'malformed' (a listener open to strangers: refuse, do not hunt for alignment).
   */
  onFramingError?: 'warn' | 'close';
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
  private deframer: WrapperDeframer;
  private readonly clientWPort: number | undefined;
  private readonly serverWPort: number | undefined;
  private readonly maxApduLength: number | undefined;
  /** Bytes fed to the deframer at once: bounds what it copies into its own buffer. */
  private readonly slice: number;
  private readonly pduDeadlineMs: number;
  private readonly closeOnFramingError: boolean;
  /** Ends the link when the PDU under way is not whole in time; set while one is. */
  private pduTimer: NodeJS.Timeout | undefined;
  private lastPeer: LinkAddress | undefined;

  constructor(transport: Transport, options: WrapperLinkOptions) {
    super(transport, options.role, options.trace);
    const client = options.role === 'client';
    this.clientWPort = options.clientWPort ?? (client ? 16 : undefined);
    this.serverWPort = options.serverWPort ?? (client ? 1 : undefined);
    this.maxApduLength = options.maxApduLength;
    this.slice =
      options.maxApduLength === undefined
        ? Number.POSITIVE_INFINITY
        : WRAPPER_HEADER_LENGTH + options.maxApduLength;
    this.pduDeadlineMs = options.pduDeadlineMs ?? 0;
    this.closeOnFramingError = options.onFramingError === 'close';
    this.deframer = this.newDeframer();
    transport.onData((chunk) => this.receive(chunk));
  }

  private newDeframer(): WrapperDeframer {
    return new WrapperDeframer(this.maxApduLength === undefined ? {} : { maxApduLength: this.maxApduLength });
  }

  /** Bytes of an incomplete PDU held for this link. */
  get buffered(): number {
    return this.deframer.buffered;
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

  protected override onEnd(): void {
    clearTimeout(this.pduTimer);
    this.pduTimer = undefined;
    // Whatever a peer left half-sent is let go with the link.
    this.deframer = this.newDeframer();
  }

  private receive(chunk: Uint8Array): void {
    if (this.closed) return;
    // One PDU per response, but over TCP it may come in many chunks: any byte is progress
    // (nextApdu's `maxMs` bounds a peer that dribbles).
    if (chunk.length > 0) this.progress();
    const held = this.deframer.buffered > 0;
    let completed = false;
    for (let at = 0; at < chunk.length && !this.closed; at += this.slice) {
      const part = this.slice >= chunk.length ? chunk : chunk.subarray(at, at + this.slice);
      completed = this.take(this.deframer.push(part)) || completed;
    }
    if (this.closed) return;
    if (this.transport.kind === 'udp' && this.deframer.buffered > 0) {
      this.deframer.reset();
      this.emit({
        type: 'warning',
        error: new DlmsError(DlmsErrorCode.Truncated, 'UDP datagram ends inside a wrapper PDU'),
      });
    }
    this.watchPdu(completed);
    // A bounded link gives back the buffer a PDU needed once it is delivered.
    if (held && this.maxApduLength !== undefined && this.deframer.buffered === 0)
      this.deframer = this.newDeframer();
  }

  /**
   * The whole-PDU deadline: armed at the first byte of a PDU, re-armed when a PDU completed
   * and the next one began in the same chunk, dropped when nothing is left half-received.
   */
  private watchPdu(completed: boolean): void {
    if (this.pduDeadlineMs <= 0) return;
    if (this.deframer.buffered === 0) {
      clearTimeout(this.pduTimer);
      this.pduTimer = undefined;
      return;
    }
    if (this.pduTimer !== undefined && !completed) return;
    clearTimeout(this.pduTimer);
    this.pduTimer = setTimeout(() => {
      this.pduTimer = undefined;
      this.end(
        transportError(
          TransportFailure.PduTimeout,
          `wrapper ${this.transport.remote}: PDU not whole within ${this.pduDeadlineMs} ms of its first byte`,
        ),
      );
    }, this.pduDeadlineMs);
    this.pduTimer.unref();
  }

  /** Delivers the PDUs of one deframer step; true when at least one PDU was whole. */
  private take(events: ReturnType<WrapperDeframer['push']>): boolean {
    let completed = false;
    for (const e of events) {
      if (this.closed) break;
      if (e.type === 'error') {
        if (this.closeOnFramingError) {
          const tooLarge = /APDU length/.test(e.error.message);
          this.end(
            new DlmsError(DlmsErrorCode.Malformed, `wrapper ${this.transport.remote}: ${e.error.message}`, {
              cause: e.error,
              detail: { reason: tooLarge ? 'pdu-too-large' : 'malformed' },
            }),
          );
          break;
        }
        this.emit({ type: 'warning', error: e.error });
        continue;
      }
      completed = true;
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
    return completed;
  }

  private accepts(a: LinkAddress): boolean {
    return (
      (this.clientWPort === undefined || a.client === this.clientWPort) &&
      (this.serverWPort === undefined || a.server === this.serverWPort)
    );
  }
}
