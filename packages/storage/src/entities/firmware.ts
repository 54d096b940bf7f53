import { createHash } from 'node:crypto';
import {
  type FirmwareImage,
  type FirmwareImageStore,
  MAX_FIRMWARE_IMAGE_BYTES,
  type NewFirmwareImage,
  pageLimit,
  validateId,
  validateText,
} from '@openhes/core';
import { StorageError, StorageErrorCode } from '../errors.ts';
import { cursorNumbers, pageOf } from '../sql/cursor.ts';
import { bytes, num, parseJson, type Row } from '../sql/exec.ts';
import { checked, notFound } from '../sql/validate.ts';
import { badInput, isPlainObject, OPEN_COMMAND_STATES, stateList } from './commands.ts';
import type { EntityContext } from './context.ts';

/** image_identifier travels in image_transfer_initiate as an octet string of at most 64 bytes. */
const MAX_IDENTIFIER_BYTES = 64;
const PRINTABLE = /^[\x20-\x7e]+$/;

function validateNewImage(image: NewFirmwareImage, data: Uint8Array): void {
  if (!isPlainObject(image)) throw badInput('image', 'must be an object');
  checked(() => {
    validateText('identifier', image.identifier, MAX_IDENTIFIER_BYTES);
    validateText('version', image.version, 128);
    validateText('uploadedBy', image.uploadedBy, 256);
  });
  if (!PRINTABLE.test(image.identifier)) {
    throw badInput('identifier', `must be printable ASCII of 1..${MAX_IDENTIFIER_BYTES} bytes`);
  }
  if (!Array.isArray(image.deviceProfiles))
    throw badInput('deviceProfiles', 'must be a list of profile names');
  checked(() => {
    for (let i = 0; i < image.deviceProfiles.length; i++) {
      validateText(`deviceProfiles[${i}]`, image.deviceProfiles[i], 128);
    }
  });
  if (!(data instanceof Uint8Array) || data.length === 0) throw badInput('bytes', 'must be non-empty bytes');
  if (data.length > MAX_FIRMWARE_IMAGE_BYTES) {
    throw new StorageError(
      StorageErrorCode.InvalidInput,
      `bytes: image of ${data.length} bytes is over the limit of ${MAX_FIRMWARE_IMAGE_BYTES}`,
      {
        detail: {
          reason: 'STORAGE_IMAGE_TOO_LARGE',
          field: 'bytes',
          size: data.length,
          max: MAX_FIRMWARE_IMAGE_BYTES,
        },
      },
    );
  }
}

export function createFirmwareStore(ctx: EntityContext): FirmwareImageStore {
  const { exec } = ctx;
  const d = exec.dialect;
  const cols = `id, identifier, version, device_profiles, size, sha256, uploaded_by, ${d.ms('uploaded_at')} AS uploaded_at`;
  const toImage = (r: Row): FirmwareImage => ({
    id: num(r.id),
    identifier: r.identifier as string,
    version: r.version as string,
    deviceProfiles: parseJson(r.device_profiles),
    size: num(r.size),
    sha256: r.sha256 as string,
    uploadedBy: r.uploaded_by as string,
    uploadedAt: num(r.uploaded_at),
  });
  // The image a command names: parameters.imageId (firmware-update).
  const imageIdOf =
    d.name === 'sqlite' ? "json_extract(parameters, '$.imageId')" : "(parameters->>'imageId')";

  return {
    async put(image, data) {
      validateNewImage(image, data);
      const sha256 = createHash('sha256').update(data).digest('hex');
      const stored = async () => {
        const row = await exec.get(`SELECT ${cols} FROM firmware_images WHERE sha256 = ?`, [sha256]);
        return row ? toImage(row) : null;
      };
      const insert = exec.tx(async (tx) => {
        const same = await tx.get(`SELECT ${cols} FROM firmware_images WHERE sha256 = ?`, [sha256]);
        if (same) return toImage(same);
        const row = await tx.get(
          `INSERT INTO firmware_images (identifier, version, device_profiles, size, sha256, bytes, uploaded_by,
             uploaded_at)
           VALUES (?, ?, ${d.json('?')}, ?, ?, ?, ?, ${d.t('?')}) RETURNING ${cols}`,
          [
            image.identifier,
            image.version,
            JSON.stringify(image.deviceProfiles),
            data.length,
            sha256,
            Buffer.from(data.buffer, data.byteOffset, data.byteLength),
            image.uploadedBy,
            ctx.clock.now(),
          ],
        );
        return toImage(row as Row);
      });
      try {
        return await insert;
      } catch (e) {
        // The same image uploaded at the same time by another writer: theirs is the one kept.
        const theirs =
          e instanceof StorageError && e.code === StorageErrorCode.Conflict ? await stored() : null;
        if (theirs === null) throw e;
        return theirs;
      }
    },

    async get(id) {
      const row = await exec.get(`SELECT ${cols} FROM firmware_images WHERE id = ?`, [id]);
      return row ? toImage(row) : null;
    },

    async bytes(id) {
      const row = await exec.get<{ bytes: unknown }>('SELECT bytes FROM firmware_images WHERE id = ?', [id]);
      return row ? bytes(row.bytes) : null;
    },

    async list(page) {
      const limit = checked(() => pageLimit(page.limit));
      const after = cursorNumbers(page.cursor, 1)?.[0] ?? 0;
      const rows = await exec.all(`SELECT ${cols} FROM firmware_images WHERE id > ? ORDER BY id LIMIT ?`, [
        after,
        limit + 1,
      ]);
      return pageOf(rows.map(toImage), limit, (i) => [i.id]);
    },

    async delete(id) {
      checked(() => validateId('id', id));
      await exec.tx(async (tx) => {
        const lock = d.name === 'postgres' ? ' FOR UPDATE' : '';
        const image = await tx.get(`SELECT id FROM firmware_images WHERE id = ?${lock}`, [id]);
        if (!image) throw notFound('firmware image', { imageId: id });
        const open = stateList('state', OPEN_COMMAND_STATES);
        const user = await tx.get<{ id: unknown; state: string }>(
          `SELECT id, state FROM commands WHERE kind = 'firmware-update' AND ${open.sql}
             AND ${imageIdOf} = ? LIMIT 1`,
          [...open.params, d.name === 'sqlite' ? id : String(id)],
        );
        if (user) {
          throw new StorageError(
            StorageErrorCode.Conflict,
            `firmware image ${id} is named by command ${num(user.id)} (${user.state})`,
            { detail: { reason: 'STORAGE_IMAGE_IN_USE', imageId: id, commandId: num(user.id) } },
          );
        }
        await tx.run('DELETE FROM firmware_images WHERE id = ?', [id]);
      });
    },
  };
}
