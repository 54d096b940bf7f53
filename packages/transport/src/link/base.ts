import type { DlmsError } from '@openhes/dlms';
import { type Transport, TransportFailure, transportError } from '../transport.ts';
import type { FrameTraceHook, LinkAddress, LinkEvent, LinkKind, LinkRole } from './types.ts';

interface Waiter {
  resolve: (apdu: Uint8Array) => void;
  reject: (e: DlmsError) => void;
  timer: NodeJS.Timeout | undefined;
}

export function responseTimeout(what: string, ms: number): DlmsError {
  return transportError(TransportFailure.ResponseTimeout, `${what}: no response within ${ms} ms`);
}

/**
 * What both links share: the transport, the APDU inbox (listener or queue with one waiter),
 * frame tracing and the close bookkeeping.
 */
export abstract class LinkBase {
  abstract readonly kind: LinkKind;
  readonly role: LinkRole;
  readonly transport: Transport;
  protected readonly trace: FrameTraceHook | undefined;
  private queue: Uint8Array[] = [];
  private waiter: Waiter | undefined;
  private apduListener: ((apdu: Uint8Array, from: LinkAddress) => void) | undefined;
  private eventListener: ((event: LinkEvent) => void) | undefined;
  private closeListeners: ((error?: DlmsError) => void)[] = [];
  private endError: DlmsError | undefined;
  private ended = false;

  constructor(transport: Transport, role: LinkRole, trace: FrameTraceHook | undefined) {
    this.transport = transport;
    this.role = role;
    this.trace = trace;
    transport.onClose((error) => this.end(error));
  }

  get closed(): boolean {
    return this.ended;
  }

  protected traceFrame(direction: 'in' | 'out', bytes: Uint8Array): void {
    this.trace?.({ direction, time: Date.now(), bytes, link: this.kind });
  }

  /** Writes frames in order; a failed write ends the link. */
  protected write(frames: readonly Uint8Array[]): Promise<void> {
    let last: Promise<void> = Promise.resolve();
    for (const f of frames) {
      this.traceFrame('out', f);
      last = this.transport.send(f);
      last.catch((e: DlmsError) => this.end(e));
    }
    return last;
  }

  protected deliver(apdu: Uint8Array, from: LinkAddress): void {
    if (this.ended) return;
    if (this.apduListener) {
      this.apduListener(apdu, from);
      return;
    }
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      clearTimeout(w.timer);
      w.resolve(apdu);
    } else this.queue.push(apdu);
  }

  protected emit(event: LinkEvent): void {
    this.eventListener?.(event);
  }

  nextApdu(timeoutMs?: number): Promise<Uint8Array> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.ended) return Promise.reject(this.closedError());
    if (this.waiter)
      return Promise.reject(transportError(TransportFailure.Other, 'nextApdu() already pending'));
    return new Promise((resolve, reject) => {
      const w: Waiter = { resolve, reject, timer: undefined };
      if (timeoutMs !== undefined && timeoutMs > 0) {
        w.timer = setTimeout(() => {
          if (this.waiter !== w) return;
          this.waiter = undefined;
          reject(responseTimeout(`${this.kind} ${this.transport.remote}`, timeoutMs));
        }, timeoutMs);
      }
      this.waiter = w;
    });
  }

  onApdu(listener: (apdu: Uint8Array, from: LinkAddress) => void): void {
    this.apduListener = listener;
  }

  onEvent(listener: (event: LinkEvent) => void): void {
    this.eventListener = listener;
  }

  onClose(listener: (error?: DlmsError) => void): void {
    if (this.ended) listener(this.endError);
    else this.closeListeners.push(listener);
  }

  protected closedError(): DlmsError {
    return (
      this.endError ??
      transportError(TransportFailure.Closed, `${this.kind} ${this.transport.remote}: link closed`)
    );
  }

  /** Ends the link once: fails the waiter, closes the transport, tells the listeners. */
  protected end(error?: DlmsError): void {
    if (this.ended) return;
    this.ended = true;
    this.endError = error;
    this.onEnd();
    const w = this.waiter;
    this.waiter = undefined;
    if (w) {
      clearTimeout(w.timer);
      w.reject(this.closedError());
    }
    if (!this.transport.closed) void this.transport.close();
    for (const l of this.closeListeners.splice(0)) l(error);
  }

  /** Hook for subclasses to drop timers. */
  protected onEnd(): void {}
}
