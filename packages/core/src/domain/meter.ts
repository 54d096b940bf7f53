import type { Instant } from '../paging.ts';

export const MeterStatus = {
  registered: 'registered',
  commissioned: 'commissioned',
  active: 'active',
  disconnected: 'disconnected',
  decommissioned: 'decommissioned',
} as const;
export type MeterStatus = (typeof MeterStatus)[keyof typeof MeterStatus];

/** Lifecycle moves forward; disconnect/reconnect toggles between active and disconnected. */
const METER_TRANSITIONS: Readonly<Record<MeterStatus, readonly MeterStatus[]>> = {
  registered: ['commissioned', 'decommissioned'],
  commissioned: ['active', 'decommissioned'],
  active: ['disconnected', 'decommissioned'],
  disconnected: ['active', 'decommissioned'],
  decommissioned: [],
};

export function canTransitionMeter(from: MeterStatus, to: MeterStatus): boolean {
  return METER_TRANSITIONS[from].includes(to);
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
