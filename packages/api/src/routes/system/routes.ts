import { Type } from 'typebox';
import type { Api, ApiContext } from '../../context.ts';

const Health = Type.Object({ status: Type.Literal('ok'), time: Type.String({ format: 'date-time' }) });

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
    { schema: { operationId: 'openapi', tags: ['system'], summary: 'This API as an OpenAPI 3 document' } },
    async () => app.swagger(),
  );
}
