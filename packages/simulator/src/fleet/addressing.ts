/**
 * Meter i answers on loopback address 127.a.b.c with c in 1..254 (no .0 or .255 host part):
 * i = ((a − 1) × 256 + b) × 254 + (c − 1). Linux routes all of 127/8 to the loopback device, so
 * one socket listening on 0.0.0.0 sees the dialled address as its local address.
 */
export const MAX_METERS = 254 * 256 * 254;

export function meterAddress(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_METERS)
    throw new RangeError(`meter ${index} has no address`);
  const block = Math.floor(index / 254);
  return `127.${1 + Math.floor(block / 256)}.${block % 256}.${1 + (index % 254)}`;
}

/** The meter index behind a dialled address, or undefined for addresses outside the plan. */
export function meterIndexOf(address: string): number | undefined {
  const m = /^(?:::ffff:)?127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = Number(m[2]);
  const c = Number(m[3]);
  if (a < 1 || a > 254 || b > 255 || c < 1 || c > 254) return undefined;
  return ((a - 1) * 256 + b) * 254 + (c - 1);
}

/** A listening address that takes every local address (so every 127.a.b.c on one socket). */
export function isWildcardAddress(host: string): boolean {
  return host === '' || host === '0.0.0.0' || /^(?:0{0,4}:){2,7}0{0,4}$/.test(host);
}

/** A loopback address: 127/8 (also IPv4-mapped) or ::1. */
export function isLoopbackAddress(address: string): boolean {
  return (
    /^(?:::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/i.test(address) || /^(?:0{0,4}:){2,7}0{0,3}1$/.test(address)
  );
}
