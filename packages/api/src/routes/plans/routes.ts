import { Type } from 'typebox';
import type { Api, ApiContext } from '../../context.ts';
import { notFound } from '../../errors.ts';
import { presentPlan } from '../../presenters/records.ts';
import { IdParams, NoContent, replies } from '../common/schema.ts';
import { Plan, PlanBody } from './schema.ts';

export function planRoutes(app: Api, ctx: ApiContext): void {
  const { store } = ctx;

  app.get(
    '/plans',
    {
      schema: {
        operationId: 'listPlans',
        tags: ['plans'],
        response: replies(200, Type.Object({ items: Type.Array(Plan) })),
      },
    },
    async () => ({ items: (await store.plans.list()).map(presentPlan) }),
  );

  app.get(
    '/plans/:id',
    { schema: { operationId: 'getPlan', tags: ['plans'], params: IdParams, response: replies(200, Plan) } },
    async (req) => {
      const p = await store.plans.get(req.params.id);
      if (!p) throw notFound(`plan ${req.params.id}`);
      return presentPlan(p);
    },
  );

  app.post(
    '/plans',
    { schema: { operationId: 'createPlan', tags: ['plans'], body: PlanBody, response: replies(201, Plan) } },
    async (req, reply) => {
      const p = await store.plans.create(req.body);
      req.audit.target = `plan:${p.id}`;
      req.audit.detail = { name: p.name, cron: p.cron };
      ctx.onPlanChange(p.id);
      return reply.status(201).send(presentPlan(p));
    },
  );

  app.put(
    '/plans/:id',
    {
      schema: {
        operationId: 'replacePlan',
        tags: ['plans'],
        params: IdParams,
        body: PlanBody,
        response: replies(200, Plan),
      },
    },
    async (req) => {
      req.audit.target = `plan:${req.params.id}`;
      const p = await store.plans.replace(req.params.id, req.body);
      if (!p) throw notFound(`plan ${req.params.id}`);
      req.audit.detail = { name: p.name, cron: p.cron, enabled: p.enabled };
      ctx.onPlanChange(p.id);
      return presentPlan(p);
    },
  );

  app.delete(
    '/plans/:id',
    {
      schema: { operationId: 'deletePlan', tags: ['plans'], params: IdParams, response: { 204: NoContent } },
    },
    async (req, reply) => {
      req.audit.target = `plan:${req.params.id}`;
      if (!(await store.plans.delete(req.params.id))) throw notFound(`plan ${req.params.id}`);
      ctx.onPlanChange(req.params.id);
      return reply.status(204).send(null);
    },
  );
}
