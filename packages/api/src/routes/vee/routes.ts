import type { TimelinessFigures, VeeDaySummary, VeeException, VeeSeriesPoint } from '@openhes/core';
import type { Api, ApiContext } from '../../context.ts';
import { notFound } from '../../errors.ts';
import { registerTimelinessMetrics } from '../../metrics.ts';
import { tidy } from '../../presenters/records.ts';
import { instant, iso, isoOrNull, queryRange, refuseBackwards } from '../../presenters/time.ts';
import { IdParams, replies } from '../common/schema.ts';
import { actorOf, callPort, defined, portOf } from './port.ts';
import {
  EditBody,
  EditReply,
  ExceptionPage,
  ExceptionQuery,
  ResolveBody,
  RunBody,
  RunReply,
  SeriesQuery,
  SeriesReply,
  SummaryPage,
  SummaryQuery,
  TimelinessQuery,
  TimelinessReply,
  VeeExceptionSchema,
} from './schema.ts';

export function presentException(e: VeeException) {
  return {
    ...e,
    from: iso(e.from),
    to: iso(e.to),
    resolvedAt: isoOrNull(e.resolvedAt),
    createdAt: iso(e.createdAt),
    updatedAt: iso(e.updatedAt),
  };
}

function presentPoint(p: VeeSeriesPoint) {
  return { ...p, ts: iso(p.ts), value: p.value === null ? null : tidy(p.value) };
}

function presentDay(d: VeeDaySummary) {
  return {
    ...d,
    dayStart: iso(d.dayStart),
    dayEnd: iso(d.dayEnd),
    firstRunAt: iso(d.firstRunAt),
    lastRunAt: iso(d.lastRunAt),
  };
}

function refuseDays(fromDay: string, toDay: string): void {
  if (toDay < fromDay) refuseBackwards(1, 0);
}

const VEE_DESCRIPTION =
  'Validation, estimation and editing of interval data (issue 14). Raw values are never changed: estimates and edits are newer versions, each marked wherever shown.';

/**
 * VEE (issue 14): series raw or validated with quality per value, exceptions and their
 * resolution, the summary per meter and day, timeliness, edits and on-demand runs. Without a
 * VEE service the routes answer 503 VEE_UNAVAILABLE.
 */
export function veeRoutes(app: Api, ctx: ApiContext): void {
  const vee = () => portOf(ctx, 'vee');
  if (ctx.vee !== undefined) {
    const port = ctx.vee;
    registerTimelinessMetrics(ctx.registry, (q) => port.timeliness(q), ctx.clock);
  }

  app.get(
    '/channels/:id/series',
    {
      schema: {
        operationId: 'channelSeries',
        tags: ['vee'],
        summary:
          'A channel’s intervals in [from, to), raw or validated, with quality per value and gaps explicit',
        description: VEE_DESCRIPTION,
        params: IdParams,
        querystring: SeriesQuery,
        response: replies(200, SeriesReply),
      },
    },
    async (req) => {
      const { id } = req.params;
      const from = instant(req.query.from, 'querystring/from');
      const to = instant(req.query.to, 'querystring/to');
      refuseBackwards(from, to);
      const port = vee();
      const channel = await ctx.store.channels.get(id);
      if (channel === null) throw notFound(`channel ${id}`);
      const view = req.query.view ?? 'validated';
      const points =
        from === to ? [] : await callPort(() => port.series({ channelId: id, from, to, mode: view }));
      return {
        channelId: id,
        view,
        unit: channel.unit,
        points: points.map(presentPoint),
        gaps: points.filter((p) => p.gap).length,
        estimated: points.filter((p) => p.estimated).length,
      };
    },
  );

  app.post(
    '/channels/:id/edits',
    {
      schema: {
        operationId: 'veeEdit',
        tags: ['vee'],
        summary:
          'Edit one interval value: a new version marked edited; the reason is required; a final (billed) value is 409',
        params: IdParams,
        body: EditBody,
        response: replies(201, EditReply),
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const ts = instant(req.body.ts, 'body/ts');
      req.audit.target = `channel:${id}`;
      req.audit.detail = { ts: iso(ts), value: req.body.value, reason: req.body.reason };
      const port = vee();
      const { edit } = await callPort(() =>
        port.edit({ channelId: id, ts, value: req.body.value, reason: req.body.reason }, actorOf(req)),
      );
      req.audit.detail = {
        ...req.audit.detail,
        editId: edit.id,
        version: edit.version,
        oldValue: edit.oldValue,
      };
      return reply.status(201).send({ edit: { ...edit, ts: iso(edit.ts), at: iso(edit.at) } });
    },
  );

  app.get(
    '/vee/exceptions',
    {
      schema: {
        operationId: 'veeExceptions',
        tags: ['vee'],
        summary:
          'Failed validation rules, newest run’s findings, with paging (from/to select the first interval)',
        querystring: ExceptionQuery,
        response: replies(200, ExceptionPage),
      },
    },
    async (req) => {
      const q = req.query;
      const port = vee();
      const page = await callPort(() =>
        port.exceptions(
          defined({
            meterId: q.meterId,
            channelId: q.channelId,
            rule: q.rule,
            status: q.status,
            groupId: q.groupId,
            ...queryRange(q.from, q.to),
            limit: q.limit ?? 500,
            cursor: q.cursor,
          }),
        ),
      );
      return { items: page.items.map(presentException), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/vee/exceptions/:id',
    {
      schema: {
        operationId: 'veeException',
        tags: ['vee'],
        summary: 'One exception',
        params: IdParams,
        response: replies(200, VeeExceptionSchema),
      },
    },
    async (req) => {
      const port = vee();
      return presentException(await callPort(() => port.exception(req.params.id)));
    },
  );

  app.post(
    '/vee/exceptions/:id/resolve',
    {
      schema: {
        operationId: 'veeResolve',
        tags: ['vee'],
        summary: 'Close an exception (accepted, estimated, edited, dismissed); a resolved one is 409',
        params: IdParams,
        body: ResolveBody,
        response: replies(200, VeeExceptionSchema),
      },
    },
    async (req) => {
      const { id } = req.params;
      req.audit.target = `vee-exception:${id}`;
      req.audit.detail = { resolution: req.body.resolution, note: req.body.note ?? null };
      const port = vee();
      const e = await callPort(() => port.resolve(id, req.body.resolution, actorOf(req), req.body.note));
      return presentException(e);
    },
  );

  app.get(
    '/vee/summary',
    {
      schema: {
        operationId: 'veeSummary',
        tags: ['vee'],
        summary: 'VEE summary per meter, channel and customer-local day in [fromDay, toDay)',
        querystring: SummaryQuery,
        response: replies(200, SummaryPage),
      },
    },
    async (req) => {
      const q = req.query;
      refuseDays(q.fromDay, q.toDay);
      const port = vee();
      const page = await callPort(() =>
        port.summary(
          defined({
            fromDay: q.fromDay,
            toDay: q.toDay,
            meterId: q.meterId,
            channelId: q.channelId,
            groupId: q.groupId,
            limit: q.limit ?? 500,
            cursor: q.cursor,
          }),
        ),
      );
      return { items: page.items.map(presentDay), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/vee/timeliness',
    {
      schema: {
        operationId: 'veeTimeliness',
        tags: ['vee'],
        summary:
          'Share of interval data validated by day 1, day 2 and the final deadline after its day, per group and for the fleet (groupId null)',
        querystring: TimelinessQuery,
        response: replies(200, TimelinessReply),
      },
    },
    async (req) => {
      const q = req.query;
      refuseDays(q.fromDay, q.toDay);
      const port = vee();
      const items: TimelinessFigures[] = await callPort(() =>
        port.timeliness(defined({ fromDay: q.fromDay, toDay: q.toDay, groupId: q.groupId })),
      );
      return { items };
    },
  );

  app.post(
    '/vee/runs',
    {
      schema: {
        operationId: 'veeRun',
        tags: ['vee'],
        summary:
          'Run VEE on demand over the local days holding (from, to], for the meters given or all; answers what it did',
        body: RunBody,
        response: replies(200, RunReply),
      },
    },
    async (req) => {
      const from = instant(req.body.from, 'body/from');
      const to = instant(req.body.to, 'body/to');
      refuseBackwards(from, to);
      req.audit.target = 'vee';
      req.audit.detail = { from: iso(from), to: iso(to), meterIds: req.body.meterIds ?? null };
      const port = vee();
      const report = await callPort(() => port.run(defined({ from, to, meterIds: req.body.meterIds })));
      req.audit.detail = {
        ...req.audit.detail,
        meters: report.meters,
        gaps: report.gaps,
        estimated: report.estimated,
        exceptionsOpened: report.exceptionsOpened,
      };
      return report;
    },
  );
}
