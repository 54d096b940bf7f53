import { concatBytes, toHex } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';
import { clientAddress, type HdlcAddress, sameHdlcAddress, serverAddress } from './address.ts';
import type { HdlcControl } from './control.ts';
import { encodeHdlcFrame, type HdlcFrame } from './frame.ts';
import {
  errorEvent,
  type HdlcConnectionOptions,
  type HdlcDisconnectReason,
  HdlcLinkState,
  type HdlcRole,
  type HdlcStep,
  newStep,
} from './link-types.ts';
import { addLlc, stripLlc } from './llc.ts';
import {
  decodeHdlcParameters,
  encodeHdlcParameters,
  HDLC_DEFAULT_PARAMETERS,
  type HdlcParameters,
  isDefaultHdlcParameters,
  negotiateHdlcParameters,
} from './parameters.ts';

interface SentFrame {
  ns: number;
  info: Uint8Array;
  more: boolean;
}

const EMPTY = new Uint8Array(0);

/**
 * One end of an HDLC link in normal response mode, as client (primary station) or server
 * (secondary station). Pure: frames in (`receive`), encoded frames and events out.
 *
 * The primary sends up to window-size I-frames with P on the last and then waits for a
 * frame with F; the secondary only transmits when polled and ends its turn with F.
 * Go-back-N: unacknowledged frames are resent from the peer's N(R). An I-frame whose N(S)
 * is not V(R) (duplicate or out of sequence) is dropped and answered through N(R).
 * After delivering an APDU on a poll, the server holds the poll until the application
 * calls `sendApdu()` (the response goes out at once) or `releasePoll()`; polls received
 * meanwhile are not answered.
 */
export class HdlcConnection {
  readonly role: HdlcRole;
  private readonly own: HdlcAddress | undefined;
  private peer: HdlcAddress | undefined;
  private readonly server: HdlcAddress;
  private readonly fixedClient: HdlcAddress | undefined;
  private readonly limits: HdlcParameters;
  private readonly maxRetries: number;

  private linkState: HdlcLinkState = HdlcLinkState.disconnected;
  private negotiated: HdlcParameters = { ...HDLC_DEFAULT_PARAMETERS };
  private vs = 0;
  private va = 0;
  private vr = 0;
  private window: SentFrame[] = [];
  private txData: { data: Uint8Array; expectResponse: boolean }[] = [];
  private txOffset = 0;
  private rx: Uint8Array[] = [];
  private rxPartial = false;
  /** Client: a request went out whole and its response has not come back whole yet. */
  private awaitingResponse = false;
  /** An I-frame was dropped for its N(S) since our last poll: ask again with RR. */
  private rxRejected = false;
  /** Client: something was acknowledged or received in sequence since our last poll. */
  private turnProgress = false;
  /** V(R) when the client last polled because of a gap in the peer's N(S); cleared by progress. */
  private gapPolledAt: number | undefined;
  private awaiting = false;
  private retries = 0;
  private peerBusy = false;
  private holding = false;
  private unanswered = false;

  constructor(options: HdlcConnectionOptions) {
    this.role = options.role;
    this.server = serverAddress(options.serverAddress);
    this.fixedClient = options.clientAddress === undefined ? undefined : clientAddress(options.clientAddress);
    if (this.role === 'client' && this.fixedClient === undefined) {
      throw new DlmsError(DlmsErrorCode.Encode, 'an HDLC client needs its client address');
    }
    this.own = this.role === 'client' ? this.fixedClient : this.server;
    this.peer = this.role === 'client' ? this.server : this.fixedClient;
    this.limits = { ...HDLC_DEFAULT_PARAMETERS, ...options.parameters };
    this.maxRetries = options.maxRetries ?? 3;
  }

  get state(): HdlcLinkState {
    return this.linkState;
  }

  /** Negotiated parameters from our side (transmit = what we send). */
  get parameters(): HdlcParameters {
    return { ...this.negotiated };
  }

  /** Client: SNRM with our proposal (no information field when it is all defaults). */
  connect(): HdlcStep {
    this.requireRole('client', 'connect');
    this.reset(HdlcLinkState.connecting);
    const info = isDefaultHdlcParameters(this.limits) ? EMPTY : encodeHdlcParameters(this.limits);
    return this.poll({ kind: 'SNRM', pf: true }, info);
  }

  /** Client: DISC. Server: drops the link locally (the client learns it from a DM). */
  disconnect(): HdlcStep {
    if (this.role === 'server' || this.linkState === HdlcLinkState.disconnected) {
      const was = this.linkState;
      this.reset(HdlcLinkState.disconnected);
      return { send: [], events: was === 'disconnected' ? [] : [{ type: 'disconnected', reason: 'local' }] };
    }
    this.reset(HdlcLinkState.disconnecting);
    return this.poll({ kind: 'DISC', pf: true }, EMPTY);
  }

  /**
   * Queues an APDU (LLC added here) and sends what the poll/final discipline allows now.
   * Client: `expectResponse` (default true) makes the link poll until a whole APDU comes
   * back, and holds the next queued APDU until then (one request outstanding, as DLMS does).
   */
  sendApdu(apdu: Uint8Array, options: { expectResponse?: boolean } = {}): HdlcStep {
    const step = newStep();
    if (this.linkState !== 'connected' && this.linkState !== 'connecting') {
      step.events.push(errorEvent(DlmsErrorCode.Link, `cannot send an APDU: HDLC link is ${this.linkState}`));
      return step;
    }
    const data = addLlc(apdu, this.role === 'client' ? 'command' : 'response');
    this.txData.push({ data, expectResponse: this.role === 'client' && options.expectResponse !== false });
    if (this.linkState !== 'connected') return step;
    if (this.role === 'client' && !this.awaiting) this.transmit(step);
    else if (this.role === 'server' && this.holding) {
      this.holding = false;
      this.transmit(step);
    }
    return step;
  }

  /** Server: answers a held poll with RR when the application has no APDU to send. */
  releasePoll(): HdlcStep {
    const step = newStep();
    if (this.holding) {
      this.holding = false;
      this.unanswered = false;
      this.emit(step, { kind: 'RR', nr: this.vr, pf: true });
    }
    return step;
  }

  receive(frame: HdlcFrame): HdlcStep {
    const step = newStep();
    if (!this.addressedToUs(frame)) return step;
    if (frame.control.kind === 'UI') {
      this.deliver(step, frame.information, true);
      return step;
    }
    if (this.role === 'client') this.clientReceive(frame, step);
    else this.serverReceive(frame, step);
    return step;
  }

  /** Client: the response timer expired. Resends or polls; past `maxRetries`, a Link error. */
  onTimeout(): HdlcStep {
    const step = newStep();
    if (this.role !== 'client' || !this.awaiting) return step;
    if (++this.retries > this.maxRetries)
      return this.fail(step, `no response after ${this.maxRetries} retries`);
    switch (this.linkState) {
      case 'connecting':
        this.emit(
          step,
          { kind: 'SNRM', pf: true },
          isDefaultHdlcParameters(this.limits) ? EMPTY : encodeHdlcParameters(this.limits),
        );
        break;
      case 'disconnecting':
        this.emit(step, { kind: 'DISC', pf: true });
        break;
      default:
        if (this.peerBusy || this.window.length === 0 || !this.transmit(step)) {
          this.emit(step, { kind: 'RR', nr: this.vr, pf: true });
        }
    }
    step.timer = 'start';
    return step;
  }

  private requireRole(role: HdlcRole, what: string): void {
    if (this.role !== role) throw new DlmsError(DlmsErrorCode.Protocol, `${what}() is for the HDLC ${role}`);
  }

  private addressedToUs(frame: HdlcFrame): boolean {
    if (this.role === 'client') {
      return sameHdlcAddress(frame.destination, this.own!) && sameHdlcAddress(frame.source, this.server);
    }
    if (!sameHdlcAddress(frame.destination, this.server) || frame.source.size !== 1) return false;
    if (this.fixedClient !== undefined && !sameHdlcAddress(frame.source, this.fixedClient)) return false;
    if (this.linkState === 'connected' && this.peer !== undefined)
      return sameHdlcAddress(frame.source, this.peer);
    return true;
  }

  private clientReceive(frame: HdlcFrame, step: HdlcStep): void {
    const c = frame.control;
    switch (this.linkState) {
      case 'connecting':
        if (c.kind === 'UA') {
          let theirs: HdlcParameters;
          try {
            theirs = decodeHdlcParameters(frame.information);
          } catch (e) {
            if (!(e instanceof DlmsError)) throw e;
            step.events.push({ type: 'error', error: e });
            return;
          }
          this.linkState = HdlcLinkState.connected;
          this.negotiated = negotiateHdlcParameters(this.limits, theirs);
          this.awaiting = false;
          this.retries = 0;
          step.events.push({ type: 'connected', parameters: this.parameters });
          step.timer = 'stop';
          if (this.txData.length > 0) this.transmit(step);
        } else if (c.kind === 'DM') {
          step.events.push(errorEvent(DlmsErrorCode.Link, 'HDLC connection refused (DM)'));
          this.closed(step, 'refused');
        }
        return;
      case 'disconnecting':
        if (c.kind === 'UA' || c.kind === 'DM') this.closed(step, 'local');
        return;
      case 'disconnected':
        return;
      case 'connected':
        break;
    }
    switch (c.kind) {
      case 'I':
      case 'RR':
      case 'RNR':
        if (!this.ack(c.nr, step)) return;
        if (c.kind === 'I') this.acceptI(frame, c.ns, step);
        this.peerBusy = c.kind === 'RNR';
        if (c.pf && this.awaiting) this.clientFinal(step);
        return;
      case 'DM':
        step.events.push(errorEvent(DlmsErrorCode.Link, 'HDLC peer is in disconnected mode (DM)'));
        this.closed(step, 'peer');
        return;
      case 'FRMR':
        step.events.push(
          errorEvent(DlmsErrorCode.Link, `HDLC frame reject (FRMR ${toHex(frame.information)})`, {
            frmr: toHex(frame.information),
          }),
        );
        this.closed(step, 'peer');
        return;
      default:
        return;
    }
  }

  /**
   * A frame with F: the token is back with the client. An F that brings nothing new (no
   * acknowledgement, no in-sequence I-frame, no gap in the peer's N(S)) while we still
   * expect frames is a late duplicate or a checkpoint that the timer repeats anyway: it is
   * ignored, so a duplicated frame can never start a second poll cycle.
   */
  private clientFinal(step: HdlcStep): void {
    const expecting = this.window.length > 0 || this.rxPartial || this.awaitingResponse;
    // A gap already polled for at this V(R), with nothing in sequence since, is an earlier
    // turn's frames still on the line (a duplicated poll made the peer send its window twice):
    // polling again for each such batch would keep one window of backlog in flight for ever.
    // The response timer still covers a real loss.
    const freshGap = this.rxRejected && this.gapPolledAt !== this.vr;
    if (!this.turnProgress && !freshGap && expecting) {
      this.rxRejected = false;
      return;
    }
    this.awaiting = false;
    if (this.peerBusy) {
      this.awaiting = true;
      step.timer = 'start';
      return;
    }
    if (this.window.length > 0 && ++this.retries > this.maxRetries) {
      this.fail(step, `HDLC frames rejected ${this.retries} times`);
      return;
    }
    if (this.window.length > 0) {
      this.transmit(step);
    } else if (this.rxPartial || this.rxRejected) {
      if (this.rxRejected) this.gapPolledAt = this.vr;
      this.emit(step, { kind: 'RR', nr: this.vr, pf: true });
      this.awaiting = true;
      step.timer = 'start';
    } else if (this.transmit(step)) {
      return;
    } else if (this.awaitingResponse) {
      this.awaiting = true;
      step.timer = 'start';
    } else {
      step.timer = 'stop';
    }
  }

  private serverReceive(frame: HdlcFrame, step: HdlcStep): void {
    const c = frame.control;
    if (c.kind === 'SNRM') {
      let theirs: HdlcParameters;
      try {
        theirs = decodeHdlcParameters(frame.information);
      } catch (e) {
        if (!(e instanceof DlmsError)) throw e;
        step.events.push({ type: 'error', error: e });
        this.emitTo(step, frame.source, this.server, { kind: 'FRMR', pf: true });
        return;
      }
      this.reset(HdlcLinkState.connected);
      this.peer = frame.source;
      this.negotiated = negotiateHdlcParameters(this.limits, theirs);
      this.emit(step, { kind: 'UA', pf: true }, encodeHdlcParameters(this.negotiated));
      step.events.push({ type: 'connected', parameters: this.parameters });
      return;
    }
    if (this.linkState !== 'connected') {
      if (c.pf && c.kind !== 'UA' && c.kind !== 'DM' && c.kind !== 'FRMR') {
        this.emitTo(step, frame.source, this.server, { kind: 'DM', pf: true });
      }
      return;
    }
    switch (c.kind) {
      case 'DISC':
        this.emitTo(step, frame.source, this.server, { kind: 'UA', pf: true });
        this.reset(HdlcLinkState.disconnected);
        step.events.push({ type: 'disconnected', reason: 'peer' });
        return;
      case 'I':
      case 'RR':
      case 'RNR':
        if (!this.ack(c.nr, step)) return;
        if (c.kind === 'I') this.acceptI(frame, c.ns, step);
        this.peerBusy = c.kind === 'RNR';
        if (c.pf) this.serverPolled(step);
        return;
      default:
        return;
    }
  }

  private serverPolled(step: HdlcStep): void {
    if (this.holding) return;
    if (!this.peerBusy && (this.window.length > 0 || this.txData.length > 0)) {
      this.transmit(step);
    } else if (this.unanswered && !this.peerBusy) {
      this.holding = true;
    } else {
      this.emit(step, { kind: 'RR', nr: this.vr, pf: true });
    }
  }

  /** Processes N(R); false (and an error event) when it acknowledges a frame never sent. */
  private ack(nr: number, step: HdlcStep): boolean {
    const count = (nr - this.va + 8) % 8;
    if (count > this.window.length) {
      step.events.push(
        errorEvent(DlmsErrorCode.Protocol, `HDLC N(R) ${nr} outside V(A) ${this.va}..V(S) ${this.vs}`),
      );
      return false;
    }
    if (count > 0) {
      this.window.splice(0, count);
      this.va = nr;
      this.retries = 0;
      this.turnProgress = true;
    }
    return true;
  }

  private acceptI(frame: HdlcFrame, ns: number, step: HdlcStep): void {
    if (ns !== this.vr) {
      // Ahead of V(R) within the peer's window: a frame was lost. Behind it: a duplicate.
      if ((ns - this.vr + 8) % 8 < this.negotiated.windowReceive) this.rxRejected = true;
      return;
    }
    this.vr = (this.vr + 1) % 8;
    this.retries = 0;
    this.turnProgress = true;
    this.gapPolledAt = undefined;
    this.rx.push(frame.information);
    this.rxPartial = frame.segmented;
    if (frame.segmented) return;
    const data = this.rx.length === 1 ? this.rx[0]! : concatBytes(...this.rx);
    this.rx = [];
    this.awaitingResponse = false;
    this.deliver(step, data, false);
  }

  private deliver(step: HdlcStep, data: Uint8Array, unnumbered: boolean): void {
    try {
      step.events.push({ type: 'apdu', apdu: stripLlc(data).apdu, unnumbered });
      if (!unnumbered) this.unanswered = true;
    } catch (e) {
      if (!(e instanceof DlmsError)) throw e;
      step.events.push({ type: 'error', error: e });
    }
  }

  /**
   * Go-back-N: resends every unacknowledged frame, then new segments while the window has
   * room; P/F on the last one. False when there was nothing to send.
   */
  private transmit(step: HdlcStep): boolean {
    const frames: SentFrame[] = [...this.window];
    while (this.window.length < this.negotiated.windowTransmit && this.mayTakeSegment()) {
      const sent = { ns: this.vs, ...this.nextSegment() };
      this.vs = (this.vs + 1) % 8;
      this.window.push(sent);
      frames.push(sent);
    }
    frames.forEach((f, i) => {
      this.emit(step, { kind: 'I', ns: f.ns, nr: this.vr, pf: i === frames.length - 1 }, f.info, f.more);
    });
    if (frames.length === 0) return false;
    this.unanswered = false;
    if (this.role === 'client') {
      this.awaiting = true;
      step.timer = 'start';
    }
    return true;
  }

  /** A client starts no new APDU while the response to the previous one is outstanding. */
  private mayTakeSegment(): boolean {
    return this.txData.length > 0 && (this.txOffset > 0 || !this.awaitingResponse);
  }

  private nextSegment(): { info: Uint8Array; more: boolean } {
    const { data, expectResponse } = this.txData[0]!;
    const n = Math.min(this.negotiated.maxInfoTransmit, data.length - this.txOffset);
    const info = data.subarray(this.txOffset, this.txOffset + n);
    this.txOffset += n;
    const more = this.txOffset < data.length;
    if (!more) {
      this.txData.shift();
      this.txOffset = 0;
      if (expectResponse) this.awaitingResponse = true;
    }
    return { info, more };
  }

  private poll(control: HdlcControl, info: Uint8Array): HdlcStep {
    const step = newStep();
    this.emit(step, control, info);
    this.awaiting = true;
    this.retries = 0;
    step.timer = 'start';
    return step;
  }

  private emit(step: HdlcStep, control: HdlcControl, info: Uint8Array = EMPTY, segmented = false): void {
    const source = this.role === 'client' ? this.own! : this.server;
    if (control.pf) {
      this.rxRejected = false;
      this.turnProgress = false;
    }
    this.emitTo(step, this.peer!, source, control, info, segmented);
  }

  private emitTo(
    step: HdlcStep,
    destination: HdlcAddress,
    source: HdlcAddress,
    control: HdlcControl,
    info: Uint8Array = EMPTY,
    segmented = false,
  ): void {
    step.send.push(encodeHdlcFrame({ destination, source, control, segmented, information: info }));
  }

  private fail(step: HdlcStep, message: string): HdlcStep {
    step.events.push(errorEvent(DlmsErrorCode.Link, message));
    this.closed(step, 'failed');
    return step;
  }

  private closed(step: HdlcStep, reason: HdlcDisconnectReason): void {
    this.reset(HdlcLinkState.disconnected);
    step.events.push({ type: 'disconnected', reason });
    step.timer = 'stop';
  }

  private reset(state: HdlcLinkState): void {
    this.linkState = state;
    this.vs = 0;
    this.va = 0;
    this.vr = 0;
    this.window = [];
    this.txData = [];
    this.txOffset = 0;
    this.rx = [];
    this.rxPartial = false;
    this.rxRejected = false;
    this.gapPolledAt = undefined;
    this.awaitingResponse = false;
    this.awaiting = false;
    this.retries = 0;
    this.peerBusy = false;
    this.holding = false;
    this.unanswered = false;
    if (state === 'disconnected') this.negotiated = { ...HDLC_DEFAULT_PARAMETERS };
  }
}
