import {
  type Bill,
  type BillingStore,
  type NewBill,
  pageLimit,
  type Tariff,
  type TariffInput,
  validateId,
  validateText,
} from '@openhes/core';
import { StorageError, StorageErrorCode } from '../errors.ts';
import { cursorNumbers, pageOf } from '../sql/cursor.ts';
import { num, type Row } from '../sql/exec.ts';
import { checked, notFound } from '../sql/validate.ts';
import type { EntityContext } from './context.ts';

const CYCLE_RE = /^\d{4}-(0[1-9]|1[0-2])$/;
const TARIFF_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function invalid(field: string, message: string): StorageError {
  return new StorageError(StorageErrorCode.InvalidInput, message, {
    detail: { reason: 'CORE_INVALID_VALUE', field },
  });
}

function checkTariffId(field: string, v: unknown): string {
  if (typeof v !== 'string' || !TARIFF_ID_RE.test(v)) {
    throw invalid(
      field,
      `${field} must be 1-64 letters, digits, '.', '_' or '-' (starting with a letter or digit)`,
    );
  }
  return v;
}

function checkCycle(field: string, v: unknown): string {
  if (typeof v !== 'string' || !CYCLE_RE.test(v)) throw invalid(field, `${field} must be a cycle YYYY-MM`);
  return v;
}

function checkMinor(field: string, v: unknown): number {
  if (!Number.isSafeInteger(v)) throw invalid(field, `${field} must be an integer amount in minor units`);
  return v as number;
}

/** The shape checks a store can make; tariff rules (periods, hours, day types) are meter-data's. */
function checkBill(b: NewBill): void {
  checked(() => {
    validateId('meterId', b.meterId);
    validateText('groupId', b.groupId, 64);
    validateText('createdBy', b.createdBy, 128);
    if (b.reason !== null) validateText('reason', b.reason, 512);
  });
  checkCycle('cycle', b.cycle);
  checkTariffId('tariffId', b.tariffId);
  if (!Number.isSafeInteger(b.tariffRevision) || b.tariffRevision < 1) {
    throw invalid('tariffRevision', 'tariffRevision must be a positive integer');
  }
  if (!Number.isSafeInteger(b.from) || !Number.isSafeInteger(b.to) || b.to <= b.from) {
    throw invalid('from', 'from and to must be integer instants with from < to');
  }
  checkMinor('subtotal', b.subtotal);
  checkMinor('tax', b.tax);
  checkMinor('total', b.total);
  if (!Array.isArray(b.lines)) throw invalid('lines', 'lines must be a list');
  b.lines.forEach((l, i) => {
    checkMinor(`lines[${i}].amount`, l.amount);
  });
  const sum = b.lines.reduce((s, l) => s + l.amount, 0);
  if (sum !== b.total) throw invalid('total', `total ${b.total} is not the sum of the lines (${sum})`);
  if (typeof b.dataVersion !== 'string' || b.dataVersion === '') {
    throw invalid('dataVersion', 'dataVersion must be a non-empty string');
  }
  if (typeof b.estimated !== 'boolean') throw invalid('estimated', 'estimated must be a boolean');
}

export function createBillingStore(ctx: EntityContext): BillingStore {
  const { exec } = ctx;
  const d = exec.dialect;
  const tariffCols = `id, revision, doc, retired, created_by, ${d.ms('created_at')} AS created_at`;
  const toTariff = (r: Row): Tariff => ({
    ...d.fromJson<TariffInput>(r.doc),
    revision: num(r.revision),
    retired: Boolean(r.retired),
    createdBy: r.created_by as string,
    createdAt: num(r.created_at),
  });
  const billCols = `id, version, doc, ${d.ms('created_at')} AS created_at`;
  const toBill = (r: Row): Bill => ({
    ...d.fromJson<NewBill>(r.doc),
    id: num(r.id),
    version: num(r.version),
    createdAt: num(r.created_at),
  });

  return {
    async putTariff(tariff, actor) {
      const id = checkTariffId('id', tariff?.id);
      checked(() => validateText('actor', actor, 128));
      return exec.tx(async (tx) => {
        const last = await tx.get(`SELECT MAX(revision) AS r FROM billing_tariffs WHERE id = ?`, [id]);
        const revision = (last?.r === null || last?.r === undefined ? 0 : num(last.r)) + 1;
        const row = await tx.get(
          `INSERT INTO billing_tariffs (id, revision, doc, retired, created_by, created_at)
           VALUES (?, ?, ${d.json('?')}, ?, ?, ${d.t('?')}) RETURNING ${tariffCols}`,
          [id, revision, JSON.stringify({ ...tariff, id }), d.bool(false), actor, ctx.clock.now()],
        );
        return toTariff(row as Row);
      });
    },

    async tariff(id, revision) {
      if (typeof id !== 'string') return null;
      const row =
        revision === undefined
          ? await exec.get(
              `SELECT ${tariffCols} FROM billing_tariffs WHERE id = ? ORDER BY revision DESC LIMIT 1`,
              [id],
            )
          : Number.isSafeInteger(revision)
            ? await exec.get(`SELECT ${tariffCols} FROM billing_tariffs WHERE id = ? AND revision = ?`, [
                id,
                revision,
              ])
            : undefined;
      return row ? toTariff(row) : null;
    },

    async tariffs(options = {}) {
      const rows = await exec.all(
        `SELECT ${tariffCols} FROM billing_tariffs t
         WHERE revision = (SELECT MAX(revision) FROM billing_tariffs u WHERE u.id = t.id) ORDER BY id`,
      );
      return rows.map(toTariff).filter((t) => options.includeRetired === true || !t.retired);
    },

    async retireTariff(id, actor) {
      if (typeof id !== 'string') return false;
      checked(() => validateText('actor', actor, 128));
      return exec.tx(async (tx) => {
        const row = await tx.get(
          `SELECT ${tariffCols} FROM billing_tariffs WHERE id = ? ORDER BY revision DESC LIMIT 1`,
          [id],
        );
        if (!row) return false;
        // Retiring is a revision of its own: earlier revisions stay as bills used them.
        const t = toTariff(row);
        if (t.retired) return true;
        const { revision, retired, createdBy, createdAt, ...doc } = t;
        await tx.run(
          `INSERT INTO billing_tariffs (id, revision, doc, retired, created_by, created_at)
           VALUES (?, ?, ${d.json('?')}, ?, ?, ${d.t('?')})`,
          [id, revision + 1, JSON.stringify(doc), d.bool(true), actor, ctx.clock.now()],
        );
        return true;
      });
    },

    async addBill(bill, expectedVersion) {
      checkBill(bill);
      if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 1) {
        throw invalid('expectedVersion', 'expectedVersion must be a positive integer');
      }
      return exec.tx(async (tx) => {
        const meter = await tx.get('SELECT id FROM meters WHERE id = ?', [bill.meterId]);
        if (!meter) throw notFound('meter', { meterId: bill.meterId });
        const last = await tx.get(
          'SELECT MAX(version) AS v FROM billing_bills WHERE meter_id = ? AND cycle = ?',
          [bill.meterId, bill.cycle],
        );
        const current = last?.v === null || last?.v === undefined ? 0 : num(last.v);
        if (current + 1 !== expectedVersion) {
          throw new StorageError(
            StorageErrorCode.Conflict,
            `bill of meter ${bill.meterId} for ${bill.cycle} is at version ${current}, not ${expectedVersion - 1}`,
            { detail: { reason: 'STORAGE_BILL_VERSION', meterId: bill.meterId, cycle: bill.cycle, current } },
          );
        }
        await tx.run(`UPDATE billing_bills SET latest = ? WHERE meter_id = ? AND cycle = ?`, [
          d.bool(false),
          bill.meterId,
          bill.cycle,
        ]);
        const row = await tx.get(
          `INSERT INTO billing_bills (meter_id, cycle, version, latest, group_id, tariff_id, tariff_revision,
             estimated, total, data_version, doc, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${d.json('?')}, ${d.t('?')}) RETURNING ${billCols}`,
          [
            bill.meterId,
            bill.cycle,
            expectedVersion,
            d.bool(true),
            bill.groupId,
            bill.tariffId,
            bill.tariffRevision,
            d.bool(bill.estimated),
            bill.total,
            bill.dataVersion,
            JSON.stringify(bill),
            ctx.clock.now(),
          ],
        );
        return toBill(row as Row);
      });
    },

    async bill(id) {
      if (!Number.isSafeInteger(id)) return null;
      const row = await exec.get(`SELECT ${billCols} FROM billing_bills WHERE id = ?`, [id]);
      return row ? toBill(row) : null;
    },

    async billVersions(meterId, cycle) {
      if (!Number.isSafeInteger(meterId) || typeof cycle !== 'string') return [];
      const rows = await exec.all(
        `SELECT ${billCols} FROM billing_bills WHERE meter_id = ? AND cycle = ? ORDER BY version`,
        [meterId, cycle],
      );
      return rows.map(toBill);
    },

    async bills(q) {
      const limit = checked(() => pageLimit(q.limit));
      const where: string[] = [];
      const params: unknown[] = [];
      if (q.cycle !== undefined) {
        where.push('cycle = ?');
        params.push(checkCycle('cycle', q.cycle));
      }
      if (q.meterId !== undefined) {
        where.push('meter_id = ?');
        params.push(checked(() => validateId('meterId', q.meterId)));
      }
      if (q.groupId !== undefined) {
        where.push('group_id = ?');
        params.push(checked(() => validateText('groupId', q.groupId, 64)));
      }
      if (q.estimated !== undefined) {
        if (typeof q.estimated !== 'boolean') throw invalid('estimated', 'estimated must be a boolean');
        where.push('estimated = ?');
        params.push(d.bool(q.estimated));
      }
      if (q.latestOnly !== false) {
        where.push('latest = ?');
        params.push(d.bool(true));
      }
      const after = cursorNumbers(q.cursor, 1);
      if (after !== null) {
        where.push('id > ?');
        params.push(after[0]);
      }
      const rows = await exec.all(
        `SELECT ${billCols} FROM billing_bills ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY id LIMIT ?`,
        [...params, limit + 1],
      );
      return pageOf(rows.map(toBill), limit, (b) => [b.id]);
    },
  };
}
