import { ClassId } from './ids.ts';
import { type InterfaceClassDef, LOGICAL_NAME_ATTRIBUTE } from './types.ts';

export const ClockBaseNames = {
  0: 'not_defined',
  1: 'internal_crystal',
  2: 'mains_frequency_50_hz',
  3: 'mains_frequency_60_hz',
  4: 'gps',
  5: 'radio_controlled',
} as const;

export const CLOCK = {
  classId: ClassId.Clock,
  version: 0,
  name: 'Clock',
  attributes: [
    LOGICAL_NAME_ATTRIBUTE,
    { index: 2, name: 'time', type: 'date-time', codec: 'date_time', access: 'rw', dynamic: true },
    {
      index: 3,
      name: 'time_zone',
      type: 'long',
      access: 'rw',
      dynamic: false,
      note: 'minutes, local to UTC',
    },
    { index: 4, name: 'status', type: 'unsigned', codec: 'clock_status', access: 'r', dynamic: true },
    {
      index: 5,
      name: 'daylight_savings_begin',
      type: 'date-time',
      codec: 'date_time',
      access: 'rw',
      dynamic: false,
    },
    {
      index: 6,
      name: 'daylight_savings_end',
      type: 'date-time',
      codec: 'date_time',
      access: 'rw',
      dynamic: false,
    },
    { index: 7, name: 'daylight_savings_deviation', type: 'integer', access: 'rw', dynamic: false },
    { index: 8, name: 'daylight_savings_enabled', type: 'boolean', access: 'rw', dynamic: false },
    { index: 9, name: 'clock_base', type: 'enum', values: ClockBaseNames, access: 'r', dynamic: false },
  ],
  methods: [
    { index: 1, name: 'adjust_to_quarter', parameter: 'integer' },
    { index: 2, name: 'adjust_to_measuring_period', parameter: 'integer' },
    { index: 3, name: 'adjust_to_minute', parameter: 'integer' },
    { index: 4, name: 'adjust_to_preset_time', parameter: 'integer' },
    {
      index: 5,
      name: 'preset_adjusting_time',
      parameter: 'structure',
      note: '{preset_time, validity_interval_start, validity_interval_end}: date-time octet-strings',
    },
    { index: 6, name: 'shift_time', parameter: 'long', note: 'seconds, -900..900' },
  ],
} as const satisfies InterfaceClassDef;

export const SCRIPT_TABLE = {
  classId: ClassId.ScriptTable,
  version: 0,
  name: 'Script table',
  attributes: [
    LOGICAL_NAME_ATTRIBUTE,
    { index: 2, name: 'scripts', type: 'array', codec: 'scripts', access: 'r', dynamic: false },
  ],
  methods: [{ index: 1, name: 'execute', parameter: 'long-unsigned', note: 'script_identifier' }],
} as const satisfies InterfaceClassDef;

export const SPECIAL_DAYS_TABLE = {
  classId: ClassId.SpecialDaysTable,
  version: 0,
  name: 'Special days table',
  attributes: [
    LOGICAL_NAME_ATTRIBUTE,
    { index: 2, name: 'entries', type: 'array', codec: 'special_days_entries', access: 'rw', dynamic: false },
  ],
  methods: [
    { index: 1, name: 'insert', parameter: 'structure', note: 'spec_day_entry' },
    { index: 2, name: 'delete', parameter: 'long-unsigned', note: 'index' },
  ],
} as const satisfies InterfaceClassDef;

export const ACTIVITY_CALENDAR = {
  classId: ClassId.ActivityCalendar,
  version: 0,
  name: 'Activity calendar',
  attributes: [
    LOGICAL_NAME_ATTRIBUTE,
    { index: 2, name: 'calendar_name_active', type: 'octet-string', access: 'r', dynamic: false },
    {
      index: 3,
      name: 'season_profile_active',
      type: 'array',
      codec: 'season_profile',
      access: 'r',
      dynamic: false,
    },
    {
      index: 4,
      name: 'week_profile_table_active',
      type: 'array',
      codec: 'week_profile_table',
      access: 'r',
      dynamic: false,
    },
    {
      index: 5,
      name: 'day_profile_table_active',
      type: 'array',
      codec: 'day_profile_table',
      access: 'r',
      dynamic: false,
    },
    { index: 6, name: 'calendar_name_passive', type: 'octet-string', access: 'rw', dynamic: false },
    {
      index: 7,
      name: 'season_profile_passive',
      type: 'array',
      codec: 'season_profile',
      access: 'rw',
      dynamic: false,
    },
    {
      index: 8,
      name: 'week_profile_table_passive',
      type: 'array',
      codec: 'week_profile_table',
      access: 'rw',
      dynamic: false,
    },
    {
      index: 9,
      name: 'day_profile_table_passive',
      type: 'array',
      codec: 'day_profile_table',
      access: 'rw',
      dynamic: false,
    },
    {
      index: 10,
      name: 'activate_passive_calendar_time',
      type: 'date-time',
      codec: 'date_time',
      access: 'rw',
      dynamic: false,
    },
  ],
  methods: [{ index: 1, name: 'activate_passive_calendar', parameter: 'integer' }],
} as const satisfies InterfaceClassDef;

/** Single action schedule `type`: how execution_time may be filled. */
export const SingleActionScheduleTypeNames = {
  1: 'single_execution_time_wildcards_allowed',
  2: 'n_execution_times_same_time_no_date_wildcards',
  3: 'n_execution_times_same_time_date_wildcards_allowed',
  4: 'n_execution_times_no_date_wildcards',
  5: 'n_execution_times_date_wildcards_allowed',
} as const;

export const SINGLE_ACTION_SCHEDULE = {
  classId: ClassId.SingleActionSchedule,
  version: 0,
  name: 'Single action schedule',
  attributes: [
    LOGICAL_NAME_ATTRIBUTE,
    { index: 2, name: 'executed_script', type: 'structure', codec: 'script', access: 'rw', dynamic: false },
    {
      index: 3,
      name: 'type',
      type: 'enum',
      values: SingleActionScheduleTypeNames,
      access: 'rw',
      dynamic: false,
    },
    {
      index: 4,
      name: 'execution_time',
      type: 'array',
      codec: 'execution_time',
      access: 'rw',
      dynamic: false,
    },
  ],
  methods: [],
} as const satisfies InterfaceClassDef;
