import { ClassId } from './ids.ts';
import { type InterfaceClassDef, LOGICAL_NAME_ATTRIBUTE } from './types.ts';

export const AssociationStatusNames = {
  0: 'non-associated',
  1: 'association-pending',
  2: 'associated',
} as const;

export const ASSOCIATION_LN = {
  classId: ClassId.AssociationLN,
  version: 2,
  name: 'Association LN',
  attributes: [
    LOGICAL_NAME_ATTRIBUTE,
    { index: 2, name: 'object_list', type: 'array', codec: 'object_list', access: 'r', dynamic: false },
    {
      index: 3,
      name: 'associated_partners_id',
      type: 'structure',
      codec: 'associated_partners_id',
      access: 'r',
      dynamic: false,
    },
    {
      index: 4,
      name: 'application_context_name',
      type: 'any',
      codec: 'application_context_name',
      access: 'r',
      dynamic: false,
      note: 'octet-string (encoded OID) or, in early meters, a structure of the OID arcs',
    },
    {
      index: 5,
      name: 'xDLMS_context_info',
      type: 'structure',
      codec: 'xdlms_context_info',
      access: 'r',
      dynamic: false,
    },
    {
      index: 6,
      name: 'authentication_mechanism_name',
      type: 'any',
      codec: 'authentication_mechanism_name',
      access: 'r',
      dynamic: false,
    },
    { index: 7, name: 'secret', type: 'octet-string', access: 'w', dynamic: false },
    {
      index: 8,
      name: 'association_status',
      type: 'enum',
      values: AssociationStatusNames,
      access: 'r',
      dynamic: true,
    },
    {
      index: 9,
      name: 'security_setup_reference',
      type: 'octet-string',
      codec: 'logical_name',
      access: 'r',
      dynamic: false,
      since: 1,
    },
    { index: 10, name: 'user_list', type: 'array', access: 'r', dynamic: false, since: 2 },
    { index: 11, name: 'current_user', type: 'structure', access: 'r', dynamic: true, since: 2 },
  ],
  methods: [
    { index: 1, name: 'reply_to_HLS_authentication', parameter: 'octet-string' },
    { index: 2, name: 'change_HLS_secret', parameter: 'octet-string' },
    { index: 3, name: 'add_object', parameter: 'structure', note: 'object_list_element' },
    { index: 4, name: 'remove_object', parameter: 'structure', note: 'object_list_element' },
    { index: 5, name: 'add_user', parameter: 'structure', since: 2 },
    { index: 6, name: 'remove_user', parameter: 'structure', since: 2 },
  ],
} as const satisfies InterfaceClassDef;

export const SAP_ASSIGNMENT = {
  classId: ClassId.SapAssignment,
  version: 0,
  name: 'SAP assignment',
  attributes: [
    LOGICAL_NAME_ATTRIBUTE,
    {
      index: 2,
      name: 'SAP_assignment_list',
      type: 'array',
      codec: 'sap_assignment_list',
      access: 'r',
      dynamic: false,
    },
  ],
  methods: [{ index: 1, name: 'connect_logical_device', parameter: 'structure' }],
} as const satisfies InterfaceClassDef;

export const SecuritySuiteNames = {
  0: 'AES-GCM-128',
  1: 'ECDH-ECDSA-AES-GCM-128-SHA-256',
  2: 'ECDH-ECDSA-AES-GCM-256-SHA-384',
} as const;

export const SECURITY_SETUP = {
  classId: ClassId.SecuritySetup,
  version: 1,
  name: 'Security setup',
  attributes: [
    LOGICAL_NAME_ATTRIBUTE,
    {
      index: 2,
      name: 'security_policy',
      type: 'enum',
      codec: 'security_policy',
      access: 'rw',
      dynamic: false,
      note: 'version 0: enumeration 0..3; version 1: bit map',
    },
    {
      index: 3,
      name: 'security_suite',
      type: 'enum',
      values: SecuritySuiteNames,
      access: 'r',
      dynamic: false,
    },
    { index: 4, name: 'client_system_title', type: 'octet-string', access: 'r', dynamic: false },
    { index: 5, name: 'server_system_title', type: 'octet-string', access: 'r', dynamic: false },
    { index: 6, name: 'certificates', type: 'array', access: 'r', dynamic: false, since: 1 },
  ],
  methods: [
    { index: 1, name: 'security_activate', parameter: 'enum' },
    { index: 2, name: 'key_transfer', parameter: 'array', note: 'global_key_transfer in version 0' },
    { index: 3, name: 'key_agreement', parameter: 'array', since: 1 },
    { index: 4, name: 'generate_key_pair', parameter: 'enum', since: 1 },
    { index: 5, name: 'generate_certificate_request', parameter: 'enum', since: 1 },
    { index: 6, name: 'import_certificate', parameter: 'octet-string', since: 1 },
    { index: 7, name: 'export_certificate', parameter: 'structure', since: 1 },
    { index: 8, name: 'remove_certificate', parameter: 'structure', since: 1 },
  ],
} as const satisfies InterfaceClassDef;
