import type {
  CosemAttributeDescriptor,
  CosemAttributeDescriptorWithSelection,
  CosemMethodDescriptor,
  SelectiveAccessDescriptor,
} from '../apdu/index.ts';
import { obisFromString } from '../apdu/index.ts';
import type { DlmsData } from '../axdr/index.ts';

/** An attribute to read or write; `obis` as 6 bytes or 'A.B.C.D.E.F'. */
export interface AttributeRef {
  classId: number;
  obis: Uint8Array | string;
  attributeId: number;
  /** Passed through unchanged (see the range/entry descriptor builders in apdu/). */
  access?: SelectiveAccessDescriptor;
}

export interface MethodRef {
  classId: number;
  obis: Uint8Array | string;
  methodId: number;
}

export interface SetItem {
  ref: AttributeRef;
  value: DlmsData;
}

export interface ActionItem {
  ref: MethodRef;
  params?: DlmsData;
}

/** Outcome of one element of a with-list service. */
export type ListResult<T> = { ok: true; value: T } | { ok: false; result: number; resultName: string };

export function instanceIdOf(obis: Uint8Array | string): Uint8Array {
  return typeof obis === 'string' ? obisFromString(obis) : obis;
}

export function attributeDescriptor(ref: AttributeRef): CosemAttributeDescriptor {
  return { classId: ref.classId, instanceId: instanceIdOf(ref.obis), attributeId: ref.attributeId };
}

export function attributeWithSelection(ref: AttributeRef): CosemAttributeDescriptorWithSelection {
  const cosemAttributeDescriptor = attributeDescriptor(ref);
  return ref.access === undefined
    ? { cosemAttributeDescriptor }
    : { cosemAttributeDescriptor, accessSelection: ref.access };
}

export function methodDescriptor(ref: MethodRef): CosemMethodDescriptor {
  return { classId: ref.classId, instanceId: instanceIdOf(ref.obis), methodId: ref.methodId };
}
