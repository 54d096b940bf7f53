import type { DlmsData } from '@openhes/dlms';
import type { Obis } from '../obis.ts';
import { array, int, logicalName, structure } from './encode.ts';
import { element, expectInteger, expectLogicalName, expectStructure, mapArray, type Path } from './shape.ts';

/** capture_object_definition / object_definition: {class_id, logical_name, attribute_index, data_index}. */
export interface CaptureObject {
  classId: number;
  logicalName: Obis;
  attributeIndex: number;
  /** 0 = the whole attribute; n = the n-th element of an array/structure attribute. */
  dataIndex: number;
}

/** value_definition: {class_id, logical_name, attribute_index} (register monitor, limiter). */
export interface ValueDefinition {
  classId: number;
  logicalName: Obis;
  attributeIndex: number;
}

/** action_item / script: {script_logical_name, script_selector}. */
export interface ScriptRef {
  scriptLogicalName: Obis;
  scriptSelector: number;
}

export function decodeCaptureObject(d: DlmsData, path: Path = 'capture_object'): CaptureObject {
  const v = expectStructure(d, 4, path);
  return {
    classId: expectInteger(element(v, 0, path), `${path}.class_id`),
    logicalName: expectLogicalName(element(v, 1, path), `${path}.logical_name`),
    attributeIndex: expectInteger(element(v, 2, path), `${path}.attribute_index`),
    dataIndex: expectInteger(element(v, 3, path), `${path}.data_index`),
  };
}

export function decodeCaptureObjects(d: DlmsData, path: Path = 'capture_objects'): CaptureObject[] {
  return mapArray(d, path, decodeCaptureObject);
}

export function encodeCaptureObject(o: CaptureObject): DlmsData {
  return structure(
    int('long-unsigned', o.classId, 'class_id'),
    logicalName(o.logicalName),
    int('integer', o.attributeIndex, 'attribute_index'),
    int('long-unsigned', o.dataIndex, 'data_index'),
  );
}

export function encodeCaptureObjects(list: readonly CaptureObject[]): DlmsData {
  return array(list.map(encodeCaptureObject));
}

export function decodeValueDefinition(d: DlmsData, path: Path = 'monitored_value'): ValueDefinition {
  const v = expectStructure(d, 3, path);
  return {
    classId: expectInteger(element(v, 0, path), `${path}.class_id`),
    logicalName: expectLogicalName(element(v, 1, path), `${path}.logical_name`),
    attributeIndex: expectInteger(element(v, 2, path), `${path}.attribute_index`),
  };
}

export function encodeValueDefinition(v: ValueDefinition): DlmsData {
  return structure(
    int('long-unsigned', v.classId, 'class_id'),
    logicalName(v.logicalName),
    int('integer', v.attributeIndex, 'attribute_index'),
  );
}

export function decodeScriptRef(d: DlmsData, path: Path = 'script'): ScriptRef {
  const v = expectStructure(d, 2, path);
  return {
    scriptLogicalName: expectLogicalName(element(v, 0, path), `${path}.script_logical_name`),
    scriptSelector: expectInteger(element(v, 1, path), `${path}.script_selector`),
  };
}

export function encodeScriptRef(s: ScriptRef): DlmsData {
  return structure(
    logicalName(s.scriptLogicalName),
    int('long-unsigned', s.scriptSelector, 'script_selector'),
  );
}

/** An array of plain integers (e.g. emergency_profile_group_id_list). */
export function decodeIntegerArray(d: DlmsData, path: Path = 'array'): number[] {
  return mapArray(d, path, expectInteger);
}
