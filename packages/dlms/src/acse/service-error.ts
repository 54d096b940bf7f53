import { ByteReader, ByteWriter } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';

/**
 * ConfirmedServiceError (tag 0x0E) is `0E <service> <ServiceError tag> <enum>`. DLMS uses
 * initiateError, read and write; the other alternatives exist in the ASN.1 but are
 * "not applicable within DLMS context". Tag 0 is reserved.
 */
export const ConfirmedServiceErrorService = {
  initiateError: 1,
  getStatus: 2,
  getNameList: 3,
  getVariableAttribute: 4,
  read: 5,
  write: 6,
  getDataSetAttribute: 7,
  getTIAttribute: 8,
  changeScope: 9,
  start: 10,
  stop: 11,
  resume: 12,
  makeUsable: 13,
  initiateLoad: 14,
  loadSegment: 15,
  terminateLoad: 16,
  initiateUpLoad: 17,
  upLoadSegment: 18,
  terminateUpLoad: 19,
} as const;
export type ConfirmedServiceErrorServiceName = keyof typeof ConfirmedServiceErrorService;

/** ServiceError CHOICE tags. change-scope [8] is reserved and has no named values. */
export const ServiceErrorTag = {
  'application-reference': 0,
  'hardware-resource': 1,
  'vde-state-error': 2,
  service: 3,
  definition: 4,
  access: 5,
  initiate: 6,
  'load-data-set': 7,
  'change-scope': 8,
  task: 9,
  other: 10,
} as const;
export type ServiceErrorName = keyof typeof ServiceErrorTag;

export const ApplicationReferenceError = {
  other: 0,
  'time-elapsed': 1,
  'application-unreachable': 2,
  'application-reference-invalid': 3,
  'application-context-unsupported': 4,
  'provider-communication-error': 5,
  'deciphering-error': 6,
} as const;

export const HardwareResourceError = {
  other: 0,
  'memory-unavailable': 1,
  'processor-resource-unavailable': 2,
  'mass-storage-unavailable': 3,
  'other-resource-unavailable': 4,
} as const;

export const VdeStateError = {
  other: 0,
  'no-dlms-context': 1,
  'loading-data-set': 2,
  'status-nochange': 3,
  'status-inoperable': 4,
} as const;

export const ServiceServiceError = {
  other: 0,
  'pdu-size': 1,
  'service-unsupported': 2,
} as const;

export const DefinitionError = {
  other: 0,
  'object-undefined': 1,
  'object-class-inconsistent': 2,
  'object-attribute-inconsistent': 3,
} as const;

/** Value 2 is object-access-violated in some sources; the Green Book ASN.1 says object-access-invalid. */
export const AccessError = {
  other: 0,
  'scope-of-access-violated': 1,
  'object-access-invalid': 2,
  'hardware-fault': 3,
  'object-unavailable': 4,
} as const;

export const InitiateError = {
  other: 0,
  'dlms-version-too-low': 1,
  'incompatible-conformance': 2,
  'pdu-size-too-short': 3,
  'refused-by-the-VDE-Handler': 4,
} as const;

export const LoadDataSetError = {
  other: 0,
  'primitive-out-of-sequence': 1,
  'not-loadable': 2,
  'dataset-size-too-large': 3,
  'not-awaited-segment': 4,
  'interpretation-failure': 5,
  'storage-failure': 6,
  'data-set-not-ready': 7,
} as const;

export const TaskError = {
  other: 0,
  'no-remote-control': 1,
  'ti-stopped': 2,
  'ti-running': 3,
  'ti-unusable': 4,
} as const;

export const OtherError = { other: 0 } as const;

/** Named values of each ServiceError alternative. */
export const ServiceErrorValues: Record<ServiceErrorName, Readonly<Record<string, number>>> = {
  'application-reference': ApplicationReferenceError,
  'hardware-resource': HardwareResourceError,
  'vde-state-error': VdeStateError,
  service: ServiceServiceError,
  definition: DefinitionError,
  access: AccessError,
  initiate: InitiateError,
  'load-data-set': LoadDataSetError,
  'change-scope': {},
  task: TaskError,
  other: OtherError,
};

/**
 * `value` is the enum byte (0..255); a value without a name in `ServiceErrorValues`
 * still decodes so that a meter's answer can be reported as it was sent.
 */
export interface ConfirmedServiceError {
  service: ConfirmedServiceErrorServiceName;
  serviceError: ServiceErrorName;
  value: number;
}

function nameOf<K extends string>(table: Readonly<Record<K, number>>, value: number): K | undefined {
  for (const k of Object.keys(table) as K[]) if (table[k] === value) return k;
  return undefined;
}

/** The named value, e.g. 'dlms-version-too-low', or undefined when the value has no name. */
export function serviceErrorValueName(serviceError: ServiceErrorName, value: number): string | undefined {
  return nameOf(ServiceErrorValues[serviceError], value);
}

export function confirmedServiceErrorText(e: ConfirmedServiceError): string {
  const name = serviceErrorValueName(e.serviceError, e.value) ?? 'unknown';
  return `${e.service} ${e.serviceError} ${name} (${e.value})`;
}

export function writeConfirmedServiceError(w: ByteWriter, e: ConfirmedServiceError): void {
  const service = ConfirmedServiceErrorService[e.service];
  const tag = ServiceErrorTag[e.serviceError];
  if (
    service === undefined ||
    tag === undefined ||
    !Number.isInteger(e.value) ||
    e.value < 0 ||
    e.value > 255
  ) {
    throw new DlmsError(
      DlmsErrorCode.Encode,
      `ConfirmedServiceError ${String(e.service)} ${String(e.serviceError)} ${e.value} cannot be encoded`,
    );
  }
  w.u8(0x0e).u8(service).u8(tag).u8(e.value);
}

export function readConfirmedServiceError(r: ByteReader): ConfirmedServiceError {
  const at = r.offset;
  if (r.u8() !== 0x0e) r.fail(DlmsErrorCode.Malformed, 'not a ConfirmedServiceError', at);
  const serviceAt = r.offset;
  const service = nameOf(ConfirmedServiceErrorService, r.u8());
  if (service === undefined)
    r.fail(DlmsErrorCode.Malformed, 'ConfirmedServiceError service unknown', serviceAt);
  const tagAt = r.offset;
  const serviceError = nameOf(ServiceErrorTag, r.u8());
  if (serviceError === undefined) r.fail(DlmsErrorCode.Malformed, 'ServiceError choice unknown', tagAt);
  return { service, serviceError, value: r.u8() };
}

export function encodeConfirmedServiceError(e: ConfirmedServiceError): Uint8Array {
  const w = new ByteWriter(4);
  writeConfirmedServiceError(w, e);
  return w.finish();
}

export function decodeConfirmedServiceError(bytes: Uint8Array): ConfirmedServiceError {
  const r = new ByteReader(bytes);
  const e = readConfirmedServiceError(r);
  if (!r.atEnd()) r.fail(DlmsErrorCode.Malformed, `${r.remaining} bytes after ConfirmedServiceError`);
  return e;
}
