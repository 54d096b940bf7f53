import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { MAX_FIRMWARE_IMAGE_BYTES } from '@openhes/core';
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import type { Api, ApiContext } from '../../context.ts';
import { ApiError, ApiErrorCode, notFound } from '../../errors.ts';
import { ErrorResponse, IdParams, NoContent, replies } from '../common/schema.ts';
import { actorOf, callControl } from './common.ts';
import { presentImage } from './present.ts';
import { FirmwareImage, FirmwareImagePage, ImageBytes, PageQuery, UploadQuery } from './schema.ts';

const OCTETS = 'application/octet-stream';

/**
 * The raw body is documented (string/binary) but not schema-checked: the handler checks it is
 * bytes and not empty; the query and params keep the TypeBox validator.
 */
const rawBodyValidator: FastifySchemaCompiler<TSchema> = (o) =>
  o.httpPart === 'body' ? (value: unknown) => ({ value }) : TypeBoxValidatorCompiler(o);

export function firmwareRoutes(app: Api, ctx: ApiContext): void {
  const { store } = ctx;

  // The octet-stream parser and its body limit exist only in this context: no other route
  // takes raw bytes.
  app.register(async (instance) => {
    const sub = instance.withTypeProvider<TypeBoxTypeProvider>();
    sub.addContentTypeParser(
      OCTETS,
      { parseAs: 'buffer', bodyLimit: MAX_FIRMWARE_IMAGE_BYTES },
      (_req, body, done) => done(null, body),
    );
    sub.post(
      '/firmware/images',
      {
        bodyLimit: MAX_FIRMWARE_IMAGE_BYTES,
        validatorCompiler: rawBodyValidator,
        schema: {
          operationId: 'uploadFirmwareImage',
          tags: ['control'],
          summary: 'Upload a firmware image (raw bytes; metadata in the query); stored with its SHA-256',
          description: `At most ${MAX_FIRMWARE_IMAGE_BYTES} bytes (413 above). With sha256 given, an image whose hash differs is refused (400). An image already stored (same hash) is returned as it is.`,
          querystring: UploadQuery,
          body: { content: { [OCTETS]: { schema: ImageBytes } } },
          response: { 201: FirmwareImage, '4xx': ErrorResponse, '5xx': ErrorResponse },
        },
      },
      async (req, reply) => {
        const q = req.query;
        req.audit.target = 'firmware';
        req.audit.detail = { identifier: q.identifier, version: q.version };
        const body: unknown = req.body;
        if (!(body instanceof Uint8Array)) {
          throw new ApiError(
            415,
            ApiErrorCode.UnsupportedMediaType,
            `send the image bytes as ${OCTETS} (metadata in the query)`,
          );
        }
        if (body.length === 0) {
          throw new ApiError(400, ApiErrorCode.ValidationFailed, 'body: the image is empty', {
            field: 'body',
          });
        }
        const deviceProfiles = q.deviceProfiles === undefined ? [] : q.deviceProfiles.split(',');
        const image = {
          identifier: q.identifier,
          version: q.version,
          deviceProfiles,
          ...(q.sha256 === undefined ? {} : { sha256: q.sha256.toLowerCase() }),
        };
        const actor = await actorOf(ctx, req);
        const stored = await callControl(ctx, (control) =>
          control.uploadImage(image, new Uint8Array(body.buffer, body.byteOffset, body.length), actor),
        );
        req.audit.target = `firmware:${stored.id}`;
        req.audit.detail = { ...req.audit.detail, size: stored.size, sha256: stored.sha256 };
        return reply.status(201).send(presentImage(stored));
      },
    );
  });

  app.get(
    '/firmware/images',
    {
      schema: {
        operationId: 'listFirmwareImages',
        tags: ['control'],
        querystring: PageQuery,
        response: replies(200, FirmwareImagePage),
      },
    },
    async (req) => {
      const q = req.query;
      const page = await store.firmware.list({
        ...(q.limit === undefined ? {} : { limit: q.limit }),
        ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
      });
      return { items: page.items.map(presentImage), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/firmware/images/:id',
    {
      schema: {
        operationId: 'getFirmwareImage',
        tags: ['control'],
        params: IdParams,
        response: replies(200, FirmwareImage),
      },
    },
    async (req) => {
      const image = await store.firmware.get(req.params.id);
      if (image === null) throw notFound(`firmware image ${req.params.id}`);
      return presentImage(image);
    },
  );

  app.delete(
    '/firmware/images/:id',
    {
      schema: {
        operationId: 'deleteFirmwareImage',
        tags: ['control'],
        summary: 'Delete an image (refused with 409 while an unfinished command names it)',
        params: IdParams,
        response: { 204: NoContent, '4xx': ErrorResponse, '5xx': ErrorResponse },
      },
    },
    async (req, reply) => {
      const id = req.params.id;
      req.audit.target = `firmware:${id}`;
      const image = await store.firmware.get(id);
      if (image === null) throw notFound(`firmware image ${id}`);
      req.audit.detail = { identifier: image.identifier, version: image.version, sha256: image.sha256 };
      await store.firmware.delete(id);
      return reply.status(204).send(null);
    },
  );
}
