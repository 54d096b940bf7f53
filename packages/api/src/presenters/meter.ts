import type { Channel, Meter } from '@openhes/core';
import { iso } from './time.ts';

export function presentMeter(m: Meter) {
  return {
    id: m.id,
    serial: m.serial,
    manufacturer: m.manufacturer,
    model: m.model,
    deviceProfile: m.deviceProfile,
    protocol: m.protocol,
    address: m.address,
    keyRefs: { ...m.keyRefs } as Record<string, string>,
    status: m.status,
    customerClass: m.customerClass,
    tariff: m.tariff,
    paymentMode: m.paymentMode,
    servicePointId: m.servicePointId,
    sectionId: m.sectionId,
    firmwareVersion: m.firmwareVersion,
    tags: [...m.tags],
    segment: m.segment,
    createdAt: iso(m.createdAt),
    updatedAt: iso(m.updatedAt),
  };
}

export function presentChannel(c: Channel) {
  return {
    id: c.id,
    meterId: c.meterId,
    obis: c.obis,
    attribute: c.attribute,
    kind: c.kind,
    unit: c.unit,
    scaler: c.scaler,
    intervalSeconds: c.intervalSeconds,
  };
}
