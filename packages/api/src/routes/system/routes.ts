import { Type } from 'typebox';
import type { Api, ApiContext } from '../../context.ts';
import { Readiness } from './readiness.ts';

const Health = Type.Object({ status: Type.Literal('ok'), time: Type.String({ format: 'date-time' }) });
const Ready = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not-ready')]),
  time: Type.String({ format: 'date-time' }),
  checks: Type.Array(
    Type.Object({
      name: Type.String(),
      ok: Type.Boolean(),
      code: Type.Optional(Type.String()),
      reason: Type.Optional(Type.String()),
    }),
  ),
});

export function systemRoutes(app: Api, ctx: ApiContext): void {
  app.get(
    '/health',
    {
      schema: {
        operationId: 'health',
        tags: ['system'],
        summary: 'Liveness (no token needed)',
        security: [],
        response: { 200: Health },
      },
    },
    async () => ({ status: 'ok' as const, time: new Date(ctx.clock.now()).toISOString() }),
  );

  const readiness = new Readiness(ctx.store, ctx.clock);
  app.get(
    '/ready',
    {
      schema: {
        operationId: 'ready',
        tags: ['system'],
        summary:
          'Readiness (no token needed): 503 with the reason while the store cannot take writes (disk full, I/O failure, free space critical); /health is liveness only',
        security: [],
        response: { 200: Ready, 503: Ready },
      },
    },
    async (_req, reply) => {
      const r = await readiness.check();
      return reply.status(r.ready ? 200 : 503).send({
        status: r.ready ? ('ready' as const) : ('not-ready' as const),
        time: new Date(ctx.clock.now()).toISOString(),
        checks: r.checks,
      });
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        operationId: 'metrics',
        tags: ['system'],
        summary: 'Prometheus metrics (text exposition format)',
        produces: ['text/plain'],
      },
    },
    async (_req, reply) => reply.type(ctx.registry.contentType).send(await ctx.registry.metrics()),
  );

  app.get(
    '/openapi.json',
    {
      schema: {
        operationId: 'openapi',
        tags: ['system'],
        summary: 'This API as an OpenAPI 3 document (no token needed; /docs shows it)',
        security: [],
      },
    },
    async () => app.swagger(),
  );
}
