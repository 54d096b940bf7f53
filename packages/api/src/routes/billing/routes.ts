import type { Bill, Tariff } from '@openhes/core';
import type { Api, ApiContext } from '../../context.ts';
import { ApiError, ApiErrorCode } from '../../errors.ts';
import { iso } from '../../presenters/time.ts';
import { ErrorResponse, IdParams, NoContent, replies } from '../common/schema.ts';
import { actorOf, callPort, defined, portOf } from '../vee/port.ts';
import {
  BillListQuery,
  BillPage,
  BillSchema,
  BillVersions,
  ExportQuery,
  GroupList,
  RunBody,
  RunReply,
  TariffBody,
  TariffGetQuery,
  TariffIdParams,
  TariffList,
  TariffListQuery,
  TariffSchema,
  VersionsQuery,
} from './schema.ts';

export function presentTariff(t: Tariff) {
  return { ...t, createdAt: iso(t.createdAt) } as Record<string, unknown>;
}

export function presentBill(b: Bill) {
  return {
    ...b,
    from: iso(b.from),
    to: iso(b.to),
    createdAt: iso(b.createdAt),
    determinants: b.determinants as unknown as Record<string, unknown>,
    difference: b.difference as unknown as Record<string, unknown> | null,
  };
}

/**
 * Billing (issue 14): tariffs as data (admin), billing runs (operator), bills listed, read and
 * exported as CSV or JSON (viewer). Without a billing service: 503 BILLING_UNAVAILABLE.
 */
export function billingRoutes(app: Api, ctx: ApiContext): void {
  const billing = () => portOf(ctx, 'billing');

  app.get(
    '/billing/tariffs',
    {
      schema: {
        operationId: 'tariffList',
        tags: ['billing'],
        summary: 'Tariffs (newest revision of each)',
        querystring: TariffListQuery,
        response: replies(200, TariffList),
      },
    },
    async (req) => {
      const port = billing();
      const items = await callPort(() =>
        port.listTariffs(
          req.query.includeRetired === undefined ? {} : { includeRetired: req.query.includeRetired },
        ),
      );
      return { items: items.map(presentTariff) };
    },
  );

  app.get(
    '/billing/tariffs/:id',
    {
      schema: {
        operationId: 'tariffGet',
        tags: ['billing'],
        summary: 'One tariff, its newest revision or the one asked',
        params: TariffIdParams,
        querystring: TariffGetQuery,
        response: replies(200, TariffSchema),
      },
    },
    async (req) => {
      const port = billing();
      return presentTariff(await callPort(() => port.getTariff(req.params.id, req.query.revision)));
    },
  );

  app.post(
    '/billing/tariffs',
    {
      schema: {
        operationId: 'tariffCreate',
        tags: ['billing'],
        summary: 'Create a tariff (revision 1); an id already in use is 409 (PUT makes a new revision)',
        body: TariffBody,
        response: replies(201, TariffSchema),
      },
    },
    async (req, reply) => {
      const id = req.body.id;
      req.audit.target = `tariff:${typeof id === 'string' ? id : '?'}`;
      const port = billing();
      if (typeof id === 'string') {
        const existing = await port.getTariff(id).catch(() => null);
        if (existing !== null && !existing.retired) {
          throw new ApiError(
            409,
            ApiErrorCode.Conflict,
            `tariff ${id} exists (PUT /billing/tariffs/${id} makes a new revision)`,
            {
              field: 'id',
            },
          );
        }
      }
      const t = await callPort(() => port.putTariff(req.body, actorOf(req).name));
      req.audit.detail = { id: t.id, revision: t.revision };
      return reply.status(201).send(presentTariff(t));
    },
  );

  app.put(
    '/billing/tariffs/:id',
    {
      schema: {
        operationId: 'tariffUpdate',
        tags: ['billing'],
        summary: 'Store a new revision of a tariff (bills keep the revision they used); unknown id 404',
        params: TariffIdParams,
        body: TariffBody,
        response: replies(200, TariffSchema),
      },
    },
    async (req) => {
      const { id } = req.params;
      req.audit.target = `tariff:${id}`;
      if (req.body.id !== undefined && req.body.id !== id) {
        throw new ApiError(400, ApiErrorCode.ValidationFailed, `body/id must be the path's id ${id}`, {
          field: 'id',
          errors: [{ field: 'body/id', message: `must be the path's id ${id}` }],
        });
      }
      const port = billing();
      await callPort(() => port.getTariff(id));
      const t = await callPort(() => port.putTariff({ ...req.body, id }, actorOf(req).name));
      req.audit.detail = { id: t.id, revision: t.revision };
      return presentTariff(t);
    },
  );

  app.delete(
    '/billing/tariffs/:id',
    {
      schema: {
        operationId: 'tariffRetire',
        tags: ['billing'],
        summary: 'Retire a tariff (kept for the bills that used it; meters on it are no longer billed)',
        params: TariffIdParams,
        response: { 204: NoContent, '4xx': ErrorResponse, '5xx': ErrorResponse },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      req.audit.target = `tariff:${id}`;
      const port = billing();
      await callPort(() => port.retireTariff(id, actorOf(req).name));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/billing/groups',
    {
      schema: {
        operationId: 'billingGroups',
        tags: ['billing'],
        summary: 'Billing groups: which meters, their cycle (calendar month or read day) and zone',
        response: replies(200, GroupList),
      },
    },
    async () => ({ items: billing().groups.map((g) => ({ ...g })) }),
  );

  app.post(
    '/billing/runs',
    {
      schema: {
        operationId: 'billingRun',
        tags: ['billing'],
        summary:
          'Bill a cycle for a group (or all): one bill per meter, estimated bills flagged, a rebill after edits as a new version',
        description:
          'Running it again is safe: unchanged meters keep their bill. A cycle without data gets an estimated bill flagged no-data, never nothing. Meters that failed are listed with the reason.',
        body: RunBody,
        response: replies(200, RunReply),
      },
    },
    async (req) => {
      const b = req.body;
      req.audit.target = `billing-cycle:${b.cycle}`;
      req.audit.detail = { cycle: b.cycle, group: b.group ?? null, final: b.final === true };
      const port = billing();
      const r = await callPort(() =>
        port.run(
          b.cycle,
          defined({
            actor: actorOf(req).name,
            group: b.group,
            meterIds: b.meterIds,
            rebill: b.rebill,
            reason: b.reason,
            final: b.final,
          }),
        ),
      );
      req.audit.detail = {
        ...req.audit.detail,
        meters: r.meters,
        created: r.created,
        rebilled: r.rebilled,
        estimated: r.estimated,
        failed: r.failed.length,
      };
      return r;
    },
  );

  app.get(
    '/billing/bills',
    {
      schema: {
        operationId: 'billList',
        tags: ['billing'],
        summary: 'Bills, newest version of each unless latestOnly=false',
        querystring: BillListQuery,
        response: replies(200, BillPage),
      },
    },
    async (req) => {
      const q = req.query;
      const port = billing();
      const page = await callPort(() =>
        port.listBills(
          defined({
            cycle: q.cycle,
            meterId: q.meterId,
            groupId: q.groupId,
            estimated: q.estimated,
            latestOnly: q.latestOnly,
            limit: q.limit ?? 500,
            cursor: q.cursor,
          }),
        ),
      );
      return { items: page.items.map(presentBill), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/billing/bills/export',
    {
      schema: {
        operationId: 'billExport',
        tags: ['billing'],
        summary: 'Every bill the filters select, as CSV (one row per line item, then a total row) or JSON',
        querystring: ExportQuery,
        produces: ['text/csv', 'application/json'],
      },
    },
    async (req, reply) => {
      const q = req.query;
      const format = q.format ?? 'csv';
      const port = billing();
      const text = await callPort(() =>
        port.exportBills(
          defined({
            cycle: q.cycle,
            meterId: q.meterId,
            groupId: q.groupId,
            estimated: q.estimated,
            latestOnly: q.latestOnly,
          }),
          format,
        ),
      );
      const name = `bills${q.cycle === undefined ? '' : `-${q.cycle}`}.${format}`;
      return reply
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(text);
    },
  );

  app.get(
    '/billing/bills/:id',
    {
      schema: {
        operationId: 'billGet',
        tags: ['billing'],
        summary: 'One bill (immutable; a rebill is another id with the next version)',
        params: IdParams,
        response: replies(200, BillSchema),
      },
    },
    async (req) => {
      const port = billing();
      return presentBill(await callPort(() => port.getBill(req.params.id)));
    },
  );

  app.get(
    '/meters/:id/bills',
    {
      schema: {
        operationId: 'meterBillVersions',
        tags: ['billing'],
        summary: 'Every version of a meter’s bill for a cycle, oldest first',
        params: IdParams,
        querystring: VersionsQuery,
        response: replies(200, BillVersions),
      },
    },
    async (req) => {
      const port = billing();
      const items = await callPort(() => port.billVersions(req.params.id, req.query.cycle));
      return { items: items.map(presentBill) };
    },
  );
}
