import { ClassId } from './ids.ts';
import { type InterfaceClassDef, LOGICAL_NAME_ATTRIBUTE, RESET_METHOD } from './types.ts';

export const DATA = {
  classId: ClassId.Data,
  version: 0,
  name: 'Data',
  attributes: [LOGICAL_NAME_ATTRIBUTE, { index: 2, name: 'value', type: 'any', access: 'rw', dynamic: true }],
  methods: [],
} as const satisfies InterfaceClassDef;

export const REGISTER = {
  classId: ClassId.Register,
  version: 0,
  name: 'Register',
  attributes: [
    LOGICAL_NAME_ATTRIBUTE,
    { index: 2, name: 'value', type: 'any', access: 'r', dynamic: true, scaledBy: 3 },
    {
      index: 3,
      name: 'scaler_unit',
      type: 'structure',
      codec: 'scal_unit_type',
      access: 'r',
      dynamic: false,
    },
  ],
  methods: [RESET_METHOD],
} as const satisfies InterfaceClassDef;

export const EXTENDED_REGISTER = {
  classId: ClassId.ExtendedRegister,
  version: 0,
  name: 'Extended register',
  attributes: [
    LOGICAL_NAME_ATTRIBUTE,
    { index: 2, name: 'value', type: 'any', access: 'r', dynamic: true, scaledBy: 3 },
    {
      index: 3,
      name: 'scaler_unit',
      type: 'structure',
      codec: 'scal_unit_type',
      access: 'r',
      dynamic: false,
    },
    { index: 4, name: 'status', type: 'any', access: 'r', dynamic: true },
    { index: 5, name: 'capture_time', type: 'date-time', codec: 'date_time', access: 'r', dynamic: true },
  ],
  methods: [RESET_METHOD],
} as const satisfies InterfaceClassDef;

export const DEMAND_REGISTER = {
  classId: ClassId.DemandRegister,
  version: 0,
  name: 'Demand register',
  attributes: [
    LOGICAL_NAME_ATTRIBUTE,
    { index: 2, name: 'current_average_value', type: 'any', access: 'r', dynamic: true, scaledBy: 4 },
    { index: 3, name: 'last_average_value', type: 'any', access: 'r', dynamic: true, scaledBy: 4 },
    {
      index: 4,
      name: 'scaler_unit',
      type: 'structure',
      codec: 'scal_unit_type',
      access: 'r',
      dynamic: false,
    },
    { index: 5, name: 'status', type: 'any', access: 'r', dynamic: true },
    { index: 6, name: 'capture_time', type: 'date-time', codec: 'date_time', access: 'r', dynamic: true },
    {
      index: 7,
      name: 'start_time_current',
      type: 'date-time',
      codec: 'date_time',
      access: 'r',
      dynamic: true,
    },
    { index: 8, name: 'period', type: 'double-long-unsigned', access: 'rw', dynamic: false },
    { index: 9, name: 'number_of_periods', type: 'long-unsigned', access: 'rw', dynamic: false },
  ],
  methods: [RESET_METHOD, { index: 2, name: 'next_period', parameter: 'integer' }],
} as const satisfies InterfaceClassDef;

export const REGISTER_ACTIVATION = {
  classId: ClassId.RegisterActivation,
  version: 0,
  name: 'Register activation',
  attributes: [
    LOGICAL_NAME_ATTRIBUTE,
    {
      index: 2,
      name: 'register_assignment',
      type: 'array',
      codec: 'register_assignment',
      access: 'rw',
      dynamic: false,
    },
    { index: 3, name: 'mask_list', type: 'array', access: 'rw', dynamic: false },
    { index: 4, name: 'active_mask', type: 'octet-string', access: 'rw', dynamic: true },
  ],
  methods: [
    { index: 1, name: 'add_register', parameter: 'structure' },
    { index: 2, name: 'add_mask', parameter: 'structure' },
    { index: 3, name: 'delete_mask', parameter: 'octet-string' },
  ],
} as const satisfies InterfaceClassDef;

export const SortMethodNames = {
  1: 'fifo',
  2: 'lifo',
  3: 'largest',
  4: 'smallest',
  5: 'nearest_to_zero',
  6: 'farest_from_zero',
} as const;

export const PROFILE_GENERIC = {
  classId: ClassId.ProfileGeneric,
  version: 1,
  name: 'Profile generic',
  attributes: [
    LOGICAL_NAME_ATTRIBUTE,
    { index: 2, name: 'buffer', type: 'array', access: 'r', dynamic: true },
    {
      index: 3,
      name: 'capture_objects',
      type: 'array',
      codec: 'capture_objects',
      access: 'r',
      dynamic: false,
    },
    { index: 4, name: 'capture_period', type: 'double-long-unsigned', access: 'rw', dynamic: false },
    { index: 5, name: 'sort_method', type: 'enum', values: SortMethodNames, access: 'r', dynamic: false },
    {
      index: 6,
      name: 'sort_object',
      type: 'structure',
      codec: 'capture_object_definition',
      access: 'r',
      dynamic: false,
    },
    { index: 7, name: 'entries_in_use', type: 'double-long-unsigned', access: 'r', dynamic: true },
    { index: 8, name: 'profile_entries', type: 'double-long-unsigned', access: 'r', dynamic: false },
  ],
  methods: [
    RESET_METHOD,
    { index: 2, name: 'capture', parameter: 'integer' },
    { index: 3, name: 'get_buffer_by_range', parameter: 'structure', until: 0 },
    { index: 4, name: 'get_buffer_by_index', parameter: 'structure', until: 0 },
  ],
} as const satisfies InterfaceClassDef;
