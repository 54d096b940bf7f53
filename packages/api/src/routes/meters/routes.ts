import {
  csvMeterRows,
  importMeters,
  isCodedError,
  jsonMeterRows,
  MeterImportError,
  type MeterListRow,
  type MeterPatch as MeterPatchRecord,
  type MeterProtocol,
  type Meter as MeterRecord,
  type MeterStatus,
  meterRecordProblem,
} from '@openhes/core';
import { Type } from 'typebox';
import type { Api, ApiContext } from '../../context.ts';
import { ApiError, ApiErrorCode, notFound } from '../../errors.ts';
import { presentChannel, presentMeter } from '../../presenters/meter.ts';
import { presentLatest } from '../../presenters/records.ts';
import { IdParams, replies } from '../common/schema.ts';
import {
  Channel,
  ImportBody,
  ImportCsv,
  ImportReply,
  Meter,
  MeterListQuery,
  MeterPage,
  MeterPatch,
  ReadNowQuery,
  ReadNowReply,
  RemoveReply,
} from './schema.ts';

/** The lifecycle verbs: each moves the meter to one status (the store enforces the transitions). */
const LIFECYCLE: readonly {
  verb: string;
  to: MeterStatus;
  operationId: string;
  summary: string;
  /** The only status the verb starts from, when it is narrower than the lifecycle. */
  from?: MeterStatus;
}[] = [
  {
    verb: 'commission',
    to: 'commissioned',
    operationId: 'commissionMeter',
    summary: 'registered → commissioned (installed and checked; not read on schedule yet)',
  },
  {
    verb: 'activate',
    to: 'active',
    operationId: 'activateMeter',
    summary: 'registered, commissioned or suspended → active (read by the plans that select it)',
  },
  {
    verb: 'suspend',
    to: 'suspended',
    operationId: 'suspendMeter',
    summary: 'active → suspended (kept, not read on schedule; on-demand reads still allowed)',
  },
  {
    verb: 'resume',
    to: 'active',
    from: 'suspended',
    operationId: 'resumeMeter',
    summary: 'suspended → active',
  },
  {
    verb: 'decommission',
    to: 'decommissioned',
    operationId: 'decommissionMeter',
    summary: 'Move the meter to decommissioned (final; never read again)',
  },
];

/** A refused transition as the API answers it: 409 naming from, to and the allowed statuses. */
function transitionRefused(e: unknown): never {
  if (isCodedError(e) && e.detail?.reason === 'STORAGE_INVALID_TRANSITION') {
    const { from, to, allowed } = e.detail;
    throw new ApiError(409, ApiErrorCode.InvalidTransition, e.message, { from, to, allowed });
  }
  throw e;
}

const LatestReading = Type.Object({
  channelId: Type.Integer(),
  obis: Type.Union([Type.String(), Type.Null()]),
  attribute: Type.Union([Type.Integer(), Type.Null()]),
  unit: Type.Union([Type.String(), Type.Null()]),
  ts: Type.String({ format: 'date-time' }),
  value: Type.Number(),
  quality: Type.Integer(),
  source: Type.String(),
});

export function meterRoutes(app: Api, ctx: ApiContext): void {
  const { store } = ctx;
  const meterOr404 = async (id: number) => {
    const m = await store.meters.get(id);
    if (!m) throw notFound(`meter ${id}`);
    return m;
  };

  app.get(
    '/meters',
    {
      schema: {
        operationId: 'listMeters',
        tags: ['meters'],
        summary: 'List meters (filters, cursor paging in id order)',
        querystring: MeterListQuery,
        response: replies(200, MeterPage),
      },
    },
    async (req) => {
      const page = await store.meters.list(req.query);
      return { items: page.items.map(presentMeter), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/meters/:id',
    {
      schema: {
        operationId: 'getMeter',
        tags: ['meters'],
        params: IdParams,
        response: replies(200, Meter),
      },
    },
    async (req) => presentMeter(await meterOr404(req.params.id)),
  );

  app.post(
    '/meters/import',
    {
      schema: {
        operationId: 'importMeters',
        tags: ['meters'],
        summary:
          "Register meters from a JSON array or CSV (the registry's fields or the simulator's export, keys included); new meters are active unless the row says otherwise; a serial already known is updated from its row (status unchanged)",
        body: {
          content: {
            'application/json': { schema: ImportBody },
            'text/csv': { schema: ImportCsv },
          },
        },
        response: replies(200, ImportReply),
      },
    },
    async (req) => {
      const body = req.body as unknown;
      let rows: MeterListRow[];
      try {
        rows = typeof body === 'string' ? csvMeterRows(body) : jsonMeterRows(body as unknown[]);
      } catch (e) {
        if (e instanceof MeterImportError) throw new ApiError(400, e.code, e.message, e.detail);
        throw e;
      }
      const result = await importMeters(
        { meters: store.meters, ...(ctx.vault ? { vault: ctx.vault } : {}) },
        rows,
        {
          ...(ctx.deviceProfiles === undefined ? {} : { profiles: ctx.deviceProfiles }),
          onChange: (m) => ctx.onMeterChange(m),
        },
      );
      req.audit.target = 'meters';
      // Counts only: the rows may carry keys, which are never echoed or logged.
      req.audit.detail = {
        created: result.created,
        existing: result.updated,
        failed: result.failed.length,
        keysStored: result.keysStored,
      };
      return {
        created: result.created,
        keysStored: result.keysStored,
        existing: result.updated,
        failed: result.failed,
        ids: result.ids,
      };
    },
  );

  app.patch(
    '/meters/:id',
    {
      schema: {
        operationId: 'updateMeter',
        tags: ['meters'],
        params: IdParams,
        body: MeterPatch,
        response: replies(200, Meter),
      },
    },
    async (req) => {
      req.audit.target = `meter:${req.params.id}`;
      req.audit.detail = { changed: Object.keys(req.body) };
      const b = req.body;
      if (b.address !== undefined || b.protocol !== undefined || b.deviceProfile !== undefined) {
        // The importer's rule: no record a driver cannot use (address, protocol, profile).
        const current = await meterOr404(req.params.id);
        const problem = meterRecordProblem(
          {
            address: b.address ?? current.address,
            protocol: (b.protocol ?? current.protocol) as MeterProtocol,
            deviceProfile: b.deviceProfile ?? current.deviceProfile,
          },
          ctx.deviceProfiles === undefined ? {} : { profiles: ctx.deviceProfiles },
        );
        if (problem !== undefined)
          throw new ApiError(400, ApiErrorCode.ValidationFailed, problem.message, {
            field: problem.field,
            reason: problem.code,
          });
      }
      // A protocol given was checked above: one a driver speaks.
      const m = await store.meters.update(req.params.id, b as MeterPatchRecord);
      ctx.onMeterChange(m);
      return presentMeter(m);
    },
  );

  for (const step of LIFECYCLE) {
    app.post(
      `/meters/:id/${step.verb}`,
      {
        schema: {
          operationId: step.operationId,
          tags: ['meters'],
          summary: step.summary,
          params: IdParams,
          response: replies(200, Meter),
        },
      },
      async (req) => {
        const id = req.params.id;
        req.audit.target = `meter:${id}`;
        const current = await meterOr404(id);
        req.audit.detail = { from: current.status, to: step.to };
        if (step.from !== undefined && current.status !== step.from) {
          throw new ApiError(
            409,
            ApiErrorCode.InvalidTransition,
            `meter ${id}: only a ${step.from} meter can be resumed (it is ${current.status})`,
            { from: current.status, to: step.to, allowed: [step.from] },
          );
        }
        let m: MeterRecord;
        try {
          m = await store.meters.setStatus(id, step.to);
        } catch (e) {
          transitionRefused(e);
        }
        ctx.onMeterChange(m);
        return presentMeter(m);
      },
    );
  }

  app.delete(
    '/meters/:id',
    {
      schema: {
        operationId: 'removeMeter',
        tags: ['meters'],
        summary:
          'Remove a meter that never delivered data (no readings, events, collection outcomes or commands), with its keys; else 409 naming what it has (decommission it instead)',
        params: IdParams,
        response: replies(200, RemoveReply),
      },
    },
    async (req) => {
      const id = req.params.id;
      req.audit.target = `meter:${id}`;
      const m = await meterOr404(id);
      req.audit.detail = { serial: m.serial };
      try {
        await store.meters.remove(id);
      } catch (e) {
        if (isCodedError(e) && e.detail?.reason === 'STORAGE_METER_HAS_DATA')
          throw new ApiError(409, ApiErrorCode.Conflict, e.message, { has: e.detail.has });
        throw e;
      }
      ctx.onMeterChange(m);
      return { id, serial: m.serial, removed: true as const };
    },
  );

  app.get(
    '/meters/:id/channels',
    {
      schema: {
        operationId: 'listMeterChannels',
        tags: ['readings'],
        params: IdParams,
        response: replies(200, Type.Object({ items: Type.Array(Channel) })),
      },
    },
    async (req) => {
      await meterOr404(req.params.id);
      return { items: (await store.channels.forMeter(req.params.id)).map(presentChannel) };
    },
  );

  app.get(
    '/meters/:id/readings/latest',
    {
      schema: {
        operationId: 'latestReadings',
        tags: ['readings'],
        summary: 'Newest value of each channel of the meter',
        params: IdParams,
        response: replies(200, Type.Object({ meterId: Type.Integer(), items: Type.Array(LatestReading) })),
      },
    },
    async (req) => {
      await meterOr404(req.params.id);
      const [latest, channels] = await Promise.all([
        store.readings.latestForMeter(req.params.id),
        store.channels.forMeter(req.params.id),
      ]);
      const byId = new Map(channels.map((c) => [c.id, c]));
      return { meterId: req.params.id, items: latest.map((r) => presentLatest(r, byId.get(r.channelId))) };
    },
  );

  app.post(
    '/meters/:id/read',
    {
      schema: {
        operationId: 'readMeterNow',
        tags: ['acquisition'],
        summary: 'Read the meter now and store what it returns',
        params: IdParams,
        querystring: ReadNowQuery,
        response: replies(200, ReadNowReply),
      },
    },
    async (req) => {
      const id = req.params.id;
      req.audit.target = `meter:${id}`;
      if (!ctx.acquisition) {
        throw new ApiError(
          503,
          ApiErrorCode.AcquisitionUnavailable,
          'no acquisition service runs in this process',
        );
      }
      const meter = await meterOr404(id);
      if (meter.status === 'decommissioned') {
        throw new ApiError(409, ApiErrorCode.InvalidTransition, `meter ${id} is decommissioned`);
      }
      const reads = req.query.reads?.split(',');
      let result: Awaited<ReturnType<typeof ctx.acquisition.readNow>>;
      try {
        result = await ctx.acquisition.readNow(id, reads);
      } catch (e) {
        const code =
          typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : 'UNKNOWN';
        const retryable = (e as { retryable?: unknown }).retryable === true;
        req.audit.detail = { status: 'failed', errorCode: code };
        throw new ApiError(502, ApiErrorCode.ReadFailed, `reading meter ${id} failed (${code})`, {
          code,
          retryable,
        });
      }
      req.audit.detail = {
        status: result.status,
        errorCode: result.errorCode,
        readingsStored: result.readingsStored,
      };
      // Answered 200 with what happened; audited as what happened (a failed read is no success).
      if (result.status !== 'success' && result.status !== 'partial') req.audit.outcome = 'failed';
      return { meterId: id, ...result };
    },
  );
}
