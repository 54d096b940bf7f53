import type { DlmsError } from '@openhes/dlms';
import { type Transport, TransportFailure, transportError } from '../transport.ts';
import type { FrameTraceHook, LinkAddress, LinkEvent, LinkKind, LinkRole } from './types.ts';

interface Waiter {
  resolve: (apdu: Uint8Array) => void;
  reject: (e: DlmsError) => void;
  /** Date.now() after which the wait fails; 0 = never. */
  deadline: number;
  timeoutMs: number;
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
  /**
   * One response timer per link, kept across requests: a wait only moves the deadline, and
   * the timer re-arms itself for what is left when it fires early. Unref'd while nobody waits.
   */
  private responseTimer: NodeJS.Timeout | undefined;
  private responseTimerAt = 0;
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
      if (w.deadline !== 0) this.responseTimer?.unref();
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
      const ms = timeoutMs !== undefined && timeoutMs > 0 ? timeoutMs : 0;
      const deadline = ms === 0 ? 0 : Date.now() + ms;
      this.waiter = { resolve, reject, deadline, timeoutMs: ms };
      if (deadline !== 0) this.armResponseTimer(deadline);
    });
  }

  private armResponseTimer(deadline: number): void {
    if (this.responseTimer !== undefined && this.responseTimerAt <= deadline) {
      this.responseTimer.ref();
      return;
    }
    clearTimeout(this.responseTimer);
    this.responseTimerAt = deadline;
    this.responseTimer = setTimeout(() => this.onResponseTimer(), Math.max(1, deadline - Date.now()));
  }

  private onResponseTimer(): void {
    this.responseTimer = undefined;
    const w = this.waiter;
    if (!w || w.deadline === 0) return;
    if (Date.now() < w.deadline) {
      this.armResponseTimer(w.deadline);
      return;
    }
    this.waiter = undefined;
    w.reject(responseTimeout(`${this.kind} ${this.transport.remote}`, w.timeoutMs));
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
    clearTimeout(this.responseTimer);
    this.responseTimer = undefined;
    w?.reject(this.closedError());
    if (!this.transport.closed) void this.transport.close();
    for (const l of this.closeListeners.splice(0)) l(error);
  }

  /** Hook for subclasses to drop timers. */
  protected onEnd(): void {}
}
