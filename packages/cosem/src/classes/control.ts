import { ClassId } from './ids.ts';
import { type InterfaceClassDef, LOGICAL_NAME_ATTRIBUTE } from './types.ts';

export const ImageTransferStatusNames = {
  0: 'image_transfer_not_initiated',
  1: 'image_transfer_initiated',
  2: 'image_verification_initiated',
  3: 'image_verification_successful',
  4: 'image_verification_failed',
  5: 'image_activation_initiated',
  6: 'image_activation_successful',
  7: 'image_activation_failed',
} as const;

export const IMAGE_TRANSFER = {
  classId: ClassId.ImageTransfer,
  version: 0,
  name: 'Image transfer',
  attributes: [
    LOGICAL_NAME_ATTRIBUTE,
    { index: 2, name: 'image_block_size', type: 'double-long-unsigned', access: 'r', dynamic: false },
    { index: 3, name: 'image_transferred_blocks_status', type: 'bit-string', access: 'r', dynamic: true },
    {
      index: 4,
      name: 'image_first_not_transferred_block_number',
      type: 'double-long-unsigned',
      access: 'r',
      dynamic: true,
    },
    { index: 5, name: 'image_transfer_enabled', type: 'boolean', access: 'rw', dynamic: false },
    {
      index: 6,
      name: 'image_transfer_status',
      type: 'enum',
      values: ImageTransferStatusNames,
      access: 'r',
      dynamic: true,
    },
    {
      index: 7,
      name: 'image_to_activate_info',
      type: 'array',
      codec: 'image_to_activate_info',
      access: 'r',
      dynamic: true,
    },
  ],
  methods: [
    {
      index: 1,
      name: 'image_transfer_initiate',
      parameter: 'structure',
      note: '{image_identifier, image_size}',
    },
    {
      index: 2,
      name: 'image_block_transfer',
      parameter: 'structure',
      note: '{image_block_number, image_block_value}',
    },
    { index: 3, name: 'image_verify', parameter: 'integer' },
    { index: 4, name: 'image_activate', parameter: 'integer' },
  ],
} as const satisfies InterfaceClassDef;

export const REGISTER_MONITOR = {
  classId: ClassId.RegisterMonitor,
  version: 0,
  name: 'Register monitor',
  attributes: [
    LOGICAL_NAME_ATTRIBUTE,
    { index: 2, name: 'thresholds', type: 'array', codec: 'thresholds', access: 'rw', dynamic: false },
    {
      index: 3,
      name: 'monitored_value',
      type: 'structure',
      codec: 'value_definition',
      access: 'rw',
      dynamic: false,
    },
    {
      index: 4,
      name: 'actions',
      type: 'array',
      codec: 'register_monitor_actions',
      access: 'rw',
      dynamic: false,
    },
  ],
  methods: [],
} as const satisfies InterfaceClassDef;

export const STATUS_MAPPING = {
  classId: ClassId.StatusMapping,
  version: 0,
  name: 'Status mapping',
  attributes: [
    LOGICAL_NAME_ATTRIBUTE,
    { index: 2, name: 'status_word', type: 'any', access: 'r', dynamic: true },
    { index: 3, name: 'mapping_table', type: 'structure', access: 'r', dynamic: false },
  ],
  methods: [],
} as const satisfies InterfaceClassDef;

export const ControlStateNames = { 0: 'disconnected', 1: 'connected', 2: 'ready_for_reconnection' } as const;

/**
 * Which transitions each control_mode allows (Blue Book class 70). Remote reconnect goes to
 * ready_for_reconnection in modes 1, 3, 5, 6 and straight to connected in modes 2, 4.
 */
export const ControlModeNames = {
  0: 'always connected',
  1: 'disconnect: remote, manual, local; reconnect: remote (to ready_for_reconnection), manual',
  2: 'disconnect: remote, manual, local; reconnect: remote (to connected), manual',
  3: 'disconnect: remote, local; reconnect: remote (to ready_for_reconnection), manual',
  4: 'disconnect: remote, local; reconnect: remote (to connected), manual',
  5: 'disconnect: remote, manual, local; reconnect: remote (to ready_for_reconnection), manual, local',
  6: 'disconnect: remote, local; reconnect: remote (to ready_for_reconnection), manual, local',
} as const;

export const DISCONNECT_CONTROL = {
  classId: ClassId.DisconnectControl,
  version: 0,
  name: 'Disconnect control',
  attributes: [
    LOGICAL_NAME_ATTRIBUTE,
    { index: 2, name: 'output_state', type: 'boolean', access: 'r', dynamic: true, note: 'true = connected' },
    { index: 3, name: 'control_state', type: 'enum', values: ControlStateNames, access: 'r', dynamic: true },
    { index: 4, name: 'control_mode', type: 'enum', values: ControlModeNames, access: 'rw', dynamic: false },
  ],
  methods: [
    { index: 1, name: 'remote_disconnect', parameter: 'integer' },
    { index: 2, name: 'remote_reconnect', parameter: 'integer' },
  ],
} as const satisfies InterfaceClassDef;

export const LIMITER = {
  classId: ClassId.Limiter,
  version: 0,
  name: 'Limiter',
  attributes: [
    LOGICAL_NAME_ATTRIBUTE,
    {
      index: 2,
      name: 'monitored_value',
      type: 'structure',
      codec: 'value_definition',
      access: 'rw',
      dynamic: false,
    },
    { index: 3, name: 'threshold_active', type: 'any', access: 'r', dynamic: true },
    { index: 4, name: 'threshold_normal', type: 'any', access: 'rw', dynamic: false },
    { index: 5, name: 'threshold_emergency', type: 'any', access: 'rw', dynamic: false },
    {
      index: 6,
      name: 'min_over_threshold_duration',
      type: 'double-long-unsigned',
      access: 'rw',
      dynamic: false,
    },
    {
      index: 7,
      name: 'min_under_threshold_duration',
      type: 'double-long-unsigned',
      access: 'rw',
      dynamic: false,
    },
    {
      index: 8,
      name: 'emergency_profile',
      type: 'structure',
      codec: 'emergency_profile',
      access: 'rw',
      dynamic: false,
    },
    {
      index: 9,
      name: 'emergency_profile_group_id_list',
      type: 'array',
      codec: 'unsigned_array',
      access: 'rw',
      dynamic: false,
    },
    { index: 10, name: 'emergency_profile_active', type: 'boolean', access: 'r', dynamic: true },
    { index: 11, name: 'actions', type: 'structure', codec: 'limiter_actions', access: 'rw', dynamic: false },
  ],
  methods: [],
} as const satisfies InterfaceClassDef;
