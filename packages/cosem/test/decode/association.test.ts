import { describe, expect, it } from 'vitest';
import { CosemError } from '../../src/errors.ts';
import {
  decodeApplicationContextName,
  decodeAssociatedPartnersId,
  decodeAssociationStatus,
  decodeAuthenticationMechanismName,
  decodeObjectList,
  decodeObjectListEntry,
  decodeSecurityPolicy,
  decodeSecuritySetup,
  decodeXdlmsContextInfo,
} from '../../src/index.ts';
import { D } from '../fixtures.ts';

// Provenance: hand-built Association LN (version 1) object_list entry for the clock
// 0.0.1.0.0.255 as a meter-reader association would expose it.
const clockEntry = D.struct(
  D.u16(8), // class_id
  D.u8(0), // version
  D.ln('0.0.1.0.0.255'),
  D.struct(
    D.array(
      D.struct(D.i8(1), D.enum(1), D.null()), // logical_name read_only
      D.struct(D.i8(2), D.enum(3), D.null()), // time read_write
      D.struct(D.i8(3), D.enum(4), D.array(D.i8(1), D.i8(2))), // authenticated_read_only, selectors 1 and 2
      D.struct(D.i8(4), D.enum(0), D.null()),
    ),
    D.array(
      D.struct(D.i8(1), D.enum(1)), // access
      D.struct(D.i8(6), D.enum(2)), // authenticated_access
    ),
  ),
);

describe('Association LN object_list', () => {
  it('decodes an entry with attribute and method access modes and their names', () => {
    const e = decodeObjectListEntry(clockEntry);
    expect(e.classId).toBe(8);
    expect(e.version).toBe(0);
    expect(e.logicalName).toEqual([0, 0, 1, 0, 0, 255]);
    expect(e.accessRights.attributeAccess).toEqual([
      {
        attributeId: 1,
        accessMode: 1,
        accessModeName: 'read_only',
        read: true,
        write: false,
        accessSelectors: null,
      },
      {
        attributeId: 2,
        accessMode: 3,
        accessModeName: 'read_write',
        read: true,
        write: true,
        accessSelectors: null,
      },
      {
        attributeId: 3,
        accessMode: 4,
        accessModeName: 'authenticated_read_only',
        read: true,
        write: false,
        accessSelectors: [1, 2],
      },
      {
        attributeId: 4,
        accessMode: 0,
        accessModeName: 'no_access',
        read: false,
        write: false,
        accessSelectors: null,
      },
    ]);
    expect(e.accessRights.methodAccess).toEqual([
      { methodId: 1, accessMode: 1, accessModeName: 'access', allowed: true },
      { methodId: 6, accessMode: 2, accessModeName: 'authenticated_access', allowed: true },
    ]);
  });

  it('accepts version 0 boolean method access and version 3 bit-mapped modes', () => {
    const v0 = D.struct(
      D.u16(70),
      D.u8(0),
      D.ln('0.0.96.3.10.255'),
      D.struct(D.array(), D.array(D.struct(D.i8(1), D.bool(true)), D.struct(D.i8(2), D.bool(false)))),
    );
    const [entry] = decodeObjectList(D.array(v0));
    expect(entry!.accessRights.methodAccess.map((m) => [m.accessMode, m.allowed])).toEqual([
      [1, true],
      [0, false],
    ]);

    const v3 = D.struct(
      D.u16(1),
      D.u8(0),
      D.ln('0.0.96.1.0.255'),
      D.struct(D.array(D.struct(D.i8(2), D.enum(0x01 | 0x02 | 0x04), D.null())), D.array()),
    );
    const bitmapped = decodeObjectListEntry(v3, 'e', { associationVersion: 3 });
    expect(bitmapped.accessRights.attributeAccess[0]).toMatchObject({
      read: true,
      write: true,
      accessModeName: 'read|write|authenticatedRequest',
    });
  });

  it.each([
    ['a three-element entry', D.struct(D.u16(8), D.u8(0), D.ln('0.0.1.0.0.255')), 'object_list[0]'],
    [
      'a 5-byte logical name',
      D.struct(D.u16(8), D.u8(0), D.octets(0, 0, 1, 0, 0), D.struct(D.array(), D.array())),
      'object_list[0].logical_name',
    ],
    [
      'access rights that are not a structure',
      D.struct(D.u16(8), D.u8(0), D.ln('0.0.1.0.0.255'), D.array()),
      'object_list[0].access_rights',
    ],
    [
      'a bad access selector list',
      D.struct(
        D.u16(8),
        D.u8(0),
        D.ln('0.0.1.0.0.255'),
        D.struct(D.array(D.struct(D.i8(2), D.enum(1), D.u8(3))), D.array()),
      ),
      'object_list[0].access_rights.attribute_access[0].access_selectors',
    ],
  ])('rejects %s', (_, entry, path) => {
    try {
      decodeObjectList(D.array(entry));
      expect.fail('expected CosemError');
    } catch (e) {
      expect(e).toBeInstanceOf(CosemError);
      expect((e as CosemError).code).toBe('COSEM_SHAPE');
      expect((e as CosemError).path).toBe(path);
    }
  });
});

describe('Association LN other attributes', () => {
  it('associated_partners_id', () => {
    expect(decodeAssociatedPartnersId(D.struct(D.i8(48), D.u16(1)))).toEqual({ clientSap: 48, serverSap: 1 });
  });

  it('authentication_mechanism_name as encoded OID and as a structure of arcs', () => {
    const gmac = decodeAuthenticationMechanismName(D.octets(0x60, 0x85, 0x74, 0x05, 0x08, 0x02, 0x05));
    expect(gmac).toEqual({ oid: '2.16.756.5.8.2.5', id: 5, name: 'high_gmac' });
    const lls = decodeAuthenticationMechanismName(
      D.struct(D.u8(2), D.u8(16), D.u16(756), D.u8(5), D.u8(8), D.u8(2), D.u8(1)),
    );
    expect(lls).toMatchObject({ id: 1, name: 'low' });
    expect(() => decodeAuthenticationMechanismName(D.octets(0x60, 0x85))).toThrow(CosemError);
  });

  it('application_context_name', () => {
    const ctx = decodeApplicationContextName(D.octets(0x60, 0x85, 0x74, 0x05, 0x08, 0x01, 0x03));
    expect(ctx).toEqual({ oid: '2.16.756.5.8.1.3', id: 3, name: 'logical_name_referencing_with_ciphering' });
    expect(decodeApplicationContextName(D.octets(0x2a, 0x03)).id).toBeUndefined();
  });

  it('xDLMS_context_info and association_status', () => {
    const info = decodeXdlmsContextInfo(
      D.struct(
        { type: 'bit-string', value: { length: 24, bytes: Uint8Array.of(0x00, 0x10, 0x1d) } },
        D.u16(1024),
        D.u16(1024),
        D.u8(6),
        D.i8(0),
        D.octets(),
      ),
    );
    expect(info).toMatchObject({ maxReceivePduSize: 1024, dlmsVersionNumber: 6 });
    expect(decodeAssociationStatus(D.enum(2))).toEqual({ value: 2, name: 'associated' });
  });
});

describe('Security setup', () => {
  it('decodes policy (version 0 enum and version 1 bits), suite and system titles', () => {
    const title = D.octets(0x4d, 0x4d, 0x4d, 0, 0, 0, 0, 1);
    const s = decodeSecuritySetup([D.enum(3), D.enum(0), title, title]);
    expect(s.securityPolicy).toEqual({
      raw: 3,
      version: 0,
      name: 'all_messages_authenticated_and_encrypted',
    });
    expect(s.securitySuite).toEqual({ value: 0, name: 'AES-GCM-128' });
    expect(s.clientSystemTitle).toHaveLength(8);
    expect(decodeSecurityPolicy(D.enum(0x0c)).name).toBe('authenticatedRequest|encryptedRequest');
    expect(decodeSecurityPolicy(D.enum(0), 'p', 1).name).toBe('nothing');
  });
});
