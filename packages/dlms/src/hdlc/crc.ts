/**
 * CRC-16/X.25 (HDLC FCS, ISO/IEC 13239): polynomial 0x1021 processed reflected (0x8408),
 * init 0xFFFF, reflected in and out, xorout 0xFFFF. check("123456789") = 0x906E.
 * On the wire the HCS and FCS are sent least significant byte first.
 */
const TABLE: Uint16Array = (() => {
  const t = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x8408 : c >>> 1;
    t[n] = c;
  }
  return t;
})();

export function crc16x25(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ bytes[i]!) & 0xff]!;
  return (crc ^ 0xffff) & 0xffff;
}
