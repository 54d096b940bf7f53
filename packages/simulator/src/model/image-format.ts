import { createHash } from 'node:crypto';

/**
 * The simulated meters' firmware image format (ours, no standard behind it). Tests, the bench
 * and the twins build images with `buildImage`; a simulated meter verifies a transferred image
 * with `parseImage` and, once activated, reports the version the image declares.
 *
 *   offset  size  field
 *   0       4     magic "OHFW"
 *   4       1     format version (1)
 *   5       1     n = length of the version string
 *   6       n     version (ASCII), the firmware identifier the meter shows after activation
 *   6+n     4     body length (big endian)
 *   10+n    b     body
 *   10+n+b  32    SHA-256 of every byte before it
 *
 * Any changed byte (a corrupted block, a truncated image, a wrong length) fails verification.
 */
const MAGIC = [0x4f, 0x48, 0x46, 0x57] as const;
const FORMAT = 1;

export interface SimulatedImage {
  version: string;
  body: Uint8Array;
}

function sha256(b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(b).digest());
}

/** An image declaring `version` with `body` (default: `size` seeded bytes, or 1,000). */
export function buildImage(version: string, body: Uint8Array | number = 1000): Uint8Array {
  const v = Uint8Array.from(version, (c) => c.charCodeAt(0) & 0xff);
  if (v.length === 0 || v.length > 255) throw new RangeError('image version: 1 to 255 characters');
  const b = typeof body === 'number' ? filler(body) : body;
  const head = new Uint8Array(10 + v.length);
  head.set(MAGIC, 0);
  head[4] = FORMAT;
  head[5] = v.length;
  head.set(v, 6);
  new DataView(head.buffer).setUint32(6 + v.length, b.length);
  const out = new Uint8Array(head.length + b.length + 32);
  out.set(head, 0);
  out.set(b, head.length);
  out.set(sha256(out.subarray(0, head.length + b.length)), head.length + b.length);
  return out;
}

/** The declared version and body, or undefined when the image is not one of ours or is corrupted. */
export function parseImage(image: Uint8Array): SimulatedImage | undefined {
  if (image.length < 42 || MAGIC.some((x, i) => image[i] !== x) || image[4] !== FORMAT) return undefined;
  const n = image[5]!;
  if (image.length < 10 + n + 32) return undefined;
  const bodyLength = new DataView(image.buffer, image.byteOffset, image.length).getUint32(6 + n);
  if (image.length !== 10 + n + bodyLength + 32) return undefined;
  const signed = image.subarray(0, 10 + n + bodyLength);
  const hash = sha256(signed);
  const stored = image.subarray(10 + n + bodyLength);
  if (!hash.every((x, i) => x === stored[i])) return undefined;
  return {
    version: String.fromCharCode(...image.subarray(6, 6 + n)),
    body: image.slice(10 + n, 10 + n + bodyLength),
  };
}

/** Splits an image into transfer blocks of `blockSize` (the last one short). */
export function imageBlocks(image: Uint8Array, blockSize: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o < image.length; o += blockSize) out.push(image.subarray(o, o + blockSize));
  return out;
}

function filler(size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = 0x2545f491;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
