import { arbCosemDateTime, arbDlmsData } from '@openhes/testkit/arbitraries';
import fc from 'fast-check';
import type {
  ActionResponseWithOptionalData,
  CosemAttributeDescriptor,
  CosemAttributeDescriptorWithSelection,
  CosemMethodDescriptor,
  DataBlockG,
  DataBlockSA,
  GetDataResult,
  SelectiveAccessDescriptor,
  XdlmsApdu,
} from '../../src/apdu/index.ts';
import { dataNotification, eventNotificationRequest } from '../../src/apdu/index.ts';

/** fast-check generators for plain xDLMS APDUs; every value they produce encodes without error. */

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const i8 = fc.integer({ min: -128, max: 127 });
const data = arbDlmsData(2);
const instanceId = fc.uint8Array({ minLength: 6, maxLength: 6 });
const raw = fc.uint8Array({ maxLength: 300 });
const list = <T>(a: fc.Arbitrary<T>) => fc.array(a, { maxLength: 4 });

export const arbAttributeDescriptor: fc.Arbitrary<CosemAttributeDescriptor> = fc.record({
  classId: u16,
  instanceId,
  attributeId: i8,
});

export const arbMethodDescriptor: fc.Arbitrary<CosemMethodDescriptor> = fc.record({
  classId: u16,
  instanceId,
  methodId: i8,
});

const arbSelection: fc.Arbitrary<SelectiveAccessDescriptor> = fc.record({
  accessSelector: u8,
  accessParameters: data,
});

const arbDescriptorWithSelection: fc.Arbitrary<CosemAttributeDescriptorWithSelection> = fc.record(
  { cosemAttributeDescriptor: arbAttributeDescriptor, accessSelection: arbSelection },
  { requiredKeys: ['cosemAttributeDescriptor'] },
);

const arbGetDataResult: fc.Arbitrary<GetDataResult> = fc.oneof(
  data.map((d) => ({ choice: 'data', data: d }) as GetDataResult),
  u8.map((n) => ({ choice: 'data-access-result', dataAccessResult: n }) as GetDataResult),
);

const arbDataBlockG: fc.Arbitrary<DataBlockG> = fc.record({
  lastBlock: fc.boolean(),
  blockNumber: u32,
  result: fc.oneof(
    raw.map((rawData) => ({ choice: 'raw-data', rawData }) as DataBlockG['result']),
    u8.map((n) => ({ choice: 'data-access-result', dataAccessResult: n }) as DataBlockG['result']),
  ),
});

const arbDataBlockSA: fc.Arbitrary<DataBlockSA> = fc.record({
  lastBlock: fc.boolean(),
  blockNumber: u32,
  rawData: raw,
});

const arbActionResponseData: fc.Arbitrary<ActionResponseWithOptionalData> = fc.record(
  { result: u8, returnParameters: arbGetDataResult },
  { requiredKeys: ['result'] },
);

const OPTIONAL_FIELDS: ReadonlySet<string> = new Set(['accessSelection', 'methodInvocationParameters']);

/** `fixed` names the kind; `fields` generates the rest (accessSelection and the single methodInvocationParameters optional). */
function apdu(
  fixed: Pick<XdlmsApdu, 'type'> & { choice: string },
  fields: Record<string, fc.Arbitrary<unknown>>,
): fc.Arbitrary<XdlmsApdu> {
  return fc
    .record(fields, {
      requiredKeys: Object.keys(fields).filter(
        (k) =>
          !(OPTIONAL_FIELDS.has(k) && !(fixed.type === 'action-request' && fixed.choice === 'with-list')),
      ),
    })
    .map((v) => ({ ...fixed, ...v }) as unknown as XdlmsApdu);
}

const iip = u8;

/** Every APDU kind and CHOICE of the codec. */
export const arbXdlmsApdu: fc.Arbitrary<XdlmsApdu> = fc.oneof(
  apdu(
    { type: 'get-request', choice: 'normal' },
    {
      invokeIdAndPriority: iip,
      cosemAttributeDescriptor: arbAttributeDescriptor,
      accessSelection: arbSelection,
    },
  ),
  apdu({ type: 'get-request', choice: 'next' }, { invokeIdAndPriority: iip, blockNumber: u32 }),
  apdu(
    { type: 'get-request', choice: 'with-list' },
    {
      invokeIdAndPriority: iip,
      attributeDescriptorList: list(arbDescriptorWithSelection),
    },
  ),
  apdu({ type: 'get-response', choice: 'normal' }, { invokeIdAndPriority: iip, result: arbGetDataResult }),
  apdu(
    { type: 'get-response', choice: 'with-datablock' },
    { invokeIdAndPriority: iip, result: arbDataBlockG },
  ),
  apdu(
    { type: 'get-response', choice: 'with-list' },
    { invokeIdAndPriority: iip, result: list(arbGetDataResult) },
  ),
  apdu(
    { type: 'set-request', choice: 'normal' },
    {
      invokeIdAndPriority: iip,
      cosemAttributeDescriptor: arbAttributeDescriptor,
      accessSelection: arbSelection,
      value: data,
    },
  ),
  apdu(
    { type: 'set-request', choice: 'with-first-datablock' },
    {
      invokeIdAndPriority: iip,
      cosemAttributeDescriptor: arbAttributeDescriptor,
      accessSelection: arbSelection,
      datablock: arbDataBlockSA,
    },
  ),
  apdu(
    { type: 'set-request', choice: 'with-datablock' },
    { invokeIdAndPriority: iip, datablock: arbDataBlockSA },
  ),
  apdu(
    { type: 'set-request', choice: 'with-list' },
    {
      invokeIdAndPriority: iip,
      attributeDescriptorList: list(arbDescriptorWithSelection),
      valueList: list(data),
    },
  ),
  apdu(
    { type: 'set-request', choice: 'with-list-and-first-datablock' },
    {
      invokeIdAndPriority: iip,
      attributeDescriptorList: list(arbDescriptorWithSelection),
      datablock: arbDataBlockSA,
    },
  ),
  apdu({ type: 'set-response', choice: 'normal' }, { invokeIdAndPriority: iip, result: u8 }),
  apdu({ type: 'set-response', choice: 'datablock' }, { invokeIdAndPriority: iip, blockNumber: u32 }),
  apdu(
    { type: 'set-response', choice: 'last-datablock' },
    { invokeIdAndPriority: iip, result: u8, blockNumber: u32 },
  ),
  apdu(
    { type: 'set-response', choice: 'last-datablock-with-list' },
    {
      invokeIdAndPriority: iip,
      result: list(u8),
      blockNumber: u32,
    },
  ),
  apdu({ type: 'set-response', choice: 'with-list' }, { invokeIdAndPriority: iip, result: list(u8) }),
  apdu(
    { type: 'action-request', choice: 'normal' },
    {
      invokeIdAndPriority: iip,
      cosemMethodDescriptor: arbMethodDescriptor,
      methodInvocationParameters: data,
    },
  ),
  apdu({ type: 'action-request', choice: 'next-pblock' }, { invokeIdAndPriority: iip, blockNumber: u32 }),
  apdu(
    { type: 'action-request', choice: 'with-list' },
    {
      invokeIdAndPriority: iip,
      cosemMethodDescriptorList: list(arbMethodDescriptor),
      methodInvocationParameters: list(data),
    },
  ),
  apdu(
    { type: 'action-request', choice: 'with-first-pblock' },
    {
      invokeIdAndPriority: iip,
      cosemMethodDescriptor: arbMethodDescriptor,
      pblock: arbDataBlockSA,
    },
  ),
  apdu(
    { type: 'action-request', choice: 'with-list-and-first-pblock' },
    {
      invokeIdAndPriority: iip,
      cosemMethodDescriptorList: list(arbMethodDescriptor),
      pblock: arbDataBlockSA,
    },
  ),
  apdu(
    { type: 'action-request', choice: 'with-pblock' },
    { invokeIdAndPriority: iip, pblock: arbDataBlockSA },
  ),
  apdu(
    { type: 'action-response', choice: 'normal' },
    { invokeIdAndPriority: iip, singleResponse: arbActionResponseData },
  ),
  apdu(
    { type: 'action-response', choice: 'with-pblock' },
    { invokeIdAndPriority: iip, pblock: arbDataBlockSA },
  ),
  apdu(
    { type: 'action-response', choice: 'with-list' },
    {
      invokeIdAndPriority: iip,
      listOfResponses: list(arbActionResponseData),
    },
  ),
  apdu({ type: 'action-response', choice: 'next-pblock' }, { invokeIdAndPriority: iip, blockNumber: u32 }),
  fc
    .record(
      { longInvokeIdAndPriority: u32, dateTime: arbCosemDateTime, notificationBody: data },
      { requiredKeys: ['longInvokeIdAndPriority', 'notificationBody'] },
    )
    .map((f) => dataNotification(f) as XdlmsApdu),
  fc
    .record(
      { time: arbCosemDateTime, cosemAttributeDescriptor: arbAttributeDescriptor, attributeValue: data },
      { requiredKeys: ['cosemAttributeDescriptor', 'attributeValue'] },
    )
    .map((f) => eventNotificationRequest(f) as XdlmsApdu),
  fc
    .record({ stateError: u8, serviceError: u8.filter((n) => n !== 6) })
    .map((f) => ({ type: 'exception-response', ...f }) as XdlmsApdu),
  fc
    .record({ stateError: u8, invocationCounter: u32 })
    .map((f) => ({ type: 'exception-response', serviceError: 6, ...f }) as XdlmsApdu),
  fc
    .record({
      lastBlock: fc.boolean(),
      streaming: fc.boolean(),
      window: fc.integer({ min: 0, max: 63 }),
      blockNumber: u16,
      blockNumberAck: u16,
      blockData: raw,
    })
    .map((f) => ({ type: 'general-block-transfer', ...f }) as XdlmsApdu),
);
