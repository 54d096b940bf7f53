import { ClassId } from './ids.ts';
import { type InterfaceClassDef, LOGICAL_NAME_ATTRIBUTE } from './types.ts';

export const CommSpeedNames = {
  0: '300 baud',
  1: '600 baud',
  2: '1200 baud',
  3: '2400 baud',
  4: '4800 baud',
  5: '9600 baud',
  6: '19200 baud',
  7: '38400 baud',
  8: '57600 baud',
  9: '115200 baud',
} as const;

export const IEC_HDLC_SETUP = {
  classId: ClassId.IecHdlcSetup,
  version: 1,
  name: 'IEC HDLC setup',
  attributes: [
    LOGICAL_NAME_ATTRIBUTE,
    { index: 2, name: 'comm_speed', type: 'enum', values: CommSpeedNames, access: 'rw', dynamic: false },
    { index: 3, name: 'window_size_transmit', type: 'unsigned', access: 'rw', dynamic: false },
    { index: 4, name: 'window_size_receive', type: 'unsigned', access: 'rw', dynamic: false },
    { index: 5, name: 'max_info_field_length_transmit', type: 'long-unsigned', access: 'rw', dynamic: false },
    { index: 6, name: 'max_info_field_length_receive', type: 'long-unsigned', access: 'rw', dynamic: false },
    {
      index: 7,
      name: 'inter_octet_time_out',
      type: 'long-unsigned',
      access: 'rw',
      dynamic: false,
      note: 'ms',
    },
    { index: 8, name: 'inactivity_time_out', type: 'long-unsigned', access: 'rw', dynamic: false, note: 's' },
    { index: 9, name: 'device_address', type: 'long-unsigned', access: 'rw', dynamic: false },
  ],
  methods: [],
} as const satisfies InterfaceClassDef;

export const PUSH_SETUP = {
  classId: ClassId.PushSetup,
  version: 2,
  name: 'Push setup',
  attributes: [
    LOGICAL_NAME_ATTRIBUTE,
    {
      index: 2,
      name: 'push_object_list',
      type: 'array',
      codec: 'push_object_list',
      access: 'rw',
      dynamic: false,
    },
    {
      index: 3,
      name: 'send_destination_and_method',
      type: 'structure',
      codec: 'send_destination_and_method',
      access: 'rw',
      dynamic: false,
    },
    {
      index: 4,
      name: 'communication_window',
      type: 'array',
      codec: 'communication_window',
      access: 'rw',
      dynamic: false,
    },
    {
      index: 5,
      name: 'randomisation_start_interval',
      type: 'long-unsigned',
      access: 'rw',
      dynamic: false,
      note: 's',
    },
    { index: 6, name: 'number_of_retries', type: 'unsigned', access: 'rw', dynamic: false },
    {
      index: 7,
      name: 'repetition_delay',
      type: 'any',
      codec: 'repetition_delay',
      access: 'rw',
      dynamic: false,
      note: 'long-unsigned seconds up to version 1; structure {min, exponent, max} in version 2',
    },
    {
      index: 8,
      name: 'port_reference',
      type: 'octet-string',
      codec: 'logical_name',
      access: 'rw',
      dynamic: false,
      since: 1,
    },
    { index: 9, name: 'push_client_SAP', type: 'integer', access: 'rw', dynamic: false, since: 1 },
    { index: 10, name: 'push_protection_parameters', type: 'array', access: 'rw', dynamic: false, since: 1 },
    { index: 11, name: 'push_operation_method', type: 'enum', access: 'rw', dynamic: false, since: 2 },
    { index: 12, name: 'confirmation_parameters', type: 'structure', access: 'rw', dynamic: false, since: 2 },
    {
      index: 13,
      name: 'last_confirmation_date_time',
      type: 'date-time',
      codec: 'date_time',
      access: 'r',
      dynamic: true,
      since: 2,
    },
  ],
  methods: [{ index: 1, name: 'push', parameter: 'integer' }],
} as const satisfies InterfaceClassDef;

export const TCP_UDP_SETUP = {
  classId: ClassId.TcpUdpSetup,
  version: 0,
  name: 'TCP-UDP setup',
  attributes: [
    LOGICAL_NAME_ATTRIBUTE,
    { index: 2, name: 'TCP-UDP_port', type: 'long-unsigned', access: 'rw', dynamic: false },
    {
      index: 3,
      name: 'IP_reference',
      type: 'octet-string',
      codec: 'logical_name',
      access: 'rw',
      dynamic: false,
    },
    { index: 4, name: 'MSS', type: 'long-unsigned', access: 'rw', dynamic: false },
    { index: 5, name: 'nb_of_sim_conn', type: 'unsigned', access: 'rw', dynamic: false },
    { index: 6, name: 'inactivity_time_out', type: 'long-unsigned', access: 'rw', dynamic: false, note: 's' },
  ],
  methods: [],
} as const satisfies InterfaceClassDef;

export const GPRS_MODEM_SETUP = {
  classId: ClassId.GprsModemSetup,
  version: 0,
  name: 'GPRS modem setup',
  attributes: [
    LOGICAL_NAME_ATTRIBUTE,
    { index: 2, name: 'APN', type: 'octet-string', access: 'rw', dynamic: false },
    { index: 3, name: 'PIN_code', type: 'long-unsigned', access: 'rw', dynamic: false },
    { index: 4, name: 'quality_of_service', type: 'structure', access: 'rw', dynamic: false },
  ],
  methods: [],
} as const satisfies InterfaceClassDef;

export const GSM_DIAGNOSTIC = {
  classId: ClassId.GsmDiagnostic,
  version: 0,
  name: 'GSM diagnostic',
  attributes: [
    LOGICAL_NAME_ATTRIBUTE,
    { index: 2, name: 'operator', type: 'visible-string', access: 'r', dynamic: true },
    { index: 3, name: 'status', type: 'enum', access: 'r', dynamic: true },
    { index: 4, name: 'cs_attachment', type: 'enum', access: 'r', dynamic: true },
    { index: 5, name: 'ps_status', type: 'enum', access: 'r', dynamic: true },
    { index: 6, name: 'cell_info', type: 'structure', access: 'r', dynamic: true },
    { index: 7, name: 'adjacent_cells', type: 'array', access: 'r', dynamic: true },
    { index: 8, name: 'capture_time', type: 'date-time', codec: 'date_time', access: 'r', dynamic: true },
  ],
  methods: [],
} as const satisfies InterfaceClassDef;
