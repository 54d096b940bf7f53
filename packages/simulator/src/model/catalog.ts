import { type AccessHint, ClassId, getInterfaceClass, parseObis } from '@openhes/cosem';
import type { AttributeAccess, DlmsData, MethodAccess } from '@openhes/dlms';
import type { AssociationSpec, DeviceProfile, ObjectSpec } from '../profiles.ts';

/** Versions the simulator implements per class (object_list reports them). */
export const CLASS_VERSION: Readonly<Record<number, number>> = {
  [ClassId.Data]: 0,
  [ClassId.Register]: 0,
  [ClassId.ExtendedRegister]: 0,
  [ClassId.ProfileGeneric]: 1,
  [ClassId.Clock]: 0,
  [ClassId.ScriptTable]: 0,
  [ClassId.AssociationLN]: 1,
  [ClassId.ImageTransfer]: 0,
  [ClassId.ActivityCalendar]: 0,
  [ClassId.SingleActionSchedule]: 0,
  [ClassId.IecHdlcSetup]: 1,
  [ClassId.PushSetup]: 0,
  [ClassId.SecuritySetup]: 0,
  [ClassId.DisconnectControl]: 0,
  [ClassId.Limiter]: 0,
};

export function obisKey(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}.${bytes[4]}.${bytes[5]}`;
}

export function obisBytes(obis: string): Uint8Array {
  return Uint8Array.from(parseObis(obis));
}

export interface CatalogEntry {
  spec: ObjectSpec;
  ln: Uint8Array;
  version: number;
  /** Attribute indexes this class version has. */
  attributes: { index: number; access: AccessHint }[];
  methods: number[];
}

/**
 * A profile's objects indexed for the object model: built once per profile and shared by all
 * meters of that profile.
 */
export interface Catalog {
  profile: DeviceProfile;
  byObis: Map<string, CatalogEntry>;
  visible: Map<string, Set<string> | '*'>;
  associations: Map<string, AssociationSpec>;
}

const catalogs = new WeakMap<DeviceProfile, Catalog>();

export function catalogOf(profile: DeviceProfile): Catalog {
  const hit = catalogs.get(profile);
  if (hit !== undefined) return hit;
  const byObis = new Map<string, CatalogEntry>();
  for (const spec of profile.objects) {
    const cls = getInterfaceClass(spec.class);
    const version = spec.version ?? CLASS_VERSION[spec.class] ?? 0;
    byObis.set(spec.obis, {
      spec,
      ln: obisBytes(spec.obis),
      version,
      attributes: (cls?.attributes ?? [{ index: 1, name: 'logical_name', access: 'r' as const, since: 0 }])
        .filter((a) => ('since' in a ? (a.since ?? 0) : 0) <= version)
        .map((a) => ({ index: a.index, access: a.access })),
      methods: (cls?.methods ?? [])
        .filter((m) => (m.since ?? 0) <= version && (m.until ?? 99) >= version)
        .map((m) => m.index),
    });
  }
  const visible = new Map<string, Set<string> | '*'>();
  const associations = new Map<string, AssociationSpec>();
  for (const a of profile.associations) {
    visible.set(a.key, a.objects === '*' ? '*' : new Set(a.objects));
    associations.set(a.key, a);
  }
  const c: Catalog = { profile, byObis, visible, associations };
  catalogs.set(profile, c);
  return c;
}

export function isVisible(c: Catalog, association: string, obis: string): boolean {
  const v = c.visible.get(association);
  return v !== undefined && (v === '*' || v.has(obis));
}

export function attributeAccessOf(
  c: Catalog,
  association: string,
  e: CatalogEntry,
  attr: number,
): AttributeAccess {
  if (!isVisible(c, association, e.spec.obis)) return 'none';
  const a = e.attributes.find((x) => x.index === attr);
  if (a === undefined) return 'none';
  const full = c.associations.get(association)?.rights === 'full';
  const read = a.access === 'r' || a.access === 'rw';
  const write = full && (a.access === 'w' || a.access === 'rw');
  return read && write ? 'read-write' : read ? 'read' : write ? 'write' : 'none';
}

export function methodAccessOf(
  c: Catalog,
  association: string,
  e: CatalogEntry,
  method: number,
): MethodAccess {
  if (!isVisible(c, association, e.spec.obis) || !e.methods.includes(method)) return 'none';
  if (e.spec.class === ClassId.AssociationLN && method === 1) return 'access';
  return c.associations.get(association)?.rights === 'full' ? 'access' : 'none';
}

const MODE: Record<AttributeAccess, number> = { none: 0, read: 1, write: 2, 'read-write': 3 };

/** object_list as association `association` shows it (Association LN version 1 access modes). */
export function objectList(c: Catalog, association: string): DlmsData {
  const items: DlmsData[] = [];
  for (const e of c.byObis.values()) {
    if (!isVisible(c, association, e.spec.obis)) continue;
    items.push({
      type: 'structure',
      value: [
        { type: 'long-unsigned', value: e.spec.class },
        { type: 'unsigned', value: e.version },
        { type: 'octet-string', value: e.ln },
        {
          type: 'structure',
          value: [
            {
              type: 'array',
              value: e.attributes.map((a) => ({
                type: 'structure',
                value: [
                  { type: 'integer', value: a.index },
                  { type: 'enum', value: MODE[attributeAccessOf(c, association, e, a.index)] },
                  e.spec.class === ClassId.ProfileGeneric && a.index === 2
                    ? {
                        type: 'array',
                        value: [
                          { type: 'integer', value: 1 },
                          { type: 'integer', value: 2 },
                        ],
                      }
                    : { type: 'null-data' },
                ],
              })),
            },
            {
              type: 'array',
              value: e.methods.map((m) => ({
                type: 'structure',
                value: [
                  { type: 'integer', value: m },
                  { type: 'enum', value: methodAccessOf(c, association, e, m) === 'access' ? 1 : 0 },
                ],
              })),
            },
          ],
        },
      ],
    });
  }
  return { type: 'array', value: items };
}
