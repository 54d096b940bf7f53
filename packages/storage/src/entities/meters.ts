import {
  type CampaignTarget,
  type Channel,
  type ChannelDef,
  type ChannelStore,
  type Hierarchy,
  type Meter,
  type MeterPatch,
  type MeterQuery,
  type MeterStatus,
  type MeterStore,
  meterTransitionProblem,
  meterTransitionsFrom,
  type NewMeter,
  type NewTopologyNode,
  NODE_HIERARCHY,
  NODE_PARENT,
  NodeKind,
  type Page,
  type PageRequest,
  pageLimit,
  MeterStatus as Statuses,
  type TopologyNode,
  type TopologyStore,
  validateChannelDef,
  validateEnum,
  validateId,
  validateMeterLabels,
  validateNewMeter,
  validateText,
} from '@openhes/core';
import { StorageError, StorageErrorCode } from '../errors.ts';
import { cursorNumbers, pageOf } from '../sql/cursor.ts';
import { num, numOrNull, parseJson, type Row } from '../sql/exec.ts';
import { checked, notFound } from '../sql/validate.ts';
import type { EntityContext } from './context.ts';

function toMeter(r: Row): Meter {
  return {
    id: num(r.id),
    serial: r.serial as string,
    manufacturer: r.manufacturer as string,
    model: r.model as string,
    deviceProfile: r.device_profile as string,
    protocol: r.protocol as Meter['protocol'],
    address: r.address as string,
    keyRefs: parseJson(r.key_refs),
    status: r.status as MeterStatus,
    customerClass: r.customer_class as Meter['customerClass'],
    tariff: (r.tariff as string | null) ?? null,
    paymentMode: r.payment_mode as Meter['paymentMode'],
    servicePointId: numOrNull(r.service_point_id),
    sectionId: numOrNull(r.section_id),
    firmwareVersion: (r.firmware_version as string | null) ?? null,
    tags: parseJson<string[]>(r.tags) ?? [],
    segment: (r.segment as string | null) ?? null,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

export function meterColumns(ctx: EntityContext): string {
  const d = ctx.exec.dialect;
  return `id, serial, manufacturer, model, device_profile, protocol, address, key_refs, status, customer_class,
    tariff, payment_mode, service_point_id, section_id, firmware_version, tags, segment,
    ${d.ms('created_at')} AS created_at,
    ${d.ms('updated_at')} AS updated_at`;
}

export function createMeterStore(ctx: EntityContext, topology: TopologyStore): MeterStore {
  const { exec } = ctx;
  const d = exec.dialect;
  const cols = meterColumns(ctx);

  async function checkAttachment(
    servicePointId: number | null | undefined,
    sectionId: number | null | undefined,
  ) {
    for (const [id, kind] of [
      [servicePointId, NodeKind.servicePoint],
      [sectionId, NodeKind.section],
    ] as const) {
      if (id == null) continue;
      const node = await topology.getNode(id);
      if (!node || node.kind !== kind) throw notFound(kind.replace('-', ' '), { nodeId: id });
    }
  }

  const store: MeterStore = {
    async create(m: NewMeter) {
      checked(() => {
        validateNewMeter(m);
        validateMeterLabels(m);
      });
      await checkAttachment(m.servicePointId, m.sectionId);
      const now = ctx.clock.now();
      const row = await exec.get(
        `INSERT INTO meters (serial, manufacturer, model, device_profile, protocol, address, key_refs, status,
           customer_class, tariff, payment_mode, service_point_id, section_id, firmware_version, tags, segment,
           created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ${d.json('?')}, ?, ?, ?, ?, ?, ?, ?, ${d.json('?')}, ?, ${d.t('?')}, ${d.t('?')})
         RETURNING ${cols}`,
        [
          m.serial,
          m.manufacturer,
          m.model,
          m.deviceProfile,
          m.protocol,
          m.address,
          JSON.stringify(m.keyRefs ?? {}),
          m.status ?? Statuses.registered,
          m.customerClass ?? 'residential',
          m.tariff ?? null,
          m.paymentMode ?? 'postpaid',
          m.servicePointId ?? null,
          m.sectionId ?? null,
          m.firmwareVersion ?? null,
          JSON.stringify(m.tags ?? []),
          m.segment ?? null,
          now,
          now,
        ],
      );
      return toMeter(row as Row);
    },

    async get(id) {
      const row = await exec.get(`SELECT ${cols} FROM meters WHERE id = ?`, [id]);
      return row ? toMeter(row) : null;
    },

    async getBySerial(serial) {
      const row = await exec.get(`SELECT ${cols} FROM meters WHERE serial = ?`, [serial]);
      return row ? toMeter(row) : null;
    },

    async update(id, patch: MeterPatch) {
      const cur = await store.get(id);
      if (!cur) throw notFound('meter', { meterId: id });
      const next = { ...cur, ...patch };
      checked(() => {
        validateNewMeter(next);
        validateMeterLabels(next);
      });
      await checkAttachment(patch.servicePointId, patch.sectionId);
      const row = await exec.get(
        `UPDATE meters SET manufacturer = ?, model = ?, device_profile = ?, protocol = ?, address = ?,
           key_refs = ${d.json('?')}, customer_class = ?, tariff = ?, payment_mode = ?, service_point_id = ?,
           section_id = ?, firmware_version = ?, tags = ${d.json('?')}, segment = ?, updated_at = ${d.t('?')}
         WHERE id = ? RETURNING ${cols}`,
        [
          next.manufacturer,
          next.model,
          next.deviceProfile,
          next.protocol,
          next.address,
          JSON.stringify(next.keyRefs),
          next.customerClass,
          next.tariff,
          next.paymentMode,
          next.servicePointId,
          next.sectionId,
          next.firmwareVersion,
          JSON.stringify(next.tags),
          next.segment,
          ctx.clock.now(),
          id,
        ],
      );
      return toMeter(row as Row);
    },

    async setStatus(id, status) {
      checked(() => validateEnum('status', Statuses, status));
      return exec.tx(async (tx) => {
        const row = await tx.get<{ status: MeterStatus }>('SELECT status FROM meters WHERE id = ?', [id]);
        if (!row) throw notFound('meter', { meterId: id });
        const problem = meterTransitionProblem(row.status, status);
        if (problem !== undefined) {
          throw new StorageError(StorageErrorCode.Conflict, `meter ${id}: ${problem}`, {
            detail: {
              reason: 'STORAGE_INVALID_TRANSITION',
              from: row.status,
              to: status,
              allowed: [...meterTransitionsFrom(row.status)],
            },
          });
        }
        if (row.status === status) {
          const same = await tx.get(`SELECT ${cols} FROM meters WHERE id = ?`, [id]);
          return toMeter(same as Row);
        }
        const updated = await tx.get(
          `UPDATE meters SET status = ?, updated_at = ${d.t('?')} WHERE id = ? RETURNING ${cols}`,
          [status, ctx.clock.now(), id],
        );
        return toMeter(updated as Row);
      });
    },

    async list(q: MeterQuery): Promise<Page<Meter>> {
      const limit = checked(() => pageLimit(q.limit));
      const after = cursorNumbers(q.cursor, 1)?.[0] ?? 0;
      // Every filter is a predicate of the one query, so a page is short only at the end.
      const where = ['id > ?'];
      const params: unknown[] = [after];
      let prefix = '';
      const prefixParams: unknown[] = [];
      for (const [col, v] of [
        ['status', q.status],
        ['serial', q.serial],
        ['manufacturer', q.manufacturer],
        ['model', q.model],
        ['protocol', q.protocol],
        ['device_profile', q.deviceProfile],
        ['customer_class', q.customerClass],
        ['firmware_version', q.firmwareVersion],
        ['segment', q.segment],
      ] as const) {
        if (v === undefined) continue;
        if (typeof v !== 'string') {
          throw new StorageError(StorageErrorCode.InvalidInput, `meter filter ${col} must be text`, {
            detail: { reason: 'CORE_INVALID_VALUE', field: col },
          });
        }
        where.push(`${col} = ?`);
        params.push(v);
      }
      if (q.tag !== undefined) {
        where.push(anyTag(d.name));
        params.push(JSON.stringify([checked(() => validateText('tag', q.tag, 64))]));
      }
      if (q.search !== undefined && q.search !== '') {
        const text = checked(() => validateText('search', q.search, 128));
        where.push("lower(serial) LIKE ? ESCAPE '\\'");
        params.push(`%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      }
      if (q.underNode !== undefined) {
        const node = await topology.getNode(checked(() => validateId('underNode', q.underNode)));
        if (!node) throw notFound('node', { nodeId: q.underNode });
        prefix = `WITH RECURSIVE sub(id) AS (
           SELECT id FROM topology_nodes WHERE id = ?
           UNION ALL SELECT n.id FROM topology_nodes n JOIN sub ON n.parent_id = sub.id) `;
        prefixParams.push(q.underNode);
        where.push('(service_point_id IN (SELECT id FROM sub) OR section_id IN (SELECT id FROM sub))');
      }
      params.push(limit + 1);
      const rows = await exec.all(
        `${prefix}SELECT ${cols} FROM meters WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`,
        [...prefixParams, ...params],
      );
      return pageOf(rows.map(toMeter), limit, (m) => [m.id]);
    },

    async select(target: CampaignTarget) {
      const where = ["status <> 'decommissioned'"];
      const params: unknown[] = [];
      let prefix = '';
      const prefixParams: unknown[] = [];
      const list = (field: string, v: unknown): unknown[] | undefined => {
        if (v === undefined) return undefined;
        if (!Array.isArray(v))
          throw new StorageError(StorageErrorCode.InvalidInput, `target ${field} must be a list`, {
            detail: { reason: 'CORE_INVALID_VALUE', field },
          });
        return v;
      };
      const ids = (field: string, v: unknown): number[] | undefined => {
        const xs = list(field, v);
        return xs === undefined ? undefined : checked(() => xs.map((x) => validateId(field, x)));
      };
      const texts = (field: string, v: unknown): string[] | undefined => {
        const xs = list(field, v);
        return xs === undefined ? undefined : checked(() => xs.map((x) => validateText(field, x, 256)));
      };
      const meterIds = ids('meterIds', target.meterIds);
      if (meterIds !== undefined) {
        where.push(d.inIds('id', '?'));
        params.push(JSON.stringify(meterIds));
      }
      for (const [field, col, v] of [
        ['models', 'model', target.models],
        ['deviceProfiles', 'device_profile', target.deviceProfiles],
        ['firmwareVersions', 'firmware_version', target.firmwareVersions],
        ['segments', 'segment', target.segments],
      ] as const) {
        const xs = texts(field, v);
        if (xs === undefined) continue;
        where.push(inTexts(d.name, col));
        params.push(JSON.stringify(xs));
      }
      const tags = texts('tags', target.tags);
      if (tags !== undefined) {
        where.push(anyTag(d.name));
        params.push(JSON.stringify(tags));
      }
      const nodes = ids('nodes', target.nodes);
      if (nodes !== undefined) {
        prefix = `WITH RECURSIVE sub(id) AS (
           SELECT id FROM topology_nodes WHERE ${d.inIds('id', '?')}
           UNION ALL SELECT n.id FROM topology_nodes n JOIN sub ON n.parent_id = sub.id) `;
        prefixParams.push(JSON.stringify(nodes));
        where.push('(service_point_id IN (SELECT id FROM sub) OR section_id IN (SELECT id FROM sub))');
      }
      const rows = await exec.all<{ id: unknown }>(
        `${prefix}SELECT id FROM meters WHERE ${where.join(' AND ')} ORDER BY id`,
        [...prefixParams, ...params],
      );
      return rows.map((r) => num(r.id));
    },

    async remove(id) {
      checked(() => validateId('id', id));
      await exec.tx(async (tx) => {
        const row = await tx.get('SELECT id FROM meters WHERE id = ?', [id]);
        if (!row) throw notFound('meter', { meterId: id });
        // A meter that delivered data (or was acted on) keeps its record: its history refers to it.
        const held: string[] = [];
        for (const [what, table] of [
          ['readings', 'channels'],
          ['events', 'events'],
          ['collection outcomes', 'collection_outcomes'],
          ['commands', 'commands'],
        ] as const) {
          const hit = await tx.get(`SELECT 1 AS x FROM ${table} WHERE meter_id = ? LIMIT 1`, [id]);
          if (hit) held.push(what);
        }
        if (held.length > 0) {
          throw new StorageError(
            StorageErrorCode.Conflict,
            `meter ${id} has ${held.join(', ')}: only a meter that never delivered data can be removed (decommission it instead)`,
            { detail: { reason: 'STORAGE_METER_HAS_DATA', meterId: id, has: held } },
          );
        }
        for (const table of ['meter_keys', 'invocation_counters', 'meter_health'])
          await tx.run(`DELETE FROM ${table} WHERE meter_id = ?`, [id]);
        await tx.run('DELETE FROM meters WHERE id = ?', [id]);
      });
    },
  };
  return store;
}

/** SQL predicate: `column` is one of the texts in a parameter holding a JSON array. */
function inTexts(dialect: 'sqlite' | 'postgres', column: string): string {
  return dialect === 'sqlite'
    ? `${column} IN (SELECT value FROM json_each(?))`
    : `${column} = ANY(ARRAY(SELECT jsonb_array_elements_text(?::jsonb)))`;
}

/** SQL predicate: the meter's tags share one with a parameter holding a JSON array. */
function anyTag(dialect: 'sqlite' | 'postgres'): string {
  return dialect === 'sqlite'
    ? 'EXISTS (SELECT 1 FROM json_each(meters.tags) t WHERE t.value IN (SELECT value FROM json_each(?)))'
    : 'EXISTS (SELECT 1 FROM jsonb_array_elements_text(meters.tags) t(v) WHERE t.v IN (SELECT jsonb_array_elements_text(?::jsonb)))';
}

function toNode(r: Row): TopologyNode {
  return {
    id: num(r.id),
    hierarchy: r.hierarchy as Hierarchy,
    kind: r.kind as TopologyNode['kind'],
    parentId: numOrNull(r.parent_id),
    code: r.code as string,
    name: r.name as string,
  };
}

export function createTopologyStore(ctx: EntityContext): TopologyStore {
  const { exec } = ctx;
  const store: TopologyStore = {
    async createNode(n: NewTopologyNode) {
      checked(() => {
        validateEnum('kind', NodeKind, n.kind);
        validateText('code', n.code, 128);
        validateText('name', n.name, 256);
        if (n.parentId !== null) validateId('parentId', n.parentId);
      });
      const parentKind = NODE_PARENT[n.kind];
      if (parentKind === null && n.parentId !== null) {
        throw new StorageError(StorageErrorCode.InvalidInput, `${n.kind} is a root and takes no parent`, {
          detail: { reason: 'STORAGE_BAD_PARENT' },
        });
      }
      if (parentKind !== null) {
        const parent = n.parentId === null ? null : await store.getNode(n.parentId);
        if (!parent || parent.kind !== parentKind)
          throw notFound(parentKind.replace('-', ' '), { nodeId: n.parentId });
      }
      const row = await exec.get(
        `INSERT INTO topology_nodes (hierarchy, kind, parent_id, code, name) VALUES (?, ?, ?, ?, ?)
         RETURNING id, hierarchy, kind, parent_id, code, name`,
        [NODE_HIERARCHY[n.kind], n.kind, n.parentId, n.code, n.name],
      );
      return toNode(row as Row);
    },

    async getNode(id) {
      const row = await exec.get(
        'SELECT id, hierarchy, kind, parent_id, code, name FROM topology_nodes WHERE id = ?',
        [id],
      );
      return row ? toNode(row) : null;
    },

    async children(parentId, hierarchy, page: PageRequest) {
      const limit = checked(() => pageLimit(page.limit));
      const after = cursorNumbers(page.cursor, 1)?.[0] ?? 0;
      const rows = await exec.all(
        `SELECT id, hierarchy, kind, parent_id, code, name FROM topology_nodes
         WHERE ${parentId === null ? 'parent_id IS NULL' : 'parent_id = ?'} AND hierarchy = ? AND id > ?
         ORDER BY id LIMIT ?`,
        parentId === null ? [hierarchy, after, limit + 1] : [parentId, hierarchy, after, limit + 1],
      );
      return pageOf(rows.map(toNode), limit, (n) => [n.id]);
    },

    async meterIdsUnder(nodeId) {
      const node = await store.getNode(nodeId);
      if (!node) throw notFound('node', { nodeId });
      const rows = await exec.all<{ id: unknown }>(
        `WITH RECURSIVE sub(id) AS (
           SELECT id FROM topology_nodes WHERE id = ?
           UNION ALL SELECT n.id FROM topology_nodes n JOIN sub ON n.parent_id = sub.id)
         SELECT m.id FROM meters m WHERE m.service_point_id IN (SELECT id FROM sub)
            OR m.section_id IN (SELECT id FROM sub) ORDER BY m.id`,
        [nodeId],
      );
      return rows.map((r) => num(r.id));
    },
  };
  return store;
}

export function toChannel(r: Row): Channel {
  return {
    id: num(r.id),
    meterId: num(r.meter_id),
    obis: r.obis as string,
    attribute: num(r.attribute),
    kind: r.kind as Channel['kind'],
    unit: r.unit as string,
    scaler: num(r.scaler),
    intervalSeconds: numOrNull(r.interval_s),
  };
}

const CHANNEL_COLS = 'id, meter_id, obis, attribute, kind, unit, scaler, interval_s';

export function createChannelStore(ctx: EntityContext): ChannelStore {
  const { exec } = ctx;
  return {
    async ensure(meterId: number, def: ChannelDef) {
      const d = checked(() => {
        validateId('meterId', meterId);
        return validateChannelDef(def);
      });
      const meter = await exec.get('SELECT id FROM meters WHERE id = ?', [meterId]);
      if (!meter) throw notFound('meter', { meterId });
      const key = [meterId, d.obis, d.attribute, d.kind];
      await exec.run(
        `INSERT INTO channels (meter_id, obis, attribute, kind, unit, scaler, interval_s) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (meter_id, obis, attribute, kind) DO NOTHING`,
        [...key, d.unit, d.scaler, d.intervalSeconds],
      );
      const row = await exec.get(
        `SELECT ${CHANNEL_COLS} FROM channels WHERE meter_id = ? AND obis = ? AND attribute = ? AND kind = ?`,
        key,
      );
      return toChannel(row as Row);
    },

    async ensureMany(meterId: number, defs: readonly ChannelDef[]) {
      const ds = checked(() => {
        validateId('meterId', meterId);
        return defs.map(validateChannelDef);
      });
      if (ds.length === 0) return [];
      return exec.tx(async (tx) => {
        const meter = await tx.get('SELECT id FROM meters WHERE id = ?', [meterId]);
        if (!meter) throw notFound('meter', { meterId });
        for (const d of ds) {
          await tx.run(
            `INSERT INTO channels (meter_id, obis, attribute, kind, unit, scaler, interval_s) VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (meter_id, obis, attribute, kind) DO NOTHING`,
            [meterId, d.obis, d.attribute, d.kind, d.unit, d.scaler, d.intervalSeconds],
          );
        }
        const rows = await tx.all(`SELECT ${CHANNEL_COLS} FROM channels WHERE meter_id = ?`, [meterId]);
        const byKey = new Map(rows.map((r) => [`${r.obis}|${num(r.attribute)}|${r.kind}`, r]));
        return ds.map((d) => toChannel(byKey.get(`${d.obis}|${d.attribute}|${d.kind}`) as Row));
      });
    },

    async get(id) {
      const row = await exec.get(`SELECT ${CHANNEL_COLS} FROM channels WHERE id = ?`, [id]);
      return row ? toChannel(row) : null;
    },

    async forMeter(meterId) {
      const rows = await exec.all(`SELECT ${CHANNEL_COLS} FROM channels WHERE meter_id = ? ORDER BY id`, [
        meterId,
      ]);
      return rows.map(toChannel);
    },
  };
}
