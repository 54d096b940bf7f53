import type { DlmsError } from '@openhes/dlms';
import { type Transport, TransportFailure, transportError } from '../transport.ts';
import type { FrameTraceHook, LinkAddress, LinkEvent, LinkKind, LinkRole, ResponseLimits } from './types.ts';

interface Waiter {
  resolve: (apdu: Uint8Array) => void;
  reject: (e: DlmsError) => void;
  /** Silence allowed from the peer; 0 = no limit. */
  idleMs: number;
  /** Date.now() after which the wait fails unless the peer makes progress first; 0 = never. */
  idleAt: number;
  /** Overall cap on the wait; 0 = none. */
  maxMs: number;
  /** Date.now() after which the wait fails whatever the progress; 0 = never. */
  maxAt: number;
}

/** The earlier of the two deadlines of a wait; 0 = it never times out. */
function deadlineOf(w: Waiter): number {
  if (w.idleAt === 0) return w.maxAt;
  if (w.maxAt === 0) return w.idleAt;
  return Math.min(w.idleAt, w.maxAt);
}

/** A ResponseTimeout error: `what` (link and peer) and what did not come in time. */
export function responseTimeout(what: string, ms: number, silence = 'no response'): DlmsError {
  return transportError(TransportFailure.ResponseTimeout, `${what}: ${silence} within ${ms} ms`);
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
   * One response timer per link, kept across requests and across progress: a wait or a frame
   * from the peer only moves the deadline, and the timer re-arms itself for what is left when
   * it fires early. Unref'd while nobody waits.
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
      if (deadlineOf(w) !== 0) this.responseTimer?.unref();
      w.resolve(apdu);
    } else this.queue.push(apdu);
  }

  protected emit(event: LinkEvent): void {
    this.eventListener?.(event);
  }

  /**
   * The next APDU. `timeoutMs` bounds the silence of the peer, not the whole response: every
   * sign of progress (see `progress()`) re-arms it, so a long segmented answer that keeps
   * coming succeeds. `limits.maxMs` caps the whole wait.
   */
  nextApdu(timeoutMs?: number, limits: ResponseLimits = {}): Promise<Uint8Array> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.ended) return Promise.reject(this.closedError());
    if (this.waiter)
      return Promise.reject(transportError(TransportFailure.Other, 'nextApdu() already pending'));
    return new Promise((resolve, reject) => {
      const idleMs = positive(timeoutMs);
      const maxMs = positive(limits.maxMs);
      const now = Date.now();
      const w: Waiter = {
        resolve,
        reject,
        idleMs,
        idleAt: idleMs === 0 ? 0 : now + idleMs,
        maxMs,
        maxAt: maxMs === 0 ? 0 : now + maxMs,
      };
      this.waiter = w;
      const deadline = deadlineOf(w);
      if (deadline !== 0) this.armResponseTimer(deadline);
    });
  }

  /**
   * The peer is still answering (an HDLC frame from it, wrapper bytes): the silence timeout
   * of the pending wait starts again. The running timer is left alone; it re-arms itself.
   */
  protected progress(): void {
    const w = this.waiter;
    if (w && w.idleMs !== 0) w.idleAt = Date.now() + w.idleMs;
  }

  /** What the silence timeout counts ('frame' for HDLC, 'data' for the wrapper). */
  protected abstract readonly progressUnit: string;

  /** Who is at the other end, in messages. */
  protected get peerName(): string {
    return this.role === 'client' ? 'meter' : 'client';
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
    if (!w) return;
    const deadline = deadlineOf(w);
    if (deadline === 0) return;
    if (Date.now() < deadline) {
      this.armResponseTimer(deadline);
      return;
    }
    this.waiter = undefined;
    const what = `${this.kind} ${this.transport.remote}`;
    w.reject(
      w.maxAt !== 0 && (w.idleAt === 0 || w.maxAt <= w.idleAt)
        ? responseTimeout(what, w.maxMs, 'response not complete (overall limit)')
        : responseTimeout(what, w.idleMs, `no ${this.progressUnit} from the ${this.peerName}`),
    );
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

function positive(ms: number | undefined): number {
  return ms !== undefined && ms > 0 ? ms : 0;
}
