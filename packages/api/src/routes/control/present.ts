import type { Campaign, CampaignProgress, Command, FirmwareImage, Meter } from '@openhes/core';
import { iso, isoOrNull } from '../../presenters/time.ts';

const presentHistory = (h: {
  state: string;
  at: number;
  by: string;
  detail: Record<string, unknown> | null;
}) => ({
  state: h.state,
  at: iso(h.at),
  by: h.by,
  detail: h.detail,
});

export function presentCommand(c: Command) {
  return {
    id: c.id,
    kind: c.kind,
    meterId: c.meterId,
    campaignId: c.campaignId,
    parameters: c.parameters,
    reason: c.reason,
    priority: c.priority,
    state: c.state,
    attempts: c.attempts,
    deadline: isoOrNull(c.deadline),
    requestedBy: c.requestedBy,
    requestedFrom: c.requestedFrom,
    approvedBy: c.approvedBy,
    progress: c.progress,
    result: c.result,
    error: c.error,
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
    history: c.history.map(presentHistory),
  };
}

export function presentCampaign(c: Campaign) {
  return {
    id: c.id,
    name: c.name,
    kind: c.kind,
    target: c.target as Record<string, unknown>,
    parameters: c.parameters,
    reason: c.reason,
    priority: c.priority,
    throttle: c.throttle as Record<string, unknown>,
    deadline: isoOrNull(c.deadline),
    dryRun: c.dryRun,
    state: c.state,
    meterCount: c.meterCount,
    requestedBy: c.requestedBy,
    requestedFrom: c.requestedFrom,
    approvedBy: c.approvedBy,
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
    history: c.history.map(presentHistory),
  };
}

export function presentCampaignWithProgress(c: Campaign, progress: CampaignProgress) {
  return { ...presentCampaign(c), progress };
}

/** One meter's line in a campaign's results. */
export function presentMeterResult(c: Command, meter: Pick<Meter, 'serial'> | null) {
  return {
    commandId: c.id,
    meter: { id: c.meterId, serial: meter?.serial ?? null },
    state: c.state,
    attempts: c.attempts,
    result: c.result,
    error: c.error,
    updatedAt: iso(c.updatedAt),
  };
}

export function presentImage(i: FirmwareImage) {
  return {
    id: i.id,
    identifier: i.identifier,
    version: i.version,
    deviceProfiles: i.deviceProfiles,
    size: i.size,
    sha256: i.sha256,
    uploadedBy: i.uploadedBy,
    uploadedAt: iso(i.uploadedAt),
  };
}
