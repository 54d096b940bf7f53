import type {
  Campaign as CampaignRecord,
  CampaignRequest,
  CampaignState,
  CommandKind,
  CommandState,
  ControlPort,
} from '@openhes/core';
import type { FastifyRequest } from 'fastify';
import type { Api, ApiContext } from '../../context.ts';
import { notFound } from '../../errors.ts';
import { IdParams, replies } from '../common/schema.ts';
import {
  accepted,
  actorOf,
  callControl,
  defined,
  emptyBodyAsObject,
  instantOf,
  oneOrMany,
  parametersFor,
} from './common.ts';
import { presentCampaign, presentCampaignWithProgress, presentMeterResult } from './present.ts';
import {
  Campaign,
  CampaignCommandQuery,
  CampaignListQuery,
  CampaignPage,
  CampaignWithProgress,
  MeterResultPage,
  NewCampaignBody,
  NoteBody,
  Preview,
  PreviewBody,
} from './schema.ts';

type Actor = Awaited<ReturnType<typeof actorOf>>;

/** The campaign moves an operator or approver may ask for, each one call of the service. */
const MOVES: readonly {
  path: 'approve' | 'reject' | 'pause' | 'resume' | 'cancel';
  summary: string;
  run(control: ControlPort, id: number, actor: Actor, note: string | undefined): Promise<CampaignRecord>;
}[] = [
  {
    path: 'approve',
    summary: 'Approve a campaign awaiting approval (needs the approver right; not one’s own request)',
    run: (c, id, actor) => c.approveCampaign(id, actor),
  },
  {
    path: 'reject',
    summary: 'Reject a campaign awaiting approval (needs the approver right)',
    run: (c, id, actor, note) => c.rejectCampaign(id, actor, note),
  },
  {
    path: 'pause',
    summary: 'Pause a running campaign (commands being sent finish)',
    run: (c, id, actor) => c.pauseCampaign(id, actor),
  },
  { path: 'resume', summary: 'Resume a paused campaign', run: (c, id, actor) => c.resumeCampaign(id, actor) },
  {
    path: 'cancel',
    summary: 'Cancel the campaign and its commands not yet sent',
    run: (c, id, actor) => c.cancelCampaign(id, actor),
  },
];

export function campaignRoutes(app: Api, ctx: ApiContext): void {
  const { store } = ctx;

  const campaignOr404 = async (id: number) => {
    const c = await store.campaigns.get(id);
    if (c === null) throw notFound(`campaign ${id}`);
    return c;
  };

  app.post(
    '/campaigns',
    {
      schema: {
        operationId: 'requestCampaign',
        tags: ['control'],
        summary: 'Ask for one operation over a group of meters (throttled; dry run on simulated twins)',
        description:
          'Answers 202 with the stored campaign (running, or awaiting-approval under the two-person rule); progress at GET /campaigns/{id}',
        body: NewCampaignBody,
        response: accepted(Campaign),
      },
    },
    async (req, reply) => {
      const b = req.body;
      req.audit.target = 'campaigns';
      req.audit.detail = { name: b.name, kind: b.kind, reason: b.reason, dryRun: b.dryRun ?? false };
      const parameters = parametersFor(b.kind, b.parameters);
      const request = defined({
        name: b.name,
        kind: b.kind,
        target: b.target,
        parameters,
        reason: b.reason,
        priority: b.priority,
        throttle: b.throttle,
        deadline: instantOf(b.deadline),
        dryRun: b.dryRun,
      }) as CampaignRequest;
      const actor = await actorOf(ctx, req);
      const c = await callControl(ctx, (control) => control.requestCampaign(request, actor));
      req.audit.target = `campaign:${c.id}`;
      req.audit.detail = { ...req.audit.detail, state: c.state, meterCount: c.meterCount };
      return reply.status(202).send(presentCampaign(c));
    },
  );

  app.post(
    '/campaigns/preview',
    {
      schema: {
        operationId: 'previewCampaignTarget',
        tags: ['control'],
        summary: 'How many meters a target selects, and the first few ids (nothing is stored)',
        body: PreviewBody,
        response: replies(200, Preview),
      },
    },
    async (req) => callControl(ctx, (control) => control.previewTarget(req.body.target)),
  );

  app.get(
    '/campaigns',
    {
      schema: {
        operationId: 'listCampaigns',
        tags: ['control'],
        summary: 'List campaigns (filters, cursor paging by id)',
        querystring: CampaignListQuery,
        response: replies(200, CampaignPage),
      },
    },
    async (req) => {
      const q = req.query;
      const page = await store.campaigns.list(
        defined({
          state: oneOrMany<CampaignState>(q.state),
          kind: q.kind as CommandKind | undefined,
          requestedBy: q.requestedBy,
          dryRun: q.dryRun,
          order: q.order as 'asc' | 'desc' | undefined,
          limit: q.limit,
          cursor: q.cursor,
        }),
      );
      return { items: page.items.map(presentCampaign), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/campaigns/:id',
    {
      schema: {
        operationId: 'getCampaign',
        tags: ['control'],
        summary: 'A campaign with its commands counted by state',
        params: IdParams,
        response: replies(200, CampaignWithProgress),
      },
    },
    async (req) => {
      const c = await campaignOr404(req.params.id);
      return presentCampaignWithProgress(c, await store.commands.progress(c.id));
    },
  );

  app.get(
    '/campaigns/:id/commands',
    {
      schema: {
        operationId: 'listCampaignResults',
        tags: ['control'],
        summary: 'Per-meter results of a campaign: state, attempts, what the meter answered, the error',
        params: IdParams,
        querystring: CampaignCommandQuery,
        response: replies(200, MeterResultPage),
      },
    },
    async (req) => {
      const id = req.params.id;
      await campaignOr404(id);
      const q = req.query;
      const page = await store.commands.list(
        defined({
          campaignId: id,
          state: oneOrMany<CommandState>(q.state),
          order: q.order as 'asc' | 'desc' | undefined,
          limit: q.limit,
          cursor: q.cursor,
        }),
      );
      const meterIds = [...new Set(page.items.map((c) => c.meterId))];
      const meters = new Map(
        (await Promise.all(meterIds.map((m) => store.meters.get(m)))).flatMap((m) => (m ? [[m.id, m]] : [])),
      );
      return {
        items: page.items.map((c) => presentMeterResult(c, meters.get(c.meterId) ?? null)),
        nextCursor: page.nextCursor,
      };
    },
  );

  const moveHandler = (run: (typeof MOVES)[number]['run']) => async (req: FastifyRequest) => {
    const id = (req.params as { id: number }).id;
    req.audit.target = `campaign:${id}`;
    const note = (req.body as { note?: string } | undefined)?.note;
    const actor = await actorOf(ctx, req);
    const c = await callControl(ctx, (control) => run(control, id, actor, note));
    req.audit.detail = { state: c.state };
    return presentCampaign(c);
  };

  for (const m of MOVES) {
    app.post(
      `/campaigns/:id/${m.path}`,
      {
        schema: {
          operationId: `${m.path}Campaign`,
          tags: ['control'],
          summary: m.summary,
          params: IdParams,
          ...(m.path === 'reject' ? { body: NoteBody } : {}),
          response: replies(200, Campaign),
        },
        ...(m.path === 'reject' ? { preValidation: emptyBodyAsObject } : {}),
      },
      moveHandler(m.run),
    );
  }
}
