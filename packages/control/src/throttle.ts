import type { CampaignThrottle } from '@openhes/core';

/** A campaign throttle with every field set; `perMinute` null: unlimited. */
export interface ThrottleLimits {
  maxInFlight: number;
  perMinute: number | null;
  perSegment: number;
  urgentPerSegment: number;
}

/** CampaignThrottle's documented defaults. */
export const DEFAULT_THROTTLE: ThrottleLimits = {
  maxInFlight: 100,
  perMinute: null,
  perSegment: 10,
  urgentPerSegment: 2,
};

export function throttleLimits(
  t: CampaignThrottle | undefined,
  defaults: ThrottleLimits = DEFAULT_THROTTLE,
): ThrottleLimits {
  return {
    maxInFlight: t?.maxInFlight ?? defaults.maxInFlight,
    perMinute: t?.perMinute ?? defaults.perMinute,
    perSegment: t?.perSegment ?? defaults.perSegment,
    urgentPerSegment: t?.urgentPerSegment ?? defaults.urgentPerSegment,
  };
}

/** What one in-flight command takes from the budgets. */
export interface ThrottleSlot {
  campaignId: number | null;
  /** The meter's communication segment; null: no segment budget applies. */
  segment: string | null;
  urgent: boolean;
}

const MINUTE = 60_000;

/**
 * The budgets of the commands one runner has in flight, across campaigns: per campaign its
 * in-flight count and starts in the last minute; per communication segment the in-flight count
 * of every campaign and single command together. A normal command takes a segment slot while
 * fewer than `perSegment` are in flight there; an urgent one while fewer than `perSegment +
 * urgentPerSegment` are (the fast lane normal commands never fill). The limits checked are the
 * command's own campaign's (single commands: the runner's defaults). Per process: several
 * runners each keep their own book.
 */
export class ThrottleBook {
  readonly #segments = new Map<string, number>();
  readonly #campaigns = new Map<number, { inFlight: number; starts: number[] }>();

  /** Whether the slot fits now under `limits`. */
  admits(slot: ThrottleSlot, limits: ThrottleLimits, now: number): boolean {
    if (slot.segment !== null) {
      const used = this.#segments.get(slot.segment) ?? 0;
      const cap = limits.perSegment + (slot.urgent ? limits.urgentPerSegment : 0);
      if (used >= cap) return false;
    }
    if (slot.campaignId === null) return true;
    const c = this.#campaigns.get(slot.campaignId);
    if (c === undefined) return true;
    if (c.inFlight >= limits.maxInFlight) return false;
    if (limits.perMinute !== null) {
      while (c.starts.length > 0 && c.starts[0]! <= now - MINUTE) c.starts.shift();
      if (c.starts.length >= limits.perMinute) return false;
    }
    return true;
  }

  started(slot: ThrottleSlot, now: number): void {
    if (slot.segment !== null) this.#segments.set(slot.segment, (this.#segments.get(slot.segment) ?? 0) + 1);
    if (slot.campaignId === null) return;
    let c = this.#campaigns.get(slot.campaignId);
    if (c === undefined) {
      c = { inFlight: 0, starts: [] };
      this.#campaigns.set(slot.campaignId, c);
    }
    c.inFlight++;
    c.starts.push(now);
  }

  finished(slot: ThrottleSlot): void {
    if (slot.segment !== null) {
      const n = (this.#segments.get(slot.segment) ?? 1) - 1;
      if (n <= 0) this.#segments.delete(slot.segment);
      else this.#segments.set(slot.segment, n);
    }
    if (slot.campaignId === null) return;
    const c = this.#campaigns.get(slot.campaignId);
    if (c !== undefined) c.inFlight = Math.max(0, c.inFlight - 1);
  }

  /** Undoes `started` of a slot whose claim was lost (another runner won it). */
  unstarted(slot: ThrottleSlot, at: number): void {
    this.finished(slot);
    if (slot.campaignId === null) return;
    const starts = this.#campaigns.get(slot.campaignId)?.starts;
    const i = starts?.lastIndexOf(at) ?? -1;
    if (i >= 0) starts?.splice(i, 1);
  }

  inFlight(segment: string): number {
    return this.#segments.get(segment) ?? 0;
  }

  campaignInFlight(campaignId: number): number {
    return this.#campaigns.get(campaignId)?.inFlight ?? 0;
  }

  /** Forgets a finished campaign's starts. */
  forget(campaignId: number): void {
    const c = this.#campaigns.get(campaignId);
    if (c !== undefined && c.inFlight === 0) this.#campaigns.delete(campaignId);
  }
}
