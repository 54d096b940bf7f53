import { type Obis, obisKey, parseObis } from './obis.ts';

/**
 * Names of OBIS codes. Exact entries first (Blue Book common objects and the IS 15959
 * objects whose C = 94, D = 91 "India" already makes them unambiguous), then patterns,
 * then the electricity value groups (A = 1) composed from C (quantity and phase), D
 * (processing), E (rate) and F (billing period).
 * The same event-log and push-setup OBIS codes mean different things in different
 * companion specifications; pass `companion` to get those names.
 */
export type ObisCompanion = 'is15959' | 'idis' | 'dsmr';

const EXACT: Readonly<Record<string, string>> = {
  '0.0.1.0.0.255': 'Clock',
  '0.0.42.0.0.255': 'COSEM logical device name',
  '0.0.40.0.0.255': 'Current association (Association LN)',
  '0.0.41.0.0.255': 'SAP assignment',
  '0.0.44.0.0.255': 'Image transfer',
  '0.0.13.0.0.255': 'Activity calendar',
  '0.0.11.0.0.255': 'Special days table',
  '0.0.12.0.0.255': 'Schedule',
  '0.0.14.0.0.255': 'Register activation',
  '0.0.15.0.0.255': 'Single action schedule: end of billing period',
  '0.0.15.0.1.255': 'Single action schedule: disconnect control',
  '0.0.15.0.2.255': 'Single action schedule: image activation',
  '0.0.15.0.4.255': 'Single action schedule: push',
  '0.0.10.0.0.255': 'Script table: global meter reset',
  '0.0.10.0.1.255': 'Script table: MDI reset / end of billing period',
  '0.0.10.0.100.255': 'Script table: tariffication',
  '0.0.10.0.106.255': 'Script table: disconnect control',
  '0.0.10.0.107.255': 'Script table: image activation',
  '0.0.10.0.108.255': 'Script table: push',
  '0.0.17.0.0.255': 'Limiter',
  '0.0.22.0.0.255': 'IEC HDLC setup',
  '0.0.25.0.0.255': 'TCP-UDP setup',
  '0.0.25.1.0.255': 'IPv4 setup',
  '0.0.25.2.0.255': 'MAC address setup',
  '0.0.25.3.0.255': 'PPP setup',
  '0.0.25.4.0.255': 'GPRS modem setup',
  '0.0.25.5.0.255': 'SMTP setup',
  '0.0.25.6.0.255': 'GSM diagnostic',
  '0.0.25.7.0.255': 'IPv6 setup',
  '0.0.25.10.0.255': 'NTP setup',
  '0.0.96.3.10.255': 'Disconnect control',
  '0.0.96.1.0.255': 'Meter serial number',
  '0.0.96.1.1.255': 'Device ID 2 (manufacturer name / equipment identifier)',
  '0.0.96.1.2.255': 'Device ID 3',
  '0.0.96.1.4.255': 'Device ID 5 (year of manufacture in IS 15959)',
  '0.0.96.2.0.255': 'Number of configuration program changes',
  '0.0.96.7.0.255': 'Number of power failures in any phase',
  '0.0.96.7.9.255': 'Number of long power failures in any phase',
  '0.0.96.14.0.255': 'Currently active tariff',
  '0.0.97.97.0.255': 'Error register',
  '0.0.0.1.0.255': 'Billing period counter',
  '0.0.0.1.1.255': 'Number of available billing periods',
  '0.0.0.1.2.255': 'Time stamp of the most recent billing period (billing date)',
  '1.0.0.1.2.255': 'Time stamp of the most recent billing period (billing date)',
  '1.0.0.2.0.255': 'Active firmware identifier (firmware version)',
  '1.0.0.4.2.255': 'Transformer ratio, current (CT ratio)',
  '1.0.0.4.3.255': 'Transformer ratio, voltage (PT ratio)',
  '1.0.0.8.0.255': 'Measurement period 1 (demand integration period)',
  '1.0.0.8.4.255': 'Recording interval 1 (load profile capture period)',
  '1.0.0.8.5.255': 'Recording interval 2 (daily profile capture period)',
  '1.0.99.1.0.255': 'Load profile 1',
  '1.0.99.2.0.255': 'Load profile 2',
  '1.0.98.1.0.255': 'Billing profile (data of billing periods)',
  '0.0.98.1.0.255': 'Billing profile (data of billing periods)',
  '1.0.99.97.0.255': 'Power failure event log',
  // IS 15959 (C = 94 country specific, D = 91 India)
  '0.0.94.91.0.255': 'Cumulative tamper count',
  '0.0.94.91.8.255': 'Cumulative power-off duration',
  '0.0.94.91.9.255': 'Meter type',
  '0.0.94.91.10.255': 'Nameplate profile',
  '0.0.94.91.11.255': 'Meter category',
  '0.0.94.91.12.255': 'Current rating',
  '0.0.94.91.13.255': 'Power-on duration in the billing period',
  '0.0.94.91.14.255': 'Cumulative power-on duration',
  '0.0.94.91.18.255': 'Event status word (ESW)',
  '0.0.94.91.26.255': 'Event status word filter (ESWF)',
  '1.0.94.91.0.255': 'Instantaneous profile',
  '1.0.94.91.3.255': 'Scaler profile: instantaneous',
  '1.0.94.91.4.255': 'Scaler profile: block load',
  '1.0.94.91.5.255': 'Scaler profile: daily load',
  '1.0.94.91.6.255': 'Scaler profile: billing',
  '1.0.94.91.7.255': 'Scaler profile: event logs',
  '1.0.94.91.14.255': 'Current (IS 15959 event capture)',
  '0.0.94.96.19.255': 'Metering mode',
  '0.0.94.96.20.255': 'Payment mode',
  '0.0.94.96.21.255': 'Last token recharge amount',
  '0.0.94.96.22.255': 'Last token recharge time',
  '0.0.94.96.23.255': 'Total amount at last recharge',
  '0.0.94.96.24.255': 'Current balance amount',
  '0.0.94.96.25.255': 'Current balance time',
};

const COMPANION_NAMES: Readonly<Record<ObisCompanion, Readonly<Record<string, string>>>> = {
  is15959: {
    '0.0.40.0.1.255': 'Association LN: public client',
    '0.0.40.0.2.255': 'Association LN: meter reader',
    '0.0.40.0.3.255': 'Association LN: utility settings',
    '0.0.40.0.4.255': 'Association LN: push',
    '0.0.40.0.5.255': 'Association LN: firmware upgrade',
    '0.0.43.0.2.255': 'Security setup: meter reader (LLS)',
    '0.0.43.0.3.255': 'Security setup: utility settings (HLS)',
    '0.0.43.0.4.255': 'Security setup: push',
    '0.0.43.0.5.255': 'Security setup: firmware upgrade',
    '0.0.43.1.2.255': 'Invocation counter: meter reader',
    '0.0.43.1.3.255': 'Invocation counter: utility settings',
    '0.0.43.1.4.255': 'Invocation counter: push',
    '0.0.43.1.5.255': 'Invocation counter: firmware upgrade',
    '0.0.96.1.1.255': 'Manufacturer name',
    '0.0.96.1.2.255': 'Device ID',
    '0.0.96.1.4.255': 'Year of manufacture',
    '0.0.99.98.0.255': 'Voltage related events log',
    '0.0.99.98.1.255': 'Current related events log',
    '0.0.99.98.2.255': 'Power failure events log',
    '0.0.99.98.3.255': 'Transaction events log',
    '0.0.99.98.4.255': 'Other (tamper) events log',
    '0.0.99.98.5.255': 'Non-rollover events log',
    '0.0.99.98.6.255': 'Control events log',
    '0.0.96.11.0.255': 'Event code: voltage related',
    '0.0.96.11.1.255': 'Event code: current related',
    '0.0.96.11.2.255': 'Event code: power failure',
    '0.0.96.11.3.255': 'Event code: transaction',
    '0.0.96.11.4.255': 'Event code: other (tamper)',
    '0.0.96.11.5.255': 'Event code: non-rollover',
    '0.0.96.11.6.255': 'Event code: control',
    '0.0.25.9.0.255': 'Push setup: instantaneous',
    '0.4.25.9.0.255': 'Push setup: alert (ESW)',
    '0.5.25.9.0.255': 'Push setup: block load',
    '0.6.25.9.0.255': 'Push setup: daily energy',
    '1.0.99.1.0.255': 'Block load profile',
    '1.0.99.2.0.255': 'Daily load profile',
    '0.0.15.0.0.255': 'Single action schedule: billing dates',
    '0.0.10.0.1.255': 'Script table: MD reset',
  },
  idis: {
    '0.0.99.98.0.255': 'Standard event log',
    '0.0.99.98.1.255': 'Fraud detection log',
    '0.0.99.98.2.255': 'Disconnector control log',
    '0.0.99.98.3.255': 'M-Bus event log',
    '0.0.99.98.4.255': 'Power quality log',
    '0.0.99.98.5.255': 'Communication log',
    '0.0.96.11.0.255': 'Event code: standard',
    '0.0.96.11.1.255': 'Event code: fraud detection',
    '0.0.96.11.2.255': 'Event code: disconnector control',
    '0.0.96.11.3.255': 'Event code: M-Bus',
    '0.0.96.11.4.255': 'Event code: power quality',
  },
  dsmr: {
    '0.0.99.98.0.255': 'Standard event log',
    '0.0.99.98.1.255': 'Fraud detection log',
    '0.0.99.98.3.255': 'M-Bus event log',
    '0.0.99.98.4.255': 'Communication session log',
    '0.0.99.98.5.255': 'Power quality event log',
    '0.0.99.98.6.255': 'Auxiliary event log',
    '0.0.96.11.0.255': 'Event code: standard',
    '0.0.96.11.1.255': 'Event code: fraud detection',
    '0.0.96.11.3.255': 'Event code: M-Bus',
    '0.0.96.11.4.255': 'Event code: communication session',
    '0.0.96.11.5.255': 'Event code: power quality',
    '0.0.96.1.1.255': 'Equipment identifier',
    '0.0.97.98.0.255': 'Alarm register 1',
    '0.0.97.98.1.255': 'Alarm register 2',
    '0.0.97.98.10.255': 'Alarm filter 1',
    '0.0.97.98.11.255': 'Alarm filter 2',
  },
};

/** A value group matches a number, an inclusive range, or anything (null). */
type GroupMatch = number | readonly [number, number] | null;

interface ObisPattern {
  readonly match: readonly [GroupMatch, GroupMatch, GroupMatch, GroupMatch, GroupMatch, GroupMatch];
  /** {A}…{F} are replaced by the value groups. */
  readonly name: string;
}

const PATTERNS: readonly ObisPattern[] = [
  { match: [0, null, 40, 0, null, 255], name: 'Association LN {E}' },
  { match: [0, null, 43, 0, null, 255], name: 'Security setup {E}' },
  { match: [0, null, 43, 1, null, 255], name: 'Invocation counter (security setup {E})' },
  { match: [0, null, 25, 9, 0, 255], name: 'Push setup {B}' },
  { match: [0, null, 99, 98, null, 255], name: 'Event log {E}' },
  { match: [0, null, 96, 11, null, 255], name: 'Event code {E}' },
  { match: [0, null, 96, 10, null, 255], name: 'Status register {E}' },
  { match: [0, null, 15, 0, null, 255], name: 'Single action schedule {E}' },
  { match: [0, null, 10, 0, null, 255], name: 'Script table {E}' },
  { match: [0, null, 13, 0, null, 255], name: 'Activity calendar {E}' },
  { match: [0, null, 17, 0, null, 255], name: 'Limiter {E}' },
  { match: [0, null, 16, 0, null, 255], name: 'Register monitor {E}' },
  { match: [0, null, 16, 1, null, 255], name: 'Alarm monitor {E}' },
  { match: [0, null, 97, 98, [0, 9], 255], name: 'Alarm register {E}' },
  { match: [0, null, 97, 98, [10, 19], 255], name: 'Alarm filter' },
  { match: [0, null, 97, 98, [20, 29], 255], name: 'Alarm descriptor' },
  { match: [0, null, 96, 3, 10, 255], name: 'Disconnect control {B}' },
  { match: [0, null, 96, 1, [0, 9], 255], name: 'Device ID {E}' },
  { match: [0, null, 24, 2, null, 255], name: 'M-Bus value, channel {B}' },
  { match: [0, null, 24, 3, null, 255], name: 'M-Bus profile, channel {B}' },
  { match: [0, null, 24, 1, 0, 255], name: 'M-Bus client, channel {B}' },
  { match: [1, null, 99, [1, 2], null, 255], name: 'Load profile {D}.{E}' },
  { match: [1, null, 98, 1, null, 255], name: 'Billing profile {E}' },
];

function groupMatches(m: GroupMatch, v: number): boolean {
  if (m === null) return true;
  if (typeof m === 'number') return m === v;
  return v >= m[0] && v <= m[1];
}

function fill(template: string, o: Obis): string {
  return template.replace(/\{([A-F])\}/g, (_, g: string) => String(o['ABCDEF'.indexOf(g)]));
}

/** Quantities of value group C 1..20 (repeated for L1 at 21..40, L2 at 41..60, L3 at 61..80). */
const QUANTITY: Readonly<Record<number, { power: string; energy?: string }>> = {
  1: { power: 'active power import (+P)', energy: 'active energy import (+A)' },
  2: { power: 'active power export (-P)', energy: 'active energy export (-A)' },
  3: { power: 'reactive power import (+Q)', energy: 'reactive energy import (+R)' },
  4: { power: 'reactive power export (-Q)', energy: 'reactive energy export (-R)' },
  5: { power: 'reactive power QI', energy: 'reactive energy QI (+Ri)' },
  6: { power: 'reactive power QII', energy: 'reactive energy QII (+Rc)' },
  7: { power: 'reactive power QIII', energy: 'reactive energy QIII (-Ri)' },
  8: { power: 'reactive power QIV', energy: 'reactive energy QIV (-Rc)' },
  9: { power: 'apparent power import (+S)', energy: 'apparent energy import' },
  10: { power: 'apparent power export (-S)', energy: 'apparent energy export' },
  11: { power: 'current' },
  12: { power: 'voltage' },
  13: { power: 'power factor' },
  14: { power: 'frequency' },
  15: { power: 'active power absolute (|+P|+|-P|)', energy: 'active energy absolute (|+A|+|-A|)' },
  16: { power: 'active power net (|+P|-|-P|)', energy: 'active energy net (|+A|-|-A|)' },
  17: { power: 'active power QI', energy: 'active energy QI' },
  18: { power: 'active power QII', energy: 'active energy QII' },
  19: { power: 'active power QIII', energy: 'active energy QIII' },
  20: { power: 'active power QIV', energy: 'active energy QIV' },
};

const OTHER_C: Readonly<Record<number, string>> = {
  81: 'angle',
  88: 'ampere-squared hours (ΣLi)',
  89: 'volt-squared hours (ΣLi)',
  90: 'current sum of all phases',
  91: 'neutral current',
  92: 'neutral voltage',
};

/** Value group D for electricity (Blue Book processing of the quantity). */
const PROCESSING: Readonly<Record<number, string>> = {
  0: 'billing period average',
  1: 'cumulative minimum 1',
  2: 'cumulative maximum 1',
  3: 'minimum 1',
  4: 'current average 1',
  5: 'last average 1',
  6: 'maximum 1',
  9: 'time integral 2',
  10: 'time integral 3',
  11: 'cumulative minimum 2',
  12: 'cumulative maximum 2',
  13: 'minimum 2',
  14: 'current average 2',
  15: 'last average 2',
  16: 'maximum 2',
  17: 'time integral 7',
  18: 'time integral 8',
  19: 'time integral 9',
  20: 'time integral 10',
  21: 'cumulative minimum 3',
  22: 'cumulative maximum 3',
  23: 'minimum 3',
  24: 'current average 3',
  25: 'last average 3',
  26: 'maximum 3',
  27: 'current average 5',
  28: 'current average 6',
  30: 'time integral 6',
  31: 'under limit threshold',
  32: 'under limit occurrence counter',
  33: 'under limit duration',
  34: 'under limit magnitude',
  35: 'over limit threshold',
  36: 'over limit occurrence counter',
  37: 'over limit duration',
  38: 'over limit magnitude',
  39: 'missing threshold',
  40: 'missing occurrence counter',
  41: 'missing duration',
  42: 'missing magnitude',
  58: 'time integral 4',
};

const TARIFF_D: ReadonlySet<number> = new Set([2, 6, 8, 9, 10, 12, 16, 17, 18, 19, 20, 22, 26, 29, 30, 58]);

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function electricityName(o: Obis): string | undefined {
  const [, b, c, d, e, f] = o;
  let quantity: { power: string; energy?: string } | undefined;
  let phase = '';
  if (c >= 1 && c <= 80) {
    quantity = QUANTITY[((c - 1) % 20) + 1];
    phase = c > 20 ? ` L${Math.floor((c - 1) / 20)}` : '';
  } else if (OTHER_C[c] !== undefined) {
    quantity = { power: OTHER_C[c]! };
  }
  if (quantity === undefined) return undefined;
  const q = `${quantity.power}${phase}`;
  const energy = quantity.energy === undefined ? undefined : `${quantity.energy}${phase}`;
  let name: string;
  if (d === 7) name = q;
  else if (d === 8) name = energy ?? `${q}, time integral 1`;
  else if (d === 29) name = energy === undefined ? `${q}, time integral 5` : `block ${energy}`;
  else if ((d === 6 || d === 16 || d === 26) && energy !== undefined) {
    name = `maximum demand ${quantity.power}${phase}${d === 6 ? '' : ` (${PROCESSING[d]})`}`;
  } else if ([4, 5, 14, 15, 24, 25, 27, 28].includes(d)) name = `average ${q} (${PROCESSING[d]})`;
  else if (d === 0 && c === 13) name = `average power factor${phase} for the billing period`;
  else if (PROCESSING[d] !== undefined) name = `${q}, ${PROCESSING[d]}`;
  else return undefined;
  if (e !== 0) name += TARIFF_D.has(d) ? ` rate ${e}` : ` (E=${e})`;
  if (b !== 0) name += ` channel ${b}`;
  if (f !== 255) name += f <= 99 ? ` (billing period ${f})` : ` (F=${f})`;
  return capitalise(name);
}

/** Every exact name, for listing (e.g. `hes obis list`). */
export function knownObisNames(companion?: ObisCompanion): ReadonlyMap<string, string> {
  const out = new Map(Object.entries(EXACT));
  if (companion) for (const [k, v] of Object.entries(COMPANION_NAMES[companion])) out.set(k, v);
  return out;
}

export function obisName(o: Obis | string, companion?: ObisCompanion): string | undefined {
  const code = typeof o === 'string' ? parseObis(o) : o;
  const key = obisKey(code);
  const exact = (companion && COMPANION_NAMES[companion][key]) ?? EXACT[key];
  if (exact !== undefined) return exact;
  for (const p of PATTERNS) {
    if (p.match.every((m, i) => groupMatches(m, code[i]!))) return fill(p.name, code);
  }
  if (code[0] === 1) return electricityName(code);
  return undefined;
}
