import { obisFromString } from '../../src/apdu/index.ts';
import type { DlmsData } from '../../src/axdr/index.ts';
import { fromHex } from '../../src/bytes.ts';
import type { ApduFixture } from './fixtures.ts';

/** One argument per field, so each field carries its own comment. */
const hex = (...fields: string[]): Uint8Array => fromHex(fields.join(''));
const obis = obisFromString;
const octets = (h: string): DlmsData => ({ type: 'octet-string', value: fromHex(h) });

const ENERGY = obis('1.0.1.8.0.255');
const DISCONNECT = obis('0.0.96.3.10.255');

/**
 * Provenance: hand-assembled from the Green Book ASN.1 (xDLMS APDUs, A-XDR encoded) with
 * tags and enumerations from shared/reference/dlms-tables.md §3, §4 and §7. One fixture for
 * every ACTION, notification, exception-response and general-block-transfer CHOICE.
 */
export const ACTION_NOTIFY_FIXTURES: ApduFixture[] = [
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
