import { ByteReader } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';
import { readWrapperHeader, WRAPPER_HEADER_LENGTH, WRAPPER_VERSION, type WrapperPdu } from './pdu.ts';

export type WrapperDeframerEvent = { type: 'pdu'; pdu: WrapperPdu } | { type: 'error'; error: DlmsError };

export interface WrapperDeframerOptions {
  /** Largest APDU length accepted in a header; default 0xFFFF. */
  maxApduLength?: number;
}

/**
 * Splits a wrapper byte stream into PDUs. Accepts any chunking.
 *
 * Resync policy: the wrapper has no delimiters, so a header whose version is not 1 or whose
 * length exceeds `maxApduLength` means the stream lost its alignment. That yields one error
 * event (code Malformed), after which the deframer looks for the first offset where a
 * plausible header (version 0x0001, length within bounds) opens a PDU that is complete in
 * the buffer and is followed either by another plausible header or by the end of the
 * buffered bytes; the bytes before it are dropped and counted in `discardedBytes`. This is
 * best effort: payload bytes can look like a header, so over TCP the caller should normally
 * close the connection on that error. While resynchronising the buffer keeps at most one
 * header plus `maxApduLength` bytes from the first plausible offset.
 */
const NO_BYTES = new Uint8Array(0);

export class WrapperDeframer {
  /** The bytes being parsed: `owned`, or the caller's chunk while nothing else is held. */
  private buf: Uint8Array = NO_BYTES;
  private owned: Uint8Array = NO_BYTES;
  private start = 0;
  private end = 0;
  private readonly maxApduLength: number;
  private resyncing = false;
  discardedBytes = 0;

  constructor(options: WrapperDeframerOptions = {}) {
    this.maxApduLength = Math.min(options.maxApduLength ?? 0xffff, 0xffff);
  }

  get buffered(): number {
    return this.end - this.start;
  }

  reset(): void {
    this.start = 0;
    this.end = 0;
    this.resyncing = false;
  }

  push(chunk: Uint8Array): WrapperDeframerEvent[] {
    if (this.start === this.end) {
      this.buf = chunk;
      this.start = 0;
      this.end = chunk.length;
    } else {
      this.append(chunk);
    }
    const events: WrapperDeframerEvent[] = [];
    while (this.end - this.start >= WRAPPER_HEADER_LENGTH) {
      if (this.resyncing && !this.resync()) break;
      const at = this.start;
      const length = this.lengthAt(at);
      if (!this.plausible(at)) {
        const version = (this.buf[at]! << 8) | this.buf[at + 1]!;
        const what = version !== WRAPPER_VERSION ? `version ${version}` : `APDU length ${length}`;
        events.push({
          type: 'error',
          error: new DlmsError(DlmsErrorCode.Malformed, `wrapper header with ${what}; resynchronising`),
        });
        this.resyncing = true;
        continue;
      }
      if (this.end - at < WRAPPER_HEADER_LENGTH + length) break;
      const r = new ByteReader(this.buf, at, at + WRAPPER_HEADER_LENGTH + length);
      const h = readWrapperHeader(r);
      events.push({
        type: 'pdu',
        pdu: { source: h.source, destination: h.destination, apdu: r.copy(h.length) },
      });
      this.start = r.offset;
    }
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
    } else if (this.buf !== this.owned) {
      this.keepTail();
    }
    this.buf = this.owned;
    return events;
  }

  /** Copies the unparsed end of a borrowed chunk into the owned buffer. */
  private keepTail(): void {
    const held = this.end - this.start;
    if (this.owned.length < held) this.owned = new Uint8Array(Math.max(held, 64));
    this.owned.set(this.buf.subarray(this.start, this.end));
    this.start = 0;
    this.end = held;
  }

  private lengthAt(at: number): number {
    return (this.buf[at + 6]! << 8) | this.buf[at + 7]!;
  }

  private plausible(at: number): boolean {
    return (
      (this.buf[at]! << 8) + this.buf[at + 1]! === WRAPPER_VERSION && this.lengthAt(at) <= this.maxApduLength
    );
  }

  /** Moves `start` to a believable PDU boundary; false when more bytes are needed. */
  private resync(): boolean {
    let keep = -1;
    for (let p = this.start; p + WRAPPER_HEADER_LENGTH <= this.end; p++) {
      if (!this.plausible(p)) continue;
      const next = p + WRAPPER_HEADER_LENGTH + this.lengthAt(p);
      const chained = next === this.end || (next + WRAPPER_HEADER_LENGTH <= this.end && this.plausible(next));
      if (next <= this.end && chained) {
        this.discard(p);
        this.resyncing = false;
        return true;
      }
      const undecided = next > this.end - WRAPPER_HEADER_LENGTH;
      if (keep < 0 && undecided) keep = p;
    }
    this.discard(keep >= 0 ? keep : Math.max(this.start, this.end - WRAPPER_HEADER_LENGTH + 1));
    return false;
  }

  private discard(to: number): void {
    this.discardedBytes += to - this.start;
    this.start = to;
  }

  private append(chunk: Uint8Array): void {
    const held = this.end - this.start;
    if (this.end + chunk.length > this.buf.length) {
      const target = held + chunk.length;
      const next =
        target > this.buf.length ? new Uint8Array(Math.max(target, this.buf.length * 2, 64)) : this.buf;
      next.set(this.buf.subarray(this.start, this.end));
      this.buf = next;
      this.owned = next;
      this.start = 0;
      this.end = held;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }
}
