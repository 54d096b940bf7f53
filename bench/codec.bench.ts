/**
 * bench:codec — A-XDR decode/encode of a profile-generic buffer (2,880 rows = 30 days of
 * 15-minute data, 8 columns: date-time + 7 numeric registers) against JSON.parse/stringify
 * of the same rows, and suite-0 glo-ciphering/deciphering of 200-byte APDUs against raw
 * node:crypto AES-GCM of the same bytes. All figures are measured in the same run.
 */
import crypto from 'node:crypto';
import {
  ByteReader,
  ByteWriter,
  cipherApdu,
  type DlmsData,
  dateTimeFromInstant,
  dateTimeToOctets,
  decipherApdu,
  decodeData,
  encodeData,
} from '@openhes/dlms';
import { fmt, measure, printTable } from './harness.ts';

const ROWS = 2880;

function buildBuffer(): { data: DlmsData; json: unknown[] } {
  const rows: DlmsData[] = [];
  const json: unknown[] = [];
  const start = Date.UTC(2026, 9, 1);
  let kwh = 1_234_567;
  for (let i = 0; i < ROWS; i++) {
    const t = new Date(start + (i + 1) * 900_000);
    const dt = dateTimeToOctets(dateTimeFromInstant(t, { deviation: -330, clockStatus: 0 }));
    kwh += 37 + (i % 13);
    const cells: DlmsData[] = [
      { type: 'octet-string', value: dt },
      { type: 'long-unsigned', value: 2300 + (i % 50) },
      { type: 'long-unsigned', value: 2310 + (i % 40) },
      { type: 'double-long-unsigned', value: 450 + (i % 97) },
      { type: 'double-long-unsigned', value: 20 + (i % 7) },
      { type: 'double-long-unsigned', value: kwh },
      { type: 'double-long-unsigned', value: kwh * 2 },
      { type: 'long', value: 980 - (i % 30) },
    ];
    rows.push({ type: 'structure', value: cells });
    json.push([
      t.toISOString(),
      2300 + (i % 50),
      2310 + (i % 40),
      450 + (i % 97),
      20 + (i % 7),
      kwh,
      kwh * 2,
      980 - (i % 30),
    ]);
  }
  return { data: { type: 'array', value: rows }, json };
}

const { data, json } = buildBuffer();
const w = new ByteWriter(64 * 1024);
encodeData(w, data);
const encoded = w.finish();
const jsonText = JSON.stringify(json);
console.log(
  `profile buffer: ${ROWS} rows x 8 columns = ${fmt(encoded.length)} bytes A-XDR, ${fmt(jsonText.length)} bytes JSON`,
);

const decode = measure('A-XDR decode', () => {
  decodeData(new ByteReader(encoded));
});
const encode = measure('A-XDR encode', () => {
  const ww = new ByteWriter(encoded.length + 16);
  encodeData(ww, data);
  ww.finish();
});
const jsonParse = measure('JSON.parse (baseline)', () => {
  JSON.parse(jsonText);
});
const jsonStringify = measure('JSON.stringify (baseline)', () => {
  JSON.stringify(json);
});

const mb = encoded.length / 1e6;
const jmb = jsonText.length / 1e6;
printTable('profile-generic buffer codec (ops = one whole buffer)', [
  {
    what: decode.name,
    'MB/s': fmt(decode.opsPerSec * mb, 1),
    'rows/s': fmt(decode.opsPerSec * ROWS),
    'vs baseline': `${fmt(decode.opsPerSec / jsonParse.opsPerSec, 2)}x JSON.parse`,
  },
  {
    what: jsonParse.name,
    'MB/s': fmt(jsonParse.opsPerSec * jmb, 1),
    'rows/s': fmt(jsonParse.opsPerSec * ROWS),
    'vs baseline': '1.00x',
  },
  {
    what: encode.name,
    'MB/s': fmt(encode.opsPerSec * mb, 1),
    'rows/s': fmt(encode.opsPerSec * ROWS),
    'vs baseline': `${fmt(encode.opsPerSec / jsonStringify.opsPerSec, 2)}x JSON.stringify`,
  },
  {
    what: jsonStringify.name,
    'MB/s': fmt(jsonStringify.opsPerSec * jmb, 1),
    'rows/s': fmt(jsonStringify.opsPerSec * ROWS),
    'vs baseline': '1.00x',
  },
]);

const ek = crypto.randomBytes(16);
const ak = crypto.randomBytes(16);
const systemTitle = Uint8Array.from(Buffer.from('4D4D4D0000BC614E', 'hex'));
const plaintext = new Uint8Array(200);
plaintext[0] = 0xc4;
for (let i = 1; i < 200; i++) plaintext[i] = (i * 31) & 0xff;
let ic = 1;
const keys = { ek: new Uint8Array(ek), ak: new Uint8Array(ak) };
const sample = cipherApdu({
  tag: 0xcc,
  securityControl: 0x30,
  systemTitle,
  invocationCounter: 1,
  plaintext,
  keys,
});

const cipher = measure('glo-cipher 200 B (SC 0x30)', () => {
  cipherApdu({ tag: 0xcc, securityControl: 0x30, systemTitle, invocationCounter: ic++, plaintext, keys });
});
const decipher = measure('glo-decipher 200 B', () => {
  decipherApdu(sample, { keys, systemTitle });
});
const aad = Buffer.concat([Buffer.of(0x30), ak]);
const rawEnc = measure('raw node:crypto AES-GCM encrypt (baseline)', () => {
  const iv = Buffer.alloc(12);
  systemTitle.forEach((b, i) => {
    iv[i] = b;
  });
  iv.writeUInt32BE(ic++ >>> 0, 8);
  const c = crypto.createCipheriv('aes-128-gcm', ek, iv, { authTagLength: 12 });
  c.setAAD(aad);
  Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
});
const rawCt = (() => {
  const iv = Buffer.alloc(12);
  const c = crypto.createCipheriv('aes-128-gcm', ek, iv, { authTagLength: 12 });
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return { iv, ct, tag: c.getAuthTag() };
})();
const rawDec = measure('raw node:crypto AES-GCM decrypt (baseline)', () => {
  const d = crypto.createDecipheriv('aes-128-gcm', ek, rawCt.iv, { authTagLength: 12 });
  d.setAAD(aad);
  d.setAuthTag(rawCt.tag);
  Buffer.concat([d.update(rawCt.ct), d.final()]);
});
printTable('suite-0 ciphering of 200-byte APDUs', [
  {
    what: cipher.name,
    'APDUs/s': fmt(cipher.opsPerSec),
    'vs baseline': `${fmt(cipher.opsPerSec / rawEnc.opsPerSec, 2)}x raw encrypt`,
  },
  { what: rawEnc.name, 'APDUs/s': fmt(rawEnc.opsPerSec), 'vs baseline': '1.00x' },
  {
    what: decipher.name,
    'APDUs/s': fmt(decipher.opsPerSec),
    'vs baseline': `${fmt(decipher.opsPerSec / rawDec.opsPerSec, 2)}x raw decrypt`,
  },
  { what: rawDec.name, 'APDUs/s': fmt(rawDec.opsPerSec), 'vs baseline': '1.00x' },
]);
