/**
 * Where a meter is and how to address it, kept in `Meter.address`: `host:port` followed by
 * `?logical=N&physical=N&st=HEX&udp=1` as needed.
 */
export interface MeterEndpoint {
  host: string;
  port: number;
  transport: 'tcp' | 'udp';
  logical: number | undefined;
  physical: number | undefined;
  /** The meter's system title, hex. */
  systemTitle: string | undefined;
}

export function formatMeterAddress(e: MeterEndpoint): string {
  const q = new URLSearchParams();
  if (e.logical !== undefined) q.set('logical', String(e.logical));
  if (e.physical !== undefined) q.set('physical', String(e.physical));
  if (e.systemTitle !== undefined) q.set('st', e.systemTitle.toUpperCase());
  if (e.transport === 'udp') q.set('udp', '1');
  const qs = q.toString();
  return `${e.host}:${e.port}${qs === '' ? '' : `?${qs}`}`;
}
