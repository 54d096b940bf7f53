import type { DlmsData } from '../axdr/index.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';
import type { SelectiveAccessDescriptor } from './descriptors.ts';
import { INSTANCE_ID_LENGTH } from './descriptors.ts';

/** Access selectors of Profile generic (class 7) attribute 2, buffer. */
export const AccessSelector = { 'range-descriptor': 1, 'entry-descriptor': 2 } as const;
export type AccessSelector = (typeof AccessSelector)[keyof typeof AccessSelector];

/**
 * capture_object_definition ::= structure { class_id long-unsigned, logical_name octet-string(6),
 * attribute_index integer, data_index long-unsigned }.
 */
export interface CaptureObjectDefinition {
  classId: number;
  instanceId: Uint8Array;
  attributeId: number;
  /** 0 = the whole attribute; n = the n-th element of an array/structure attribute. */
  dataIndex: number;
}

/**
 * range_descriptor ::= structure { restricting_object capture_object_definition, from_value,
 * to_value, selected_values array of capture_object_definition (empty = all columns) }.
 */
export interface RangeDescriptor {
  restrictingObject: CaptureObjectDefinition;
  fromValue: DlmsData;
  toValue: DlmsData;
  selectedValues: CaptureObjectDefinition[];
}

/**
 * entry_descriptor ::= structure { from_entry double-long-unsigned, to_entry double-long-unsigned
 * (0 = last), from_selected_value long-unsigned, to_selected_value long-unsigned (0 = last) }.
 * Entries and columns count from 1.
 */
export interface EntryDescriptor {
  fromEntry: number;
  toEntry: number;
  fromSelectedValue: number;
  toSelectedValue: number;
}

export function captureObjectDefinitionToData(c: CaptureObjectDefinition): DlmsData {
  return {
    type: 'structure',
    value: [
      { type: 'long-unsigned', value: c.classId },
      { type: 'octet-string', value: c.instanceId },
      { type: 'integer', value: c.attributeId },
      { type: 'long-unsigned', value: c.dataIndex },
    ],
  };
}

export function rangeDescriptor(d: RangeDescriptor): SelectiveAccessDescriptor {
  return {
    accessSelector: AccessSelector['range-descriptor'],
    accessParameters: {
      type: 'structure',
      value: [
        captureObjectDefinitionToData(d.restrictingObject),
        d.fromValue,
        d.toValue,
        { type: 'array', value: d.selectedValues.map(captureObjectDefinitionToData) },
      ],
    },
  };
}

export function entryDescriptor(d: EntryDescriptor): SelectiveAccessDescriptor {
  return {
    accessSelector: AccessSelector['entry-descriptor'],
    accessParameters: {
      type: 'structure',
      value: [
        { type: 'double-long-unsigned', value: d.fromEntry },
        { type: 'double-long-unsigned', value: d.toEntry },
        { type: 'long-unsigned', value: d.fromSelectedValue },
        { type: 'long-unsigned', value: d.toSelectedValue },
      ],
    },
  };
}

function malformed(what: string): never {
  throw new DlmsError(DlmsErrorCode.Malformed, what);
}

function fields(d: DlmsData, n: number, what: string): DlmsData[] {
  if (d.type !== 'structure' || d.value.length !== n) {
    malformed(`${what} must be a structure of ${n} elements, got ${d.type}`);
  }
  return d.value;
}

/** Any unsigned integer type; meters and clients differ in which width they send. */
function unsignedOf(d: DlmsData | undefined, what: string): number {
  if (d?.type === 'unsigned' || d?.type === 'long-unsigned' || d?.type === 'double-long-unsigned')
    return d.value;
  return malformed(`${what} must be an unsigned integer, got ${d?.type}`);
}

export function parseCaptureObjectDefinition(d: DlmsData): CaptureObjectDefinition {
  const [classId, logicalName, attributeIndex, dataIndex] = fields(d, 4, 'capture_object_definition');
  if (logicalName?.type !== 'octet-string' || logicalName.value.length !== INSTANCE_ID_LENGTH) {
    malformed('capture_object_definition logical_name must be a 6-byte octet-string');
  }
  if (attributeIndex?.type !== 'integer')
    malformed('capture_object_definition attribute_index must be integer');
  return {
    classId: unsignedOf(classId, 'class_id'),
    instanceId: logicalName.value,
    attributeId: attributeIndex.value,
    dataIndex: unsignedOf(dataIndex, 'data_index'),
  };
}

export function parseRangeDescriptor(d: DlmsData): RangeDescriptor {
  const [restricting, fromValue, toValue, selected] = fields(d, 4, 'range_descriptor');
  if (selected?.type !== 'array') malformed('range_descriptor selected_values must be an array');
  return {
    restrictingObject: parseCaptureObjectDefinition(restricting!),
    fromValue: fromValue!,
    toValue: toValue!,
    selectedValues: selected.value.map(parseCaptureObjectDefinition),
  };
}

export function parseEntryDescriptor(d: DlmsData): EntryDescriptor {
  const [fromEntry, toEntry, fromSelected, toSelected] = fields(d, 4, 'entry_descriptor');
  return {
    fromEntry: unsignedOf(fromEntry, 'from_entry'),
    toEntry: unsignedOf(toEntry, 'to_entry'),
    fromSelectedValue: unsignedOf(fromSelected, 'from_selected_value'),
    toSelectedValue: unsignedOf(toSelected, 'to_selected_value'),
  };
}
