import type { Instant } from '../paging.ts';

/**
 * The registry lifecycle of a meter, driven by users (API, CLI):
 * - `registered`: in the registry (e.g. imported before installation); not read on schedule;
 * - `commissioned`: installed and checked (an on-demand read works); not read on schedule;
 * - `active`: in service, the only status the plan runner reads on schedule;
 * - `suspended`: kept in the registry but not read on schedule (vacant premises, a meter under
 *   investigation); back to `active` by resuming;
 * - `decommissioned`: final, never read again.
 * The supply state (disconnector open or closed) is not a registry status: a disconnected
 * meter still communicates and is read; its relay state belongs to meter control.
 * On-demand reads are allowed in every status but `decommissioned`.
 */
export const MeterStatus = {
  registered: 'registered',
  commissioned: 'commissioned',
  active: 'active',
  suspended: 'suspended',
  decommissioned: 'decommissioned',
} as const;
export type MeterStatus = (typeof MeterStatus)[keyof typeof MeterStatus];

/** The statuses whose meters the plan runner reads on schedule. */
export const SCHEDULED_READ_STATUSES: readonly MeterStatus[] = [MeterStatus.active];

/** Lifecycle moves forward; suspend and resume toggle between active and suspended. */
const METER_TRANSITIONS: Readonly<Record<MeterStatus, readonly MeterStatus[]>> = {
  registered: ['commissioned', 'active', 'decommissioned'],
  commissioned: ['active', 'decommissioned'],
  active: ['suspended', 'decommissioned'],
  suspended: ['active', 'decommissioned'],
  decommissioned: [],
};

/** The statuses a meter in `from` may move to (empty for an unknown or final status). */
export function meterTransitionsFrom(from: MeterStatus): readonly MeterStatus[] {
  return Object.hasOwn(METER_TRANSITIONS, from) ? METER_TRANSITIONS[from] : [];
}

export function canTransitionMeter(from: MeterStatus, to: MeterStatus): boolean {
  return meterTransitionsFrom(from).includes(to);
}

/** Why a meter cannot go from `from` to `to`, naming the allowed targets; undefined when it may. */
export function meterTransitionProblem(from: MeterStatus, to: MeterStatus): string | undefined {
  if (from === to || canTransitionMeter(from, to)) return undefined;
  const allowed = meterTransitionsFrom(from);
  return `a ${from} meter cannot become ${to} (allowed from ${from}: ${allowed.length === 0 ? 'none, it is final' : allowed.join(', ')})`;
}

export const CustomerClass = {
  residential: 'residential',
  commercial: 'commercial',
  industrial: 'industrial',
} as const;
export type CustomerClass = (typeof CustomerClass)[keyof typeof CustomerClass];

export const PaymentMode = { postpaid: 'postpaid', prepaid: 'prepaid' } as const;
export type PaymentMode = (typeof PaymentMode)[keyof typeof PaymentMode];

export const MeterProtocol = {
  dlmsTcp: 'dlms-tcp',
  dlmsHdlc: 'dlms-hdlc',
  dlmsUdp: 'dlms-udp',
  iec62056_21: 'iec62056-21',
  modbus: 'modbus',
  mqtt: 'mqtt',
} as const;
export type MeterProtocol = (typeof MeterProtocol)[keyof typeof MeterProtocol];

/** Purpose of a key referenced by a meter (DLMS security suite keys and passwords). */
export type KeyPurpose = 'guek' | 'gbek' | 'gak' | 'kek' | 'hls-secret' | 'lls-password';

export interface Meter {
  id: number;
  serial: string;
  manufacturer: string;
  model: string;
  /** Name of the device profile (JSON data) that describes this model. */
  deviceProfile: string;
  protocol: MeterProtocol;
  /** Transport address, e.g. `10.1.2.3:4059` or an HDLC physical address. */
  address: string;
  /** Key references by purpose (ids in the key store, never key material). */
  keyRefs: Partial<Record<KeyPurpose, string>>;
  status: MeterStatus;
  customerClass: CustomerClass;
  tariff: string | null;
  paymentMode: PaymentMode;
  servicePointId: number | null;
  sectionId: number | null;
  /** Active firmware identifier as last read or confirmed (null: unknown). */
  firmwareVersion: string | null;
  /** Free labels for grouping (campaign targets, filters). */
  tags: string[];
  /** Communication segment (cell, concentrator, gateway) whose capacity campaigns share. */
  segment: string | null;
  createdAt: Instant;
  updatedAt: Instant;
}

export interface NewMeter {
  serial: string;
  manufacturer: string;
  model: string;
  deviceProfile: string;
  protocol: MeterProtocol;
  address: string;
  keyRefs?: Partial<Record<KeyPurpose, string>>;
  status?: MeterStatus;
  customerClass?: CustomerClass;
  tariff?: string | null;
  paymentMode?: PaymentMode;
  servicePointId?: number | null;
  sectionId?: number | null;
  firmwareVersion?: string | null;
  tags?: string[];
  segment?: string | null;
}

export type MeterPatch = Partial<
  Pick<
    Meter,
    | 'manufacturer'
    | 'model'
    | 'deviceProfile'
    | 'protocol'
    | 'address'
    | 'keyRefs'
    | 'customerClass'
    | 'tariff'
    | 'paymentMode'
    | 'servicePointId'
    | 'sectionId'
    | 'firmwareVersion'
    | 'tags'
    | 'segment'
  >
>;
