import type { Api, ApiContext } from '../../context.ts';
import { ApiError, ApiErrorCode, notFound } from '../../errors.ts';
import { IdParams, replies } from '../common/schema.ts';
import { ResyncReply } from './schema.ts';

/**
 * Meter security operations. The counter resync is the operator's answer to a meter whose
 * own invocation counter went back legitimately (replacement, factory reset): instead of
 * every read failing as a replay, the head end reads the meter's counter object over an
 * authenticated association and resets its replay floor to it. Refused, and nothing changed,
 * when the meter cannot be read; audited either way with who asked.
 */
export function securityRoutes(app: Api, ctx: ApiContext): void {
  app.post(
    '/meters/:id/security/resync',
    {
      schema: {
        operationId: 'resyncMeterCounter',
        tags: ['security'],
        summary: "Reset the head end's replay floor to the meter's own invocation counter",
        description:
          "Reads the invocation counter object the meter's device profile names, over an association that authenticates the meter's responses, and sets the stored received-counter floor to the meter's counter (lower or higher). For meters replaced or factory reset; refused when the meter cannot be read.",
        params: IdParams,
        response: replies(200, ResyncReply),
      },
    },
    async (req) => {
      const id = req.params.id;
      req.audit.target = `meter:${id}`;
      const resync = ctx.acquisition?.resyncCounter;
      if (resync === undefined) {
        throw new ApiError(
          503,
          ApiErrorCode.AcquisitionUnavailable,
          'no acquisition service runs in this process',
        );
      }
      const meter = await ctx.store.meters.get(id);
      if (meter === null) throw notFound(`meter ${id}`);
      if (meter.status === 'decommissioned') {
        throw new ApiError(409, ApiErrorCode.InvalidTransition, `meter ${id} is decommissioned`);
      }
      try {
        const r = await resync.call(ctx.acquisition, id);
        req.audit.detail = { ...r };
        return r;
      } catch (e) {
        const code =
          typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : 'UNKNOWN';
        const message = e instanceof Error ? e.message : String(e);
        req.audit.detail = { code, message };
        if (code === 'DRIVER_UNSUPPORTED' || code === 'DRIVER_CONFIGURATION') {
          throw new ApiError(409, ApiErrorCode.Conflict, `meter ${id} cannot be resynced: ${message}`, {
            code,
          });
        }
        throw new ApiError(
          502,
          ApiErrorCode.ReadFailed,
          `reading meter ${id}'s counter failed (${code}); nothing changed`,
          {
            code,
            retryable: (e as { retryable?: unknown }).retryable === true,
          },
        );
      }
    },
  );
}
