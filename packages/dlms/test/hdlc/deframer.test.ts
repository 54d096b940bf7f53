import { hdlcVectors as vectors } from '@openhes/testkit/vectors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../src/bytes.ts';
import { DlmsError, DlmsErrorCode } from '../../src/errors.ts';
import { encodeHdlcFrame, HdlcDeframer, type HdlcDeframerEvent } from '../../src/hdlc/index.ts';
import { arbHdlcFrame } from './arbitraries.ts';
import { FRAME_FIXTURES } from './fixtures.ts';

const FRAMES = [...vectors.vectors.map((v) => v.hex), ...FRAME_FIXTURES.map((f) => f.hex)].map(fromHex);
const ALL = concatBytes(...FRAMES);
const HEXES = FRAMES.map((f) => toHex(f));

function feed(d: HdlcDeframer, chunks: Uint8Array[]): HdlcDeframerEvent[] {
  return chunks.flatMap((c) => d.push(c));
}

function frames(events: HdlcDeframerEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'frame' ? [toHex(e.bytes)] : []));
}

function errors(events: HdlcDeframerEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'error' ? [e.error.code] : []));
}

/** Shares one flag between consecutive frames: 7E a 7E b 7E … */
function sharedFlags(list: Uint8Array[]): Uint8Array {
  return concatBytes(...list.map((f, i) => (i === 0 ? f : f.subarray(1))));
}

describe('HdlcDeframer', () => {
  it('returns every frame of the concatenated vectors in one push', () => {
    const events = new HdlcDeframer().push(ALL);
    expect(frames(events)).toEqual(HEXES);
    expect(errors(events)).toEqual([]);
  });

  it('gives the same frames for every split offset 1..n-1', () => {
    for (let cut = 1; cut < ALL.length; cut++) {
      const d = new HdlcDeframer();
      const events = feed(d, [ALL.subarray(0, cut), ALL.subarray(cut)]);
      expect(frames(events), `cut at ${cut}`).toEqual(HEXES);
      expect(d.buffered).toBeLessThanOrEqual(1);
    }
  });

  it('gives the same frames byte by byte', () => {
    const d = new HdlcDeframer();
    const events = feed(
      d,
      Array.from(ALL, (b) => Uint8Array.of(b)),
    );
    expect(frames(events)).toEqual(HEXES);
    expect(errors(events)).toEqual([]);
  });

  it('handles a single shared flag between frames and runs of fill flags', () => {
    expect(frames(new HdlcDeframer().push(sharedFlags(FRAMES)))).toEqual(HEXES);
    const filled = concatBytes(...FRAMES.map((f) => concatBytes(Uint8Array.of(0x7e, 0x7e, 0x7e), f)));
    const d = new HdlcDeframer();
    expect(
      frames(
        feed(
          d,
          Array.from(filled, (b) => Uint8Array.of(b)),
        ),
      ),
    ).toEqual(HEXES);
  });

  it('drops garbage between frames, including garbage that holds flags', () => {
    const garbage = fromHex('00 FF 7E 13 7E A0 7E 41 42 43 A0');
    const stream = concatBytes(...FRAMES.flatMap((f) => [garbage, f]), garbage);
    for (const chunk of [stream.length, 1, 3, 7]) {
      const d = new HdlcDeframer();
      const parts: Uint8Array[] = [];
      for (let i = 0; i < stream.length; i += chunk) parts.push(stream.subarray(i, i + chunk));
      expect(frames(feed(d, parts)), `chunk ${chunk}`).toEqual(HEXES);
      expect(d.discardedBytes).toBeGreaterThan(0);
    }
  });

  it('reports a corrupted FCS as Checksum and resynchronises on the next frame', () => {
    const bad = FRAMES[4]!.slice();
    bad[bad.length - 3]! ^= 0x55;
    const events = new HdlcDeframer().push(concatBytes(bad, FRAMES[5]!, FRAMES[0]!));
    expect(errors(events)).toEqual([DlmsErrorCode.Checksum]);
    expect(frames(events)).toEqual([HEXES[5], HEXES[0]]);
  });

  it('reports a corrupted HCS as Checksum and resynchronises', () => {
    const bad = FRAMES[1]!.slice();
    bad[7]! ^= 0x01;
    const d = new HdlcDeframer();
    const events = feed(
      d,
      Array.from(concatBytes(bad, FRAMES[2]!), (b) => Uint8Array.of(b)),
    );
    expect(errors(events)).toContain(DlmsErrorCode.Checksum);
    expect(frames(events)).toEqual([HEXES[2]]);
  });

  it('recovers from a truncated frame followed by a new flag, in one push or byte by byte', () => {
    const truncated = FRAMES[4]!.subarray(0, 15);
    const stream = concatBytes(truncated, FRAMES[5]!, FRAMES[2]!);
    const whole = new HdlcDeframer().push(stream);
    expect(frames(whole)).toEqual([HEXES[5], HEXES[2]]);
    expect(errors(whole)).toEqual([DlmsErrorCode.Truncated]);
    const d = new HdlcDeframer();
    const bytewise = feed(
      d,
      Array.from(stream, (b) => Uint8Array.of(b)),
    );
    expect(frames(bytewise)).toEqual([HEXES[5], HEXES[2]]);
    expect(errors(bytewise)).toEqual([DlmsErrorCode.Truncated]);
  });

  it('keeps its buffer bounded: garbage is not retained', () => {
    const d = new HdlcDeframer({ maxFrameLength: 64 });
    for (let i = 0; i < 100; i++) d.push(new Uint8Array(1000).fill(0x41));
    expect(d.buffered).toBe(0);
    // A header announcing more than maxFrameLength is not a frame start.
    d.push(fromHex('7E A1 00 03 21 10'));
    expect(d.buffered).toBeLessThanOrEqual(5);
    expect(frames(d.push(FRAMES[0]!))).toEqual([HEXES[0]]);
  });

  it('property: random frames, random garbage between, random chunking → the same frames', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(arbHdlcFrame, fc.uint8Array({ maxLength: 20 }), fc.boolean()), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        (items, cuts) => {
          const parts: Uint8Array[] = [];
          const expected: string[] = [];
          for (const [frame, noise, flagOnly] of items) {
            // Noise ends with a flag so it never merges with the frame's opening flag.
            if (!flagOnly) parts.push(noise.map((b) => (b === 0x7e ? 0x00 : b)));
            const bytes = encodeHdlcFrame(frame);
            parts.push(bytes);
            expected.push(toHex(bytes));
          }
          const stream = concatBytes(...parts);
          const d = new HdlcDeframer();
          const chunks: Uint8Array[] = [];
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const n = cuts[i % cuts.length]!;
            chunks.push(stream.subarray(at, at + n));
            at += n;
          }
          expect(frames(feed(d, chunks))).toEqual(expected);
        },
      ),
    );
  });

  it('property: random bytes give frames or DlmsError events, never a throw', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 10 }), (chunks) => {
        const d = new HdlcDeframer();
        for (const c of chunks) {
          for (const e of d.push(c)) if (e.type === 'error') expect(e.error).toBeInstanceOf(DlmsError);
        }
        expect(d.buffered).toBeLessThanOrEqual(2049);
      }),
      { numRuns: 1000 },
    );
  });
});
