import {
  csvMeterRows,
  importMeters,
  jsonMeterRows,
  MeterImportError,
  type MeterListRow,
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
} from './schema.ts';

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
          'Register meters from a JSON array or CSV; a serial already known is updated from its row (status unchanged)',
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
      req.audit.detail = { created: result.created, existing: result.updated, failed: result.failed.length };
      return { created: result.created, existing: result.updated, failed: result.failed, ids: result.ids };
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
            protocol: b.protocol ?? current.protocol,
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
      const m = await store.meters.update(req.params.id, b);
      ctx.onMeterChange(m);
      return presentMeter(m);
    },
  );

  app.post(
    '/meters/:id/decommission',
    {
      schema: {
        operationId: 'decommissionMeter',
        tags: ['meters'],
        summary: 'Move the meter to decommissioned (final)',
        params: IdParams,
        response: replies(200, Meter),
      },
    },
    async (req) => {
      req.audit.target = `meter:${req.params.id}`;
      return presentMeter(await store.meters.setStatus(req.params.id, 'decommissioned'));
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
      return { meterId: id, ...result };
    },
  );
}
