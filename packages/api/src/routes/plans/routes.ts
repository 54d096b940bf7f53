import { Type } from 'typebox';
import type { Api, ApiContext } from '../../context.ts';
import { notFound } from '../../errors.ts';
import { presentPlan } from '../../presenters/records.ts';
import { IdParams, NoContent, replies } from '../common/schema.ts';
import { Plan, PlanBody, SELECTION_RULE } from './schema.ts';
import { checkPlanBody, selectionsOf } from './selection.ts';

export function planRoutes(app: Api, ctx: ApiContext): void {
  const { store } = ctx;

  app.get(
    '/plans',
    {
      schema: {
        operationId: 'listPlans',
        tags: ['plans'],
        summary: 'Reading plans, each with how many active meters it selects now',
        response: replies(200, Type.Object({ items: Type.Array(Plan) })),
      },
    },
    async () => {
      const plans = await store.plans.list();
      const selections = await selectionsOf(ctx, plans);
      return { items: plans.map((p, i) => presentPlan(p, selections[i]!)) };
    },
  );

  app.get(
    '/plans/:id',
    { schema: { operationId: 'getPlan', tags: ['plans'], params: IdParams, response: replies(200, Plan) } },
    async (req) => {
      const p = await store.plans.get(req.params.id);
      if (!p) throw notFound(`plan ${req.params.id}`);
      const [selection] = await selectionsOf(ctx, [p]);
      return presentPlan(p, selection!);
    },
  );

  app.post(
    '/plans',
    {
      schema: {
        operationId: 'createPlan',
        tags: ['plans'],
        summary: 'A reading plan; invalid cron, unknown profiles and meter ids are refused naming the field',
        description: `${SELECTION_RULE} The answer says how many active meters the plan selects, with a note when none.`,
        body: PlanBody,
        response: replies(201, Plan),
      },
    },
    async (req, reply) => {
      await checkPlanBody(ctx, req.body);
      const p = await store.plans.create(req.body);
      req.audit.target = `plan:${p.id}`;
      req.audit.detail = { name: p.name, cron: p.cron };
      ctx.onPlanChange(p.id);
      const [selection] = await selectionsOf(ctx, [p]);
      return reply.status(201).send(presentPlan(p, selection!));
    },
  );

  app.put(
    '/plans/:id',
    {
      schema: {
        operationId: 'replacePlan',
        tags: ['plans'],
        description: SELECTION_RULE,
        params: IdParams,
        body: PlanBody,
        response: replies(200, Plan),
      },
    },
    async (req) => {
      req.audit.target = `plan:${req.params.id}`;
      await checkPlanBody(ctx, req.body);
      const p = await store.plans.replace(req.params.id, req.body);
      if (!p) throw notFound(`plan ${req.params.id}`);
      req.audit.detail = { name: p.name, cron: p.cron, enabled: p.enabled };
      ctx.onPlanChange(p.id);
      const [selection] = await selectionsOf(ctx, [p]);
      return presentPlan(p, selection!);
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
