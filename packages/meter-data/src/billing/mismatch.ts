import { type Channel, type NewVeeException, type RegisterCheck, type Store, VeeRule } from '@openhes/core';
import { RULE_QUALITY } from '../vee/quality.ts';
import type { BillingGroup } from './groups.ts';
import { wallOf } from './zone.ts';

/** `detail.source` of the findings billing records (VEE's own findings have none). */
export const BILLING_FINDING_SOURCE = 'billing';

function isBillingFinding(e: { rule: string; detail: Record<string, unknown> | null }): boolean {
  return e.rule === VeeRule.sumCheck && e.detail?.source === BILLING_FINDING_SOURCE;
}

/**
 * A register check beyond its tolerance becomes a VEE exception the operator sees, works and
 * resolves with the others (GET /vee/exceptions, POST /vee/exceptions/:id/resolve): rule
 * `sum-check` (the sum of the intervals against the register's delta) on the meter's TOU
 * register channel, from and to the interval ends the two register reads bracket,
 * `detail.source` 'billing' with the cycle and the figures. Recorded through the VEE store's
 * run write over the one instant `from` of the register channel: a rebill that finds the
 * registers agreeing again clears the open finding, a resolved one keeps its resolution, and
 * any other open finding starting at that instant is written back unchanged.
 */
export async function recordRegisterMismatches(
  store: Pick<Store, 'channels' | 'vee'>,
  meterId: number,
  cycle: string,
  group: BillingGroup,
  checks: readonly RegisterCheck[],
): Promise<number> {
  if (checks.length === 0) return 0;
  let channels: Channel[] | null = null;
  let opened = 0;
  for (const c of checks) {
    channels ??= await store.channels.forMeter(meterId);
    const reg = channels.find((x) => x.obis === c.obis && x.attribute === 2 && x.kind === 'register');
    if (reg === undefined) continue;
    const there = await store.vee.exceptions({ channelId: reg.id, from: c.from, to: c.from + 1, limit: 500 });
    const mine = there.items.filter(isBillingFinding);
    if (c.ok && !mine.some((e) => e.status === 'open')) continue;
    const others: NewVeeException[] = there.items
      .filter((e) => !isBillingFinding(e) && e.status === 'open')
      .map((e) => ({
        meterId: e.meterId,
        channelId: e.channelId,
        rule: e.rule,
        from: e.from,
        to: e.to,
        day: e.day,
        groupId: e.groupId,
        qualityCode: e.qualityCode,
        detail: e.detail,
      }));
    const finding: NewVeeException[] = c.ok
      ? []
      : [
          {
            meterId,
            channelId: reg.id,
            rule: VeeRule.sumCheck,
            from: c.from,
            to: c.to,
            day: wallOf(c.from, group.timeZone).date,
            groupId: group.id,
            qualityCode: RULE_QUALITY[VeeRule.sumCheck],
            detail: {
              source: BILLING_FINDING_SOURCE,
              cycle,
              period: c.period,
              obis: c.obis,
              registerMilliWh: c.registerMilliWh,
              intervalMilliWh: c.intervalMilliWh,
              differenceMilliWh: c.registerMilliWh - c.intervalMilliWh,
              toleranceMilliWh: c.toleranceMilliWh,
            },
          },
        ];
    const r = await store.vee.saveRun({
      channelId: reg.id,
      from: c.from,
      to: c.from + 1,
      exceptions: [...others, ...finding],
      days: [],
      finalDays: 0,
    });
    opened += r.opened;
  }
  return opened;
}
