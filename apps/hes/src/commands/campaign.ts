import {
  type Actor,
  type Campaign,
  type CampaignProgress,
  CampaignState,
  type CampaignTarget,
  type CampaignThrottle,
  type CommandKind,
  type CommandReason,
  type CommandState,
  type ControlPort,
} from '@openhes/core';
import type { Command } from 'commander';
import type { Io } from '../io.ts';
import {
  type ControlCliOptions,
  cliActor,
  collect,
  commandLine,
  controlOptions,
  idList,
  iso,
  isoInstant,
  jsonObject,
  KINDS,
  oneOf,
  pages,
  parameters,
  positiveId,
  print,
  REASONS,
  runControl,
  STATES,
  UsageError,
  usageExits,
} from './command.ts';

const CAMPAIGN_STATES: readonly string[] = Object.values(CampaignState);

interface TargetOptions {
  target?: string;
  ids?: string;
  model?: string[];
  profile?: string[];
  firmware?: string[];
  tag?: string[];
  segment?: string[];
  node?: string[];
}

const TARGET_FIELDS: Readonly<Record<string, 'numbers' | 'strings'>> = {
  meterIds: 'numbers',
  models: 'strings',
  deviceProfiles: 'strings',
  firmwareVersions: 'strings',
  nodes: 'numbers',
  tags: 'strings',
  segments: 'strings',
};

const split = (values: readonly string[] | undefined): string[] | undefined =>
  values === undefined
    ? undefined
    : values.flatMap((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      );

/**
 * The campaign's group: `--target JSON` (the CampaignTarget fields) and/or the shorthand
 * options, each a field of the target (every field given must match; a list matches any).
 */
export function targetOf(o: TargetOptions): CampaignTarget {
  const target: CampaignTarget = {};
  if (o.target !== undefined) {
    const t = jsonObject('--target', o.target);
    for (const [k, v] of Object.entries(t)) {
      const shape = TARGET_FIELDS[k];
      if (shape === undefined)
        throw new UsageError(
          `--target: unknown field "${k}" (known: ${Object.keys(TARGET_FIELDS).join(', ')})`,
        );
      const ok =
        Array.isArray(v) &&
        v.every((x) =>
          shape === 'numbers' ? Number.isSafeInteger(x) && (x as number) > 0 : typeof x === 'string',
        );
      if (!ok)
        throw new UsageError(
          `--target.${k} must be an array of ${shape === 'numbers' ? 'positive integers' : 'strings'}`,
        );
      (target as Record<string, unknown>)[k] = v;
    }
  }
  const set = <K extends keyof CampaignTarget>(
    k: K,
    v: CampaignTarget[K] | undefined,
    option: string,
  ): void => {
    if (v === undefined) return;
    if (target[k] !== undefined) throw new UsageError(`${option} and --target.${k} both given; give one`);
    target[k] = v;
  };
  set('meterIds', o.ids === undefined ? undefined : idList('--ids', o.ids), '--ids');
  set('models', split(o.model), '--model');
  set('deviceProfiles', split(o.profile), '--profile');
  set('firmwareVersions', split(o.firmware), '--firmware');
  set('tags', split(o.tag), '--tag');
  set('segments', split(o.segment), '--segment');
  set(
    'nodes',
    split(o.node)?.map((n) => positiveId('--node', n)),
    '--node',
  );
  if (Object.keys(target).length === 0)
    throw new UsageError(
      'a campaign needs a target: --target JSON, --ids, --model, --profile, --firmware, --tag, --segment or --node',
    );
  return target;
}

const THROTTLE_FIELDS = ['maxInFlight', 'perMinute', 'perSegment', 'urgentPerSegment'] as const;

export function throttleOf(text: string): CampaignThrottle {
  const t = jsonObject('--throttle', text);
  const out: CampaignThrottle = {};
  for (const [k, v] of Object.entries(t)) {
    if (!(THROTTLE_FIELDS as readonly string[]).includes(k))
      throw new UsageError(`--throttle: unknown field "${k}" (known: ${THROTTLE_FIELDS.join(', ')})`);
    if (!Number.isSafeInteger(v) || (v as number) < 0)
      throw new UsageError(`--throttle.${k} must be a non-negative integer`);
    out[k as (typeof THROTTLE_FIELDS)[number]] = v as number;
  }
  return out;
}

function progressText(p: CampaignProgress): string {
  return Object.entries(p)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
}

function campaignLine(c: Campaign): string {
  return [
    `#${c.id}`,
    c.name,
    c.kind,
    c.state,
    `${c.meterCount} meter(s)`,
    c.dryRun ? 'dry run' : '',
    c.reason,
    `by ${c.requestedBy}`,
  ]
    .filter((s) => s !== '')
    .join('  ');
}

function campaignDetail(c: Campaign, p: CampaignProgress): string[] {
  return [
    `campaign ${c.id} "${c.name}": ${c.kind} over ${c.meterCount} meter(s), ${c.state}${c.dryRun ? ' (dry run against simulated twins)' : ''}`,
    `  target ${JSON.stringify(c.target)}`,
    `  parameters ${JSON.stringify(c.parameters)}`,
    `  reason ${c.reason}, priority ${c.priority}, throttle ${JSON.stringify(c.throttle)}, deadline ${iso(c.deadline)}`,
    `  requested by ${c.requestedBy} from ${c.requestedFrom ?? '-'} at ${iso(c.createdAt)}${c.approvedBy === null ? '' : `, approved by ${c.approvedBy}`}`,
    `  progress: ${progressText(p) || 'no commands'}`,
    '  history:',
    ...c.history.map(
      (h) =>
        `    ${iso(h.at)}  ${h.state}  by ${h.by}${h.detail === null ? '' : `  ${JSON.stringify(h.detail)}`}`,
    ),
  ];
}

interface CreateOptions extends ControlCliOptions, TargetOptions {
  name: string;
  kind: string;
  param?: string[];
  params?: string;
  reason: string;
  urgent?: boolean;
  deadline?: string;
  dryRun?: boolean;
  throttle?: string;
}

async function campaignOf(
  ctx: { store: { campaigns: { get(id: number): Promise<Campaign | null> } } },
  id: number,
) {
  const c = await ctx.store.campaigns.get(id);
  if (c === null)
    throw Object.assign(new Error(`campaign ${id} does not exist`), { code: 'CONTROL_NOT_FOUND' });
  return c;
}

/**
 * `hes campaign …`: one operation over a group of meters, for scripting: created (running,
 * or awaiting a second user's approval) here, executed by the running head end.
 */
export function registerCampaignCommands(program: Command, io: Io): void {
  const group = usageExits(
    program
      .command('campaign')
      .description('campaigns: one operation over a group of meters, throttled, approved, resumable'),
  );

  controlOptions(
    group
      .command('create')
      .description('ask for an operation over a group; --dry-run rehearses it against simulated twins')
      .requiredOption('--name <name>', 'campaign name')
      .requiredOption('--kind <kind>', `one of ${KINDS.join(', ')}`)
      .option(
        '--target <json>',
        'the group as JSON: {meterIds, models, deviceProfiles, firmwareVersions, nodes, tags, segments}',
      )
      .option('--ids <list>', 'meter ids, comma-separated')
      .option('--model <model>', 'meters of this model (repeatable or comma-separated)', collect)
      .option('--profile <id>', 'meters of this device profile (repeatable)', collect)
      .option('--firmware <version>', 'meters on this firmware version (repeatable)', collect)
      .option('--tag <tag>', 'meters with this tag (repeatable)', collect)
      .option('--segment <name>', 'meters in this communication segment (repeatable)', collect)
      .option('--node <id>', 'meters below this topology node (repeatable)', collect)
      .option('--param <key=value>', 'a parameter (repeatable; JSON values and @file allowed)', collect)
      .option('--params <json>', 'all parameters as a JSON object (or @file)')
      .requiredOption('--reason <reason>', `one of ${REASONS.join(', ')}`)
      .option('--urgent', 'the fast lane of each segment')
      .option('--deadline <iso>', 'each command expires unless done by then')
      .option('--dry-run', 'rehearse against simulated twins of the target meters; no real meter is touched')
      .option('--throttle <json>', '{maxInFlight, perMinute, perSegment, urgentPerSegment}'),
    true,
  ).action((o: CreateOptions) =>
    runControl(io, o, async (ctx, control) => {
      const kind = oneOf<CommandKind>('--kind', o.kind, KINDS);
      const reason = oneOf<CommandReason>('--reason', o.reason, REASONS);
      const target = targetOf(o);
      const params = parameters(o.params, o.param);
      const throttle = o.throttle === undefined ? undefined : throttleOf(o.throttle);
      const deadline = o.deadline === undefined ? undefined : isoInstant('--deadline', o.deadline);
      if (o.name.trim() === '') throw new UsageError('--name must not be empty');
      const actor = await cliActor(ctx, o.as);
      const c = await control().requestCampaign(
        {
          name: o.name,
          kind,
          target,
          parameters: params,
          reason,
          ...(o.urgent ? { priority: 'urgent' as const } : {}),
          ...(throttle === undefined ? {} : { throttle }),
          ...(deadline === undefined ? {} : { deadline }),
          ...(o.dryRun ? { dryRun: true } : {}),
        },
        actor,
      );
      print(io, o, c, () => [
        `campaign ${c.id} "${c.name}": ${c.kind} over ${c.meterCount} meter(s) ${c.state}${c.dryRun ? ' (dry run)' : ''}${c.state === 'awaiting-approval' ? ' (a second user with the approver right must approve it)' : ''}`,
      ]);
    }),
  );

  controlOptions(
    group
      .command('list')
      .description('campaigns, oldest first')
      .option('--state <state>', `one of ${CAMPAIGN_STATES.join(', ')}`)
      .option('--kind <kind>', 'of this kind')
      .option('--by <user>', 'requested by this user')
      .option('--dry-run', 'rehearsals only')
      .option('--newest', 'newest first')
      .option('--limit <n>', 'at most this many (default: all)'),
    false,
  ).action(
    (
      o: ControlCliOptions & {
        state?: string;
        kind?: string;
        by?: string;
        dryRun?: boolean;
        newest?: boolean;
        limit?: string;
      },
    ) =>
      runControl(io, o, async (ctx) => {
        const query = {
          ...(o.state === undefined
            ? {}
            : { state: oneOf<CampaignState>('--state', o.state, CAMPAIGN_STATES) }),
          ...(o.kind === undefined ? {} : { kind: oneOf<CommandKind>('--kind', o.kind, KINDS) }),
          ...(o.by === undefined ? {} : { requestedBy: o.by }),
          ...(o.dryRun ? { dryRun: true } : {}),
          order: o.newest ? ('desc' as const) : ('asc' as const),
        };
        const limit = o.limit === undefined ? undefined : positiveId('--limit', o.limit);
        const items = await pages(
          (cursor, l) => ctx.store.campaigns.list({ ...query, cursor, limit: l }),
          limit,
        );
        print(io, o, items, () => (items.length === 0 ? ['no campaigns'] : items.map(campaignLine)));
      }),
  );

  controlOptions(
    group
      .command('show')
      .description('one campaign with its progress by state')
      .argument('<id>', 'campaign id'),
    false,
  ).action((idText: string, o: ControlCliOptions) =>
    runControl(io, o, async (ctx) => {
      const c = await campaignOf(ctx, positiveId('campaign id', idText));
      const progress = await ctx.store.commands.progress(c.id);
      print(io, o, { ...c, progress }, () => campaignDetail(c, progress));
    }),
  );

  controlOptions(
    group
      .command('results')
      .description('per-meter results of a campaign (for a dry run: what the real run would do)')
      .argument('<id>', 'campaign id')
      .option('--state <state>', `only commands in this state (${STATES.join(', ')})`),
    false,
  ).action((idText: string, o: ControlCliOptions & { state?: string }) =>
    runControl(io, o, async (ctx) => {
      const c = await campaignOf(ctx, positiveId('campaign id', idText));
      const state = o.state === undefined ? undefined : oneOf<CommandState>('--state', o.state, STATES);
      const items = await pages(
        (cursor, limit) =>
          ctx.store.commands.list({
            campaignId: c.id,
            ...(state === undefined ? {} : { state }),
            cursor,
            limit,
          }),
        undefined,
      );
      print(io, o, items, () => (items.length === 0 ? ['no commands'] : items.map(commandLine)));
    }),
  );

  const act = (
    name: 'approve' | 'reject' | 'pause' | 'resume' | 'cancel',
    description: string,
    run: (control: ControlPort, id: number, actor: Actor, note?: string) => Promise<Campaign>,
  ): void => {
    const cmd = group.command(name).description(description).argument('<id>', 'campaign id');
    if (name === 'reject') cmd.option('--note <text>', 'why (audited)');
    controlOptions(cmd, true).action((idText: string, o: ControlCliOptions & { note?: string }) =>
      runControl(io, o, async (ctx, control) => {
        const id = positiveId('campaign id', idText);
        const actor = await cliActor(ctx, o.as);
        const c = await run(control(), id, actor, o.note);
        print(io, o, c, () => [`campaign ${c.id} "${c.name}": ${c.state}`]);
      }),
    );
  };
  act('approve', 'approve another user’s campaign (the approver right; never one’s own)', (c, id, a) =>
    c.approveCampaign(id, a),
  );
  act('reject', 'reject a campaign awaiting approval', (c, id, a, note) => c.rejectCampaign(id, a, note));
  act('pause', 'start no further commands of the campaign', (c, id, a) => c.pauseCampaign(id, a));
  act('resume', 'continue a paused campaign', (c, id, a) => c.resumeCampaign(id, a));
  act('cancel', 'cancel the campaign and its commands not yet sending', (c, id, a) =>
    c.cancelCampaign(id, a),
  );
}
