import { entryDescriptor, obisFromString, rangeDescriptor } from '../../src/apdu/index.ts';
import type { DlmsData } from '../../src/axdr/index.ts';
import { fromHex } from '../../src/bytes.ts';
import type { ApduFixture } from './fixtures.ts';

/** One argument per field, so each field carries its own comment. */
const hex = (...fields: string[]): Uint8Array => fromHex(fields.join(''));
const obis = obisFromString;
const octets = (h: string): DlmsData => ({ type: 'octet-string', value: fromHex(h) });

const CLOCK = obis('0.0.1.0.0.255');
const LOAD_PROFILE = obis('1.0.99.1.0.255');
const ENERGY = obis('1.0.1.8.0.255');

/**
 * Provenance: hand-assembled from the Green Book ASN.1 (xDLMS APDUs, A-XDR encoded) with
 * tags and enumerations from shared/reference/dlms-tables.md §3, §4 and §7. One fixture for
 * every GET and SET CHOICE.
 */
export const GET_SET_FIXTURES: ApduFixture[] = [
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
];
