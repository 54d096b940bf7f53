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
 * event (code Malformed) and the deframer slides forward a byte at a time until the bytes
 * form a plausible header again (version 0x0001, length within bounds); the skipped bytes
 * are counted in `discardedBytes`. Over TCP the caller should normally close the connection
 * on that error; the slide exists for UDP-like or noisy streams. The buffer holds at most
 * one header plus `maxApduLength` bytes plus the last chunk.
 */
export class WrapperDeframer {
  private buf = new Uint8Array(256);
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
    this.append(chunk);
    const events: WrapperDeframerEvent[] = [];
    const b = this.buf;
    while (this.end - this.start >= WRAPPER_HEADER_LENGTH) {
      const at = this.start;
      const version = (b[at]! << 8) | b[at + 1]!;
      const length = (b[at + 6]! << 8) | b[at + 7]!;
      if (version !== WRAPPER_VERSION || length > this.maxApduLength) {
        if (!this.resyncing) {
          this.resyncing = true;
          const what = version !== WRAPPER_VERSION ? `version ${version}` : `APDU length ${length}`;
          events.push({
            type: 'error',
            error: new DlmsError(DlmsErrorCode.Malformed, `wrapper header with ${what}; resynchronising`),
          });
        }
        this.start++;
        this.discardedBytes++;
        continue;
      }
      if (this.end - at < WRAPPER_HEADER_LENGTH + length) break;
      this.resyncing = false;
      const r = new ByteReader(b, at, at + WRAPPER_HEADER_LENGTH + length);
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
    }
    return events;
  }

  private append(chunk: Uint8Array): void {
    const held = this.end - this.start;
    if (this.end + chunk.length > this.buf.length) {
      const target = held + chunk.length;
      const next =
        target > this.buf.length ? new Uint8Array(Math.max(target, this.buf.length * 2)) : this.buf;
      next.set(this.buf.subarray(this.start, this.end));
      this.buf = next;
      this.start = 0;
      this.end = held;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }
}
