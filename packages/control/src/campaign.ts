import {
  type Campaign,
  type CampaignProgress,
  type CommandState,
  isCodedError,
  isTerminalCommandState,
  type NewAuditEntry,
  type Store,
} from '@openhes/core';

/** Whether every command of a campaign is in a terminal state. */
export function allTerminal(progress: CampaignProgress): boolean {
  for (const [state, n] of Object.entries(progress))
    if (n > 0 && !isTerminalCommandState(state as CommandState)) return false;
  return true;
}

/**
 * Moves a running campaign to completed when every command of it is terminal (CAS: a paused or
 * cancelled campaign, or one another runner completed first, is left as it is); audited.
 * Returns the campaign when this call completed it.
 */
export async function completeIfDone(
  store: Pick<Store, 'commands' | 'campaigns' | 'audit'>,
  campaignId: number,
  by: string,
): Promise<Campaign | null> {
  const progress = await store.commands.progress(campaignId);
  if (!allTerminal(progress)) return null;
  let done: Campaign;
  try {
    done = await store.campaigns.transition(campaignId, 'running', 'completed', by, { detail: { progress } });
  } catch (e) {
    if (isCodedError(e) && e.kind === 'conflict') return null;
    throw e;
  }
  const entry: NewAuditEntry = {
    actor: by,
    action: 'campaign.completed',
    target: `campaign:${campaignId}`,
    outcome: 'succeeded',
    detail: {
      address: 'system',
      kind: done.kind,
      reason: done.reason,
      dryRun: done.dryRun,
      confirmed: progress.confirmed,
      failed: progress.failed,
      expired: progress.expired,
      cancelled: progress.cancelled,
      rejected: progress.rejected,
    },
  };
  await store.audit.append(entry);
  return done;
}
