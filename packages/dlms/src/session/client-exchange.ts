import { decodeXdlmsApdu, type GeneralBlockTransfer } from '../apdu/index.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';
import { EventSink, type SessionHooks } from './events.ts';
import type { Exchange, ExchangeStep } from './exchange.ts';
import { GbtReceiver, GbtSender, gbtBlock } from './gbt.ts';
import { asDlmsError } from './protection.ts';

const GBT_TAG = 0xe0;

/** What an exchange needs from its session: protection of whole APDUs and the GBT limit. */
export interface ExchangeChannel {
  /** Traces and, inside a ciphered association, ciphers one plain xDLMS APDU. */
  wrap(plain: Uint8Array, sink: EventSink, acse: boolean): Uint8Array;
  /** Server max receive PDU when general-block-transfer is negotiated, else undefined. */
  gbtLimit(): number | undefined;
  hooks: SessionHooks;
  /** Called once when the exchange ends either way. */
  finish(): void;
}

/**
 * A handler sees each complete response (GBT reassembled, still possibly ciphered); `wait`
 * means the APDU was not the response (an unsolicited notification) and more must come.
 */
export type ExchangeHandler<T> = (
  raw: Uint8Array,
  sink: EventSink,
) => { next: Uint8Array } | { done: T } | { wait: true };

export class ClientExchange<T> implements Exchange<T> {
  readonly send: Uint8Array;
  readonly events;
  finished = false;
  private readonly channel: ExchangeChannel;
  private readonly handler: ExchangeHandler<T>;
  private sender: GbtSender | undefined;
  private receiver: GbtReceiver | undefined;
  private ownBlocks = 0;

  constructor(channel: ExchangeChannel, first: Uint8Array, acse: boolean, handler: ExchangeHandler<T>) {
    this.channel = channel;
    this.handler = handler;
    const sink = new EventSink(channel.hooks);
    this.send = this.emit(first, acse, sink);
    this.events = sink.drain();
  }

  private emit(plain: Uint8Array, acse: boolean, sink: EventSink): Uint8Array {
    const wire = this.channel.wrap(plain, sink, acse);
    const limit = acse ? undefined : this.channel.gbtLimit();
    if (limit === undefined || wire.length <= limit) return wire;
    this.sender = new GbtSender(wire, limit);
    return this.nextGbt(0, sink);
  }

  private nextGbt(ack: number, sink: EventSink): Uint8Array {
    const block = this.sender!.next(ack, 1)[0]!;
    this.ownBlocks = this.sender!.lastSent;
    sink.trace('tx', 'plain', block);
    return block;
  }

  receive(apdu: Uint8Array): ExchangeStep<T> {
    const sink = new EventSink(this.channel.hooks);
    if (this.finished) {
      return {
        status: 'failed',
        error: new DlmsError(DlmsErrorCode.Protocol, 'APDU received after the exchange ended'),
        events: sink.drain(),
      };
    }
    try {
      let whole = apdu;
      if (apdu[0] === GBT_TAG) {
        sink.trace('rx', 'plain', apdu);
        const block = decodeXdlmsApdu(apdu) as GeneralBlockTransfer;
        if (this.sender !== undefined && !this.sender.done) {
          return { status: 'send', send: this.nextGbt(block.blockNumber, sink), events: sink.drain() };
        }
        this.receiver ??= new GbtReceiver();
        const complete = this.receiver.add(block);
        if (complete === undefined) {
          this.ownBlocks++;
          const ack = gbtBlock(this.ownBlocks, block.blockNumber, new Uint8Array(0), true);
          sink.trace('tx', 'plain', ack);
          return { status: 'send', send: ack, events: sink.drain() };
        }
        this.receiver = undefined;
        whole = complete;
      }
      const out = this.handler(whole, sink);
      if ('wait' in out) return { status: 'wait', events: sink.drain() };
      if ('done' in out) {
        this.end();
        return { status: 'done', result: out.done, events: sink.drain() };
      }
      this.sender = undefined;
      return { status: 'send', send: this.emit(out.next, false, sink), events: sink.drain() };
    } catch (e) {
      this.end();
      return { status: 'failed', error: asDlmsError(e), events: sink.drain() };
    }
  }

  /** Ends the exchange without its response (ClientSession.abandon). */
  abandon(): void {
    this.end();
  }

  private end(): void {
    if (this.finished) return;
    this.finished = true;
    this.channel.finish();
  }
}
