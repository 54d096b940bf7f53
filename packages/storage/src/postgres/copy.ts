/**
 * PostgreSQL binary COPY encoding of reading stage rows. Layout: 11-byte signature
 * `PGCOPY\n\xff\r\n\0`, int32 flags, int32 header-extension length; then per tuple an int16
 * field count and per field an int32 byte length (-1 = NULL) and the value in network order;
 * an int16 -1 ends the stream. timestamptz is int64 microseconds since 2000-01-01 UTC.
 */
const SIGNATURE = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]);
const PG_EPOCH_MS = 946_684_800_000;
const TWO32 = 4_294_967_296;

export interface StageRow {
  round: number;
  channelId: number;
  ts: number;
  value: number;
  quality: number;
  reasons: string | null;
  source: number;
}

/** Columns in order: round int2, channel_id int4, ts timestamptz, value float8, quality int2, reasons text, source int2. */
export function encodeStageBinary(rows: readonly StageRow[]): Buffer {
  let size = SIGNATURE.length + 8 + 2;
  const reasonBytes: (Buffer | null)[] = rows.map((r) =>
    r.reasons === null ? null : Buffer.from(r.reasons, 'utf8'),
  );
  for (const b of reasonBytes) size += 2 + 7 * 4 + 2 + 4 + 8 + 8 + 2 + 2 + (b ? b.length : 0);
  const buf = Buffer.allocUnsafe(size);
  SIGNATURE.copy(buf, 0);
  let o = SIGNATURE.length;
  buf.writeInt32BE(0, o);
  buf.writeInt32BE(0, o + 4);
  o += 8;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const reasons = reasonBytes[i];
    o = buf.writeInt16BE(7, o);
    o = buf.writeInt32BE(2, o);
    o = buf.writeInt16BE(r.round, o);
    o = buf.writeInt32BE(4, o);
    o = buf.writeInt32BE(r.channelId, o);
    const micros = (r.ts - PG_EPOCH_MS) * 1000;
    const hi = Math.floor(micros / TWO32);
    o = buf.writeInt32BE(8, o);
    o = buf.writeInt32BE(hi, o);
    o = buf.writeUInt32BE(micros - hi * TWO32, o);
    o = buf.writeInt32BE(8, o);
    o = buf.writeDoubleBE(r.value, o);
    o = buf.writeInt32BE(2, o);
    o = buf.writeInt16BE(r.quality, o);
    if (reasons) {
      o = buf.writeInt32BE(reasons.length, o);
      o += reasons.copy(buf, o);
    } else {
      o = buf.writeInt32BE(-1, o);
    }
    o = buf.writeInt32BE(2, o);
    o = buf.writeInt16BE(r.source, o);
  }
  o = buf.writeInt16BE(-1, o);
  return buf.subarray(0, o);
}

const escapeText = (s: string) =>
  s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r');

/** Same rows in COPY text format (tab-separated, `\N` = NULL), for comparison in the benchmark. */
export function encodeStageText(rows: readonly StageRow[]): Buffer {
  const parts: string[] = [];
  for (const r of rows) {
    parts.push(
      `${r.round}\t${r.channelId}\t${new Date(r.ts).toISOString()}\t${r.value}\t${r.quality}\t${
        r.reasons === null ? '\\N' : escapeText(r.reasons)
      }\t${r.source}\n`,
    );
  }
  return Buffer.from(parts.join(''), 'utf8');
}
