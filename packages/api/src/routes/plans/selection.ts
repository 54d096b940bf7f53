import { cronProblem, type Meter, type NewReadingPlan, planSelects } from '@openhes/core';
import type { ApiContext } from '../../context.ts';
import { ApiError, ApiErrorCode, type FieldProblem } from '../../errors.ts';

function refuse(field: string, message: string, extra: Partial<FieldProblem> = {}): ApiError {
  return new ApiError(400, ApiErrorCode.ValidationFailed, `${field} ${message}`, {
    errors: [{ field, message, ...extra }],
  });
}

/**
 * What the schema cannot check of a plan: a cron the scheduler would refuse, a selector that
 * names nothing, device profiles the head end does not know, meter ids not stored (or
 * decommissioned). 400 naming the field (`body/meters/ids/3`).
 */
export async function checkPlanBody(ctx: ApiContext, plan: NewReadingPlan): Promise<void> {
  const cron = cronProblem(plan.cron);
  if (cron !== null) throw refuse('body/cron', `is not a schedule: ${cron}`);
  const m = plan.meters;
  if (m === 'all') return;
  if (m.profiles === undefined && m.ids === undefined)
    throw refuse('body/meters', 'names neither profiles nor ids (use "all" for every active meter)');
  const known = ctx.deviceProfiles;
  if (m.profiles !== undefined && known !== undefined) {
    const i = m.profiles.findIndex((p) => !known.has(p));
    if (i >= 0) {
      const allowed = [...known].sort();
      throw refuse(
        `body/meters/profiles/${i}`,
        `is not a known device profile: "${m.profiles[i]}" (known: ${allowed.join(', ')})`,
        { allowed },
      );
    }
  }
  if (m.ids !== undefined) {
    const found = new Set(await ctx.store.meters.select({ meterIds: m.ids }));
    const i = m.ids.findIndex((id) => !found.has(id));
    if (i >= 0)
      throw refuse(`body/meters/ids/${i}`, `names no meter: ${m.ids[i]} is not stored or is decommissioned`);
  }
}

export interface PlanSelection {
  activeMeters: number;
  notes: string[];
}

/** Active meters (id and profile), paged through the store once for any number of plans. */
async function activeMeters(ctx: ApiContext): Promise<Pick<Meter, 'id' | 'deviceProfile'>[]> {
  const out: Pick<Meter, 'id' | 'deviceProfile'>[] = [];
  let cursor: string | null = null;
  do {
    const page = await ctx.store.meters.list({ status: 'active', limit: 10_000, cursor });
    for (const x of page.items) out.push({ id: x.id, deviceProfile: x.deviceProfile });
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

const MAX_LISTED = 10;
const listed = (ids: readonly number[]): string =>
  ids.length <= MAX_LISTED ? ids.join(', ') : `${ids.slice(0, MAX_LISTED).join(', ')} … (${ids.length})`;

/**
 * What each plan selects now, as the runner reads it (core's planSelects over the active
 * meters), with notes when it reads nothing or the AND of profiles and ids leaves ids out.
 */
export async function selectionsOf(
  ctx: ApiContext,
  plans: readonly Pick<NewReadingPlan, 'meters'>[],
): Promise<PlanSelection[]> {
  if (plans.length === 0) return [];
  const fleet = await activeMeters(ctx);
  return plans.map(({ meters }) => {
    const notes: string[] = [];
    const selected = fleet.filter((x) => planSelects(meters, x));
    if (meters !== 'all' && meters.ids !== undefined && meters.profiles !== undefined) {
      const profiles = new Set(meters.profiles);
      const ids = new Set(meters.ids);
      const leftOut = fleet.filter((x) => ids.has(x.id) && !profiles.has(x.deviceProfile)).map((x) => x.id);
      if (leftOut.length > 0)
        notes.push(
          `meters ${listed(leftOut)} are listed in ids but are not of the profiles given; profiles and ids combine with AND, so they are not read`,
        );
    }
    if (selected.length === 0)
      notes.push('selects no active meter now: its runs read nothing until an active meter matches');
    return { activeMeters: selected.length, notes };
  });
}
