import type { XdlmsApdu } from '../../src/apdu/index.ts';
import { entryDescriptor, obisFromString, rangeDescriptor } from '../../src/apdu/index.ts';
import type { DlmsData } from '../../src/axdr/index.ts';
import { fromHex } from '../../src/bytes.ts';

export interface ApduFixture {
  name: string;
  bytes: Uint8Array;
  apdu: XdlmsApdu;
}

/** One argument per field, so each field carries its own comment. */
const hex = (...fields: string[]): Uint8Array => fromHex(fields.join(''));
const obis = obisFromString;
const octets = (h: string): DlmsData => ({ type: 'octet-string', value: fromHex(h) });

const CLOCK = obis('0.0.1.0.0.255');
const LOAD_PROFILE = obis('1.0.99.1.0.255');
const ENERGY = obis('1.0.1.8.0.255');
const DISCONNECT = obis('0.0.96.3.10.255');

/**
 * Provenance: hand-assembled from the Green Book ASN.1 (xDLMS APDUs, A-XDR encoded) with
 * tags and enumerations from shared/reference/dlms-tables.md §3, §4 and §7. One fixture for
 * every APDU kind and CHOICE this codec handles.
 */
export const APDU_FIXTURES: ApduFixture[] = [
  {
    name: 'GetRequestNormal, profile buffer by range_descriptor',
    bytes: hex(
      'C0', // get-request
      '01', // get-request-normal
      'C1', // invoke-id 1, confirmed, high priority
      '0007', // class-id 7 (Profile generic)
      '0100630100FF', // instance-id 1.0.99.1.0.255
      '02', // attribute-id 2 (buffer)
      '01', // access-selection present
      '01', // access-selector 1 (range_descriptor)
      '0204', // structure of 4
      '0204', //   restricting_object: structure of 4
      '120008', //     class_id long-unsigned 8 (Clock)
      '09060000010000FF', //     logical_name 0.0.1.0.0.255
      '0F02', //     attribute_index integer 2 (time)
      '120000', //     data_index long-unsigned 0
      '090C07E80101FF000000008000FF', //   from_value: date-time 2024-01-01 00:00:00.00, deviation and status unspecified
      '090C07E80102FF000000008000FF', //   to_value: date-time 2024-01-02 00:00:00.00
      '0100', //   selected_values: empty array (all columns)
    ),
    apdu: {
      type: 'get-request',
      choice: 'normal',
      invokeIdAndPriority: 0xc1,
      cosemAttributeDescriptor: { classId: 7, instanceId: LOAD_PROFILE, attributeId: 2 },
      accessSelection: rangeDescriptor({
        restrictingObject: { classId: 8, instanceId: CLOCK, attributeId: 2, dataIndex: 0 },
        fromValue: octets('07E80101FF000000008000FF'),
        toValue: octets('07E80102FF000000008000FF'),
        selectedValues: [],
      }),
    },
  },
  {
    name: 'GetRequestNext',
    bytes: hex(
      'C0', // get-request
      '02', // get-request-next
      'C2', // invoke-id 2, confirmed, high priority
      '00000003', // block-number 3 (last one received)
    ),
    apdu: { type: 'get-request', choice: 'next', invokeIdAndPriority: 0xc2, blockNumber: 3 },
  },
  {
    name: 'GetRequestWithList, second item by entry_descriptor',
    bytes: hex(
      'C0', // get-request
      '03', // get-request-with-list
      '41', // invoke-id 1, confirmed, normal priority
      '02', // attribute-descriptor-list: 2 items
      '0003', //   class-id 3 (Register)
      '0100010800FF', //   instance-id 1.0.1.8.0.255
      '02', //   attribute-id 2 (value)
      '00', //   no access-selection
      '0007', //   class-id 7
      '0100630100FF', //   instance-id 1.0.99.1.0.255
      '02', //   attribute-id 2
      '01', //   access-selection present
      '02', //   access-selector 2 (entry_descriptor)
      '0204', //   structure of 4
      '0600000001', //     from_entry 1
      '060000000A', //     to_entry 10
      '120001', //     from_selected_value 1
      '120000', //     to_selected_value 0 (last column)
    ),
    apdu: {
      type: 'get-request',
      choice: 'with-list',
      invokeIdAndPriority: 0x41,
      attributeDescriptorList: [
        { cosemAttributeDescriptor: { classId: 3, instanceId: ENERGY, attributeId: 2 } },
        {
          cosemAttributeDescriptor: { classId: 7, instanceId: LOAD_PROFILE, attributeId: 2 },
          accessSelection: entryDescriptor({
            fromEntry: 1,
            toEntry: 10,
            fromSelectedValue: 1,
            toSelectedValue: 0,
          }),
        },
      ],
    },
  },
  {
    name: 'GetResponseWithDatablock, raw-data',
    bytes: hex(
      'C4', // get-response
      '02', // get-response-with-datablock
      'C1', // invoke-id 1
      '00', // last-block FALSE
      '00000001', // block-number 1
      '00', // result: raw-data
      '06', // raw-data length 6
      '010A02020600', // raw-data: start of an encoded array of 10 structures, cut mid-value
    ),
    apdu: {
      type: 'get-response',
      choice: 'with-datablock',
      invokeIdAndPriority: 0xc1,
      result: {
        lastBlock: false,
        blockNumber: 1,
        result: { choice: 'raw-data', rawData: fromHex('010A02020600') },
      },
    },
  },
  {
    name: 'GetResponseWithDatablock, data-access-result',
    bytes: hex(
      'C4', // get-response
      '02', // get-response-with-datablock
      'C1', // invoke-id 1
      '01', // last-block TRUE
      '00000002', // block-number 2
      '01', // result: data-access-result
      '13', // data-block-number-invalid (19)
    ),
    apdu: {
      type: 'get-response',
      choice: 'with-datablock',
      invokeIdAndPriority: 0xc1,
      result: {
        lastBlock: true,
        blockNumber: 2,
        result: { choice: 'data-access-result', dataAccessResult: 19 },
      },
    },
  },
  {
    name: 'GetResponseWithList',
    bytes: hex(
      'C4', // get-response
      '03', // get-response-with-list
      '41', // invoke-id 1, normal priority
      '02', // 2 results
      '00', //   data
      '0600003039', //   double-long-unsigned 12345
      '01', //   data-access-result
      '04', //   object-undefined
    ),
    apdu: {
      type: 'get-response',
      choice: 'with-list',
      invokeIdAndPriority: 0x41,
      result: [
        { choice: 'data', data: { type: 'double-long-unsigned', value: 12345 } },
        { choice: 'data-access-result', dataAccessResult: 4 },
      ],
    },
  },
  {
    name: 'SetRequestWithFirstDatablock',
    bytes: hex(
      'C1', // set-request
      '02', // set-request-with-first-datablock
      'C1', // invoke-id 1
      '0014', // class-id 20 (Activity calendar)
      '00000D0000FF', // instance-id 0.0.13.0.0.255
      '07', // attribute-id 7 (season_profile_passive)
      '00', // no access-selection
      '00', // last-block FALSE
      '00000001', // block-number 1
      '03', // raw-data length 3
      '010209', // raw-data: start of an encoded array
    ),
    apdu: {
      type: 'set-request',
      choice: 'with-first-datablock',
      invokeIdAndPriority: 0xc1,
      cosemAttributeDescriptor: { classId: 20, instanceId: obis('0.0.13.0.0.255'), attributeId: 7 },
      datablock: { lastBlock: false, blockNumber: 1, rawData: fromHex('010209') },
    },
  },
  {
    name: 'SetRequestWithDatablock',
    bytes: hex(
      'C1', // set-request
      '03', // set-request-with-datablock
      'C1', // invoke-id 1
      '01', // last-block TRUE
      '00000002', // block-number 2
      '02', // raw-data length 2
      '0101', // raw-data
    ),
    apdu: {
      type: 'set-request',
      choice: 'with-datablock',
      invokeIdAndPriority: 0xc1,
      datablock: { lastBlock: true, blockNumber: 2, rawData: fromHex('0101') },
    },
  },
  {
    name: 'SetRequestWithList',
    bytes: hex(
      'C1', // set-request
      '04', // set-request-with-list
      'C3', // invoke-id 3
      '02', // attribute-descriptor-list: 2 items
      '0001', //   class-id 1 (Data)
      '00005E5B00FF', //   instance-id 0.0.94.91.0.255
      '02', //   attribute-id 2
      '00', //   no access-selection
      '0008', //   class-id 8 (Clock)
      '0000010000FF', //   instance-id 0.0.1.0.0.255
      '03', //   attribute-id 3 (time_zone)
      '00', //   no access-selection
      '02', // value-list: 2 values
      '1100', //   unsigned 0
      '10014A', //   long 330
    ),
    apdu: {
      type: 'set-request',
      choice: 'with-list',
      invokeIdAndPriority: 0xc3,
      attributeDescriptorList: [
        { cosemAttributeDescriptor: { classId: 1, instanceId: obis('0.0.94.91.0.255'), attributeId: 2 } },
        { cosemAttributeDescriptor: { classId: 8, instanceId: CLOCK, attributeId: 3 } },
      ],
      valueList: [
        { type: 'unsigned', value: 0 },
        { type: 'long', value: 330 },
      ],
    },
  },
  {
    name: 'SetRequestWithListAndFirstDatablock',
    bytes: hex(
      'C1', // set-request
      '05', // set-request-with-list-and-first-datablock
      'C1', // invoke-id 1
      '01', // attribute-descriptor-list: 1 item
      '0008', //   class-id 8
      '0000010000FF', //   instance-id 0.0.1.0.0.255
      '02', //   attribute-id 2
      '00', //   no access-selection
      '00', // last-block FALSE
      '00000001', // block-number 1
      '02', // raw-data length 2
      '0101', // raw-data: start of the value-list
    ),
    apdu: {
      type: 'set-request',
      choice: 'with-list-and-first-datablock',
      invokeIdAndPriority: 0xc1,
      attributeDescriptorList: [
        { cosemAttributeDescriptor: { classId: 8, instanceId: CLOCK, attributeId: 2 } },
      ],
      datablock: { lastBlock: false, blockNumber: 1, rawData: fromHex('0101') },
    },
  },
  {
    name: 'SetResponseDatablock',
    bytes: hex(
      'C5', // set-response
      '02', // set-response-datablock
      'C1', // invoke-id 1
      '00000001', // block-number 1 acknowledged
    ),
    apdu: { type: 'set-response', choice: 'datablock', invokeIdAndPriority: 0xc1, blockNumber: 1 },
  },
  {
    name: 'SetResponseLastDatablock',
    bytes: hex(
      'C5', // set-response
      '03', // set-response-last-datablock
      'C1', // invoke-id 1
      '0C', // result type-unmatched (12)
      '00000002', // block-number 2
    ),
    apdu: {
      type: 'set-response',
      choice: 'last-datablock',
      invokeIdAndPriority: 0xc1,
      result: 12,
      blockNumber: 2,
    },
  },
  {
    name: 'SetResponseLastDatablockWithList',
    bytes: hex(
      'C5', // set-response
      '04', // set-response-last-datablock-with-list
      'C1', // invoke-id 1
      '02', // 2 results
      '00', //   success
      '03', //   read-write-denied
      '00000004', // block-number 4
    ),
    apdu: {
      type: 'set-response',
      choice: 'last-datablock-with-list',
      invokeIdAndPriority: 0xc1,
      result: [0, 3],
      blockNumber: 4,
    },
  },
  {
    name: 'SetResponseWithList',
    bytes: hex(
      'C5', // set-response
      '05', // set-response-with-list
      'C3', // invoke-id 3
      '02', // 2 results
      '00', //   success
      'FA', //   other-reason (250)
    ),
    apdu: { type: 'set-response', choice: 'with-list', invokeIdAndPriority: 0xc3, result: [0, 250] },
  },
  {
    name: 'ActionRequestNormal, disconnect control remote_disconnect',
    bytes: hex(
      'C3', // action-request
      '01', // action-request-normal
      'C1', // invoke-id 1
      '0046', // class-id 70 (Disconnect control)
      '000060030AFF', // instance-id 0.0.96.3.10.255
      '01', // method-id 1 (remote_disconnect)
      '01', // method-invocation-parameters present
      '0F00', // integer 0
    ),
    apdu: {
      type: 'action-request',
      choice: 'normal',
      invokeIdAndPriority: 0xc1,
      cosemMethodDescriptor: { classId: 70, instanceId: DISCONNECT, methodId: 1 },
      methodInvocationParameters: { type: 'integer', value: 0 },
    },
  },
  {
    name: 'ActionRequestNormal without parameters',
    bytes: hex(
      'C3', // action-request
      '01', // action-request-normal
      'C1', // invoke-id 1
      '0046', // class-id 70
      '000060030AFF', // instance-id 0.0.96.3.10.255
      '02', // method-id 2 (remote_reconnect)
      '00', // method-invocation-parameters absent
    ),
    apdu: {
      type: 'action-request',
      choice: 'normal',
      invokeIdAndPriority: 0xc1,
      cosemMethodDescriptor: { classId: 70, instanceId: DISCONNECT, methodId: 2 },
    },
  },
  {
    name: 'ActionRequestNextPblock',
    bytes: hex(
      'C3', // action-request
      '02', // action-request-next-pblock
      'C1', // invoke-id 1
      '00000001', // block-number 1
    ),
    apdu: { type: 'action-request', choice: 'next-pblock', invokeIdAndPriority: 0xc1, blockNumber: 1 },
  },
  {
    name: 'ActionRequestWithList',
    bytes: hex(
      'C3', // action-request
      '03', // action-request-with-list
      'C1', // invoke-id 1
      '02', // cosem-method-descriptor-list: 2 items
      '0003', //   class-id 3 (Register)
      '0100010800FF', //   instance-id 1.0.1.8.0.255
      '01', //   method-id 1 (reset)
      '0046', //   class-id 70
      '000060030AFF', //   instance-id 0.0.96.3.10.255
      '02', //   method-id 2
      '02', // method-invocation-parameters: 2 values
      '0F00', //   integer 0
      '0F00', //   integer 0
    ),
    apdu: {
      type: 'action-request',
      choice: 'with-list',
      invokeIdAndPriority: 0xc1,
      cosemMethodDescriptorList: [
        { classId: 3, instanceId: ENERGY, methodId: 1 },
        { classId: 70, instanceId: DISCONNECT, methodId: 2 },
      ],
      methodInvocationParameters: [
        { type: 'integer', value: 0 },
        { type: 'integer', value: 0 },
      ],
    },
  },
  {
    name: 'ActionRequestWithFirstPblock',
    bytes: hex(
      'C3', // action-request
      '04', // action-request-with-first-pblock
      'C1', // invoke-id 1
      '0012', // class-id 18 (Image transfer)
      '00002C0000FF', // instance-id 0.0.44.0.0.255
      '02', // method-id 2 (image_block_transfer)
      '00', // last-block FALSE
      '00000001', // block-number 1
      '03', // raw-data length 3
      '020206', // raw-data: start of the parameter structure
    ),
    apdu: {
      type: 'action-request',
      choice: 'with-first-pblock',
      invokeIdAndPriority: 0xc1,
      cosemMethodDescriptor: { classId: 18, instanceId: obis('0.0.44.0.0.255'), methodId: 2 },
      pblock: { lastBlock: false, blockNumber: 1, rawData: fromHex('020206') },
    },
  },
  {
    name: 'ActionRequestWithListAndFirstPblock',
    bytes: hex(
      'C3', // action-request
      '05', // action-request-with-list-and-first-pblock
      'C1', // invoke-id 1
      '01', // cosem-method-descriptor-list: 1 item
      '0046', //   class-id 70
      '000060030AFF', //   instance-id 0.0.96.3.10.255
      '01', //   method-id 1
      '01', // last-block TRUE
      '00000001', // block-number 1
      '03', // raw-data length 3
      '010F00', // raw-data
    ),
    apdu: {
      type: 'action-request',
      choice: 'with-list-and-first-pblock',
      invokeIdAndPriority: 0xc1,
      cosemMethodDescriptorList: [{ classId: 70, instanceId: DISCONNECT, methodId: 1 }],
      pblock: { lastBlock: true, blockNumber: 1, rawData: fromHex('010F00') },
    },
  },
  {
    name: 'ActionRequestWithPblock',
    bytes: hex(
      'C3', // action-request
      '06', // action-request-with-pblock
      'C1', // invoke-id 1
      '01', // last-block TRUE
      '00000002', // block-number 2
      '00', // raw-data empty
    ),
    apdu: {
      type: 'action-request',
      choice: 'with-pblock',
      invokeIdAndPriority: 0xc1,
      pblock: { lastBlock: true, blockNumber: 2, rawData: new Uint8Array(0) },
    },
  },
  {
    name: 'ActionResponseNormal with return parameters',
    bytes: hex(
      'C7', // action-response
      '01', // action-response-normal
      'C1', // invoke-id 1
      '00', // action-result success
      '01', // return-parameters present
      '00', // Get-Data-Result: data
      '1600', // enum 0
    ),
    apdu: {
      type: 'action-response',
      choice: 'normal',
      invokeIdAndPriority: 0xc1,
      singleResponse: { result: 0, returnParameters: { choice: 'data', data: { type: 'enum', value: 0 } } },
    },
  },
  {
    name: 'ActionResponseNormal, object-unavailable',
    bytes: hex(
      'C7', // action-response
      '01', // action-response-normal
      'C1', // invoke-id 1
      '0B', // action-result object-unavailable (11)
      '00', // return-parameters absent
    ),
    apdu: {
      type: 'action-response',
      choice: 'normal',
      invokeIdAndPriority: 0xc1,
      singleResponse: { result: 11 },
    },
  },
  {
    name: 'ActionResponseWithPblock',
    bytes: hex(
      'C7', // action-response
      '02', // action-response-with-pblock
      'C1', // invoke-id 1
      '00', // last-block FALSE
      '00000001', // block-number 1
      '02', // raw-data length 2
      '0100', // raw-data
    ),
    apdu: {
      type: 'action-response',
      choice: 'with-pblock',
      invokeIdAndPriority: 0xc1,
      pblock: { lastBlock: false, blockNumber: 1, rawData: fromHex('0100') },
    },
  },
  {
    name: 'ActionResponseWithList',
    bytes: hex(
      'C7', // action-response
      '03', // action-response-with-list
      'C1', // invoke-id 1
      '02', // 2 responses
      '00', //   success
      '00', //   no return-parameters
      '02', //   temporary-failure
      '01', //   return-parameters present
      '01', //   Get-Data-Result: data-access-result
      '02', //   temporary-failure
    ),
    apdu: {
      type: 'action-response',
      choice: 'with-list',
      invokeIdAndPriority: 0xc1,
      listOfResponses: [
        { result: 0 },
        { result: 2, returnParameters: { choice: 'data-access-result', dataAccessResult: 2 } },
      ],
    },
  },
  {
    name: 'ActionResponseNextPblock',
    bytes: hex(
      'C7', // action-response
      '04', // action-response-next-pblock
      'C1', // invoke-id 1
      '00000001', // block-number 1 acknowledged
    ),
    apdu: { type: 'action-response', choice: 'next-pblock', invokeIdAndPriority: 0xc1, blockNumber: 1 },
  },
  {
    name: 'DataNotification with date-time',
    bytes: hex(
      '0F', // data-notification
      '40000005', // long-invoke-id 5, confirmed, normal priority
      '0C', // date-time: 12 bytes
      '07E8030F05', //   2024-03-15, Friday
      '0A1E0000', //   10:30:00.00
      'FFC4', //   deviation -60
      '00', //   clock status 0
      '0202', // notification-body: structure of 2
      '09060000190900FF', //   octet-string 0.0.25.9.0.255 (push setup)
      '0600000064', //   double-long-unsigned 100
    ),
    apdu: {
      type: 'data-notification',
      longInvokeIdAndPriority: 0x40000005,
      dateTime: fromHex('07E8030F050A1E0000FFC400'),
      dateTimeValue: {
        year: 2024,
        month: 3,
        dayOfMonth: 15,
        dayOfWeek: 5,
        hour: 10,
        minute: 30,
        second: 0,
        hundredths: 0,
        deviation: -60,
        clockStatus: 0,
      },
      notificationBody: {
        type: 'structure',
        value: [octets('0000190900FF'), { type: 'double-long-unsigned', value: 100 }],
      },
    },
  },
  {
    name: 'DataNotification without date-time',
    bytes: hex(
      '0F', // data-notification
      '00000001', // long-invoke-id 1, unconfirmed
      '00', // date-time: empty
      '1101', // notification-body: unsigned 1
    ),
    apdu: {
      type: 'data-notification',
      longInvokeIdAndPriority: 1,
      dateTime: new Uint8Array(0),
      notificationBody: { type: 'unsigned', value: 1 },
    },
  },
  {
    name: 'EventNotificationRequest with time',
    bytes: hex(
      'C2', // event-notification-request
      '01', // time present
      '0C', // time: 12 bytes
      '07E80101FF000000008000FF', //   2024-01-01 00:00:00.00, deviation and status unspecified
      '0001', // class-id 1 (Data)
      '0000600B00FF', // instance-id 0.0.96.11.0.255 (event code)
      '02', // attribute-id 2
      '120065', // attribute-value long-unsigned 101
    ),
    apdu: {
      type: 'event-notification-request',
      time: fromHex('07E80101FF000000008000FF'),
      timeValue: {
        year: 2024,
        month: 1,
        dayOfMonth: 1,
        dayOfWeek: 0xff,
        hour: 0,
        minute: 0,
        second: 0,
        hundredths: 0,
        deviation: null,
        clockStatus: 0xff,
      },
      cosemAttributeDescriptor: { classId: 1, instanceId: obis('0.0.96.11.0.255'), attributeId: 2 },
      attributeValue: { type: 'long-unsigned', value: 101 },
    },
  },
  {
    name: 'EventNotificationRequest without time',
    bytes: hex(
      'C2', // event-notification-request
      '00', // time absent
      '0001', // class-id 1
      '0000600B04FF', // instance-id 0.0.96.11.4.255
      '02', // attribute-id 2
      '1103', // attribute-value unsigned 3
    ),
    apdu: {
      type: 'event-notification-request',
      cosemAttributeDescriptor: { classId: 1, instanceId: obis('0.0.96.11.4.255'), attributeId: 2 },
      attributeValue: { type: 'unsigned', value: 3 },
    },
  },
  {
    name: 'ExceptionResponse, service-not-allowed / service-not-supported',
    bytes: hex(
      'D8', // exception-response
      '01', // state-error service-not-allowed
      '02', // service-error service-not-supported
    ),
    apdu: { type: 'exception-response', stateError: 1, serviceError: 2 },
  },
  {
    name: 'ExceptionResponse, invocation-counter-error',
    bytes: hex(
      'D8', // exception-response
      '02', // state-error service-unknown
      '06', // service-error invocation-counter-error
      '0000012C', // invocation counter 300
    ),
    apdu: { type: 'exception-response', stateError: 2, serviceError: 6, invocationCounter: 300 },
  },
  {
    name: 'general-block-transfer',
    bytes: hex(
      'E0', // general-block-transfer
      'C5', // block-control: last-block, streaming, window 5
      '0003', // block-number 3
      '0002', // block-number-ack 2
      '04', // block-data length 4
      'C4010000', // block-data
    ),
    apdu: {
      type: 'general-block-transfer',
      lastBlock: true,
      streaming: true,
      window: 5,
      blockNumber: 3,
      blockNumberAck: 2,
      blockData: fromHex('C4010000'),
    },
  },
  {
    name: 'general-block-transfer, first block of a window, 130 bytes',
    bytes: hex(
      'E0', // general-block-transfer
      '01', // block-control: more blocks follow, not streaming, window 1
      '0001', // block-number 1
      '0000', // block-number-ack 0
      '8182', // block-data length 130 (long form)
      'AA'.repeat(130), // block-data
    ),
    apdu: {
      type: 'general-block-transfer',
      lastBlock: false,
      streaming: false,
      window: 1,
      blockNumber: 1,
      blockNumberAck: 0,
      blockData: new Uint8Array(130).fill(0xaa),
    },
  },
];
