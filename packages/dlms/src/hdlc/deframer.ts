import { DlmsError, DlmsErrorCode } from '../errors.ts';
import { crc16x25 } from './crc.ts';
import {
  decodeHdlcFrame,
  HDLC_FLAG,
  HDLC_FORMAT_TYPE3,
  HDLC_MAX_FRAME_LENGTH,
  HDLC_MIN_FRAME_LENGTH,
  type HdlcFrame,
} from './frame.ts';

export type HdlcDeframerEvent =
  | { type: 'frame'; frame: HdlcFrame; bytes: Uint8Array }
  | { type: 'error'; error: DlmsError };

export interface HdlcDeframerOptions {
  /** Largest frame length (format field L, flags excluded) accepted; default 2047. */
  maxFrameLength?: number;
}

type Check = 'need-more' | 'ok' | 'reject' | 'bad-hcs';

function truncated(n: number): DlmsError {
  return new DlmsError(DlmsErrorCode.Truncated, `HDLC frame cut short by a new frame after ${n} bytes`);
}

/**
 * Splits a byte stream into HDLC frames. Accepts any chunking.
 *
 * Policy: bytes outside a frame candidate (anything before a 0x7E) are dropped silently and
 * counted in `discardedBytes`. A candidate is a 0x7E followed by a type-3 format field whose
 * length is within bounds. Its header (addresses and, when an information field follows,
 * the HCS) is checked as soon as it has arrived, so a false start inside noise is dropped
 * early: an HCS mismatch is reported as an error event with code Checksum, other header
 * defects are treated as noise. When the whole candidate has arrived it is decoded: a bad
 * FCS yields an error event with code Checksum, any other defect Malformed, and the scan
 * resumes one byte after the failed opening flag. A complete valid frame that starts at a
 * later 0x7E inside a candidate that is still incomplete, or that failed, means the
 * candidate was truncated: an error event with code Truncated, and decoding resumes at that
 * frame. The closing flag of a frame may be the opening flag of the next; repeated flags
 * are fill. Between pushes the buffer holds at most one incomplete frame.
 */
export class HdlcDeframer {
  private buf = new Uint8Array(256);
  private start = 0;
  private end = 0;
  private readonly maxFrameLength: number;
  discardedBytes = 0;

  constructor(options: HdlcDeframerOptions = {}) {
    this.maxFrameLength = Math.min(options.maxFrameLength ?? HDLC_MAX_FRAME_LENGTH, HDLC_MAX_FRAME_LENGTH);
  }

  /** Bytes held while waiting for the rest of a frame. */
  get buffered(): number {
    return this.end - this.start;
  }

  reset(): void {
    this.start = 0;
    this.end = 0;
  }

  push(chunk: Uint8Array): HdlcDeframerEvent[] {
    this.append(chunk);
    const events: HdlcDeframerEvent[] = [];
    for (;;) {
      if (!this.skipToFlag()) break;
      const p = this.start;
      const check = this.checkCandidate(p, this.end);
      if (check === 'reject' || check === 'bad-hcs') {
        if (check === 'bad-hcs') {
          events.push({ type: 'error', error: new DlmsError(DlmsErrorCode.Checksum, 'HDLC HCS mismatch') });
        }
        this.drop(1);
        continue;
      }
      if (check === 'need-more') {
        const q = this.findLaterFrame(p);
        if (q < 0) break;
        events.push({ type: 'error', error: truncated(q - p) });
        this.drop(q - p);
        continue;
      }
      const total = this.lengthAt(p) + 2;
      const bytes = this.buf.slice(p, p + total);
      try {
        const frame = decodeHdlcFrame(bytes);
        events.push({ type: 'frame', frame, bytes });
        this.drop(total - 1);
      } catch (e) {
        if (!(e instanceof DlmsError)) throw e;
        const q = this.findLaterFrame(p);
        if (q > 0 && q < p + total) {
          events.push({ type: 'error', error: truncated(q - p) });
          this.drop(q - p);
        } else {
          events.push({ type: 'error', error: e });
          this.drop(1);
        }
      }
    }
    this.compact();
    return events;
  }

  private append(chunk: Uint8Array): void {
    const need = this.end - this.start + chunk.length;
    if (this.start > 0 && need <= this.buf.length) {
      this.buf.copyWithin(0, this.start, this.end);
    } else if (need > this.buf.length) {
      const next = new Uint8Array(Math.max(need, this.buf.length * 2));
      next.set(this.buf.subarray(this.start, this.end));
      this.buf = next;
    } else {
      this.buf.set(chunk, this.end);
      this.end += chunk.length;
      return;
    }
    this.end -= this.start;
    this.start = 0;
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  private compact(): void {
    const held = this.end - this.start;
    if (held === 0) {
      this.start = 0;
      this.end = 0;
    }
    if (this.buf.length > 4 * (HDLC_MAX_FRAME_LENGTH + 2) && held <= HDLC_MAX_FRAME_LENGTH + 2) {
      const next = new Uint8Array(2 * (HDLC_MAX_FRAME_LENGTH + 2));
      next.set(this.buf.subarray(this.start, this.end));
      this.buf = next;
      this.start = 0;
      this.end = held;
    }
  }

  private drop(n: number): void {
    this.start += n;
  }

  /** Moves `start` to the next flag that may open a frame; false when more bytes are needed. */
  private skipToFlag(): boolean {
    const { buf } = this;
    while (this.start < this.end) {
      if (buf[this.start] !== HDLC_FLAG) {
        this.discardedBytes++;
        this.start++;
        continue;
      }
      if (this.start + 1 >= this.end) return false;
      if (buf[this.start + 1] === HDLC_FLAG) {
        this.start++;
        continue;
      }
      return true;
    }
    return false;
  }

  private lengthAt(p: number): number {
    return ((this.buf[p + 1]! & 0x07) << 8) | this.buf[p + 2]!;
  }

  /** Checks what has arrived of the candidate at `p` (a flag) up to `limit`. */
  private checkCandidate(p: number, limit: number): Check {
    const { buf } = this;
    if (p + 3 > limit) return 'need-more';
    if ((buf[p + 1]! & 0xf0) !== HDLC_FORMAT_TYPE3 >> 8) return 'reject';
    const length = this.lengthAt(p);
    if (length < HDLC_MIN_FRAME_LENGTH || length > this.maxFrameLength) return 'reject';
    const frameEnd = p + 1 + length;
    let at = p + 3;
    for (let address = 0; address < 2; address++) {
      let n = 0;
      for (;;) {
        if (at >= frameEnd - 3) return 'reject';
        if (at >= limit) return 'need-more';
        n++;
        if (buf[at++]! & 1) break;
        if (n >= 4) return 'reject';
      }
      if (n === 3) return 'reject';
    }
    const controlEnd = at + 1;
    const infoFollows = frameEnd - 2 > controlEnd;
    if (infoFollows) {
      if (frameEnd - 2 < controlEnd + 3) return 'reject';
      if (controlEnd + 2 > limit) return 'need-more';
      const hcs = buf[controlEnd]! | (buf[controlEnd + 1]! << 8);
      if (crc16x25(buf, p + 1, controlEnd) !== hcs) return 'bad-hcs';
    } else if (controlEnd !== frameEnd - 2) {
      return 'reject';
    }
    return frameEnd + 1 > limit ? 'need-more' : 'ok';
  }

  /** First later flag inside the buffer that opens a complete frame with a good FCS, or -1. */
  private findLaterFrame(p: number): number {
    const { buf } = this;
    for (let q = p + 1; q + HDLC_MIN_FRAME_LENGTH + 1 < this.end; q++) {
      if (buf[q] !== HDLC_FLAG || this.checkCandidate(q, this.end) !== 'ok') continue;
      const closing = q + 1 + this.lengthAt(q);
      if (buf[closing] !== HDLC_FLAG) continue;
      const fcs = buf[closing - 2]! | (buf[closing - 1]! << 8);
      if (crc16x25(buf, q + 1, closing - 2) === fcs) return q;
    }
    return -1;
  }
}
