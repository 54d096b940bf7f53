import { ClassId, decodeObjectList, type ObjectListEntry } from '@openhes/cosem';
import type { DlmsData } from '@openhes/dlms';

/** Association LN of the current association. */
export const CURRENT_ASSOCIATION = '0.0.40.0.0.255';
const ASSOCIATION_LN = ClassId.AssociationLN;
const OBJECT_LIST = 2;

/** What readObjectList needs from the client (DlmsClient, a DlmsClientPort). */
export interface AttributeReader {
  get(obis: string | Uint8Array, classId: number, attr: number): Promise<DlmsData>;
}

/** object_list of the current association (Association LN 0.0.40.0.0.255 attribute 2). */
export async function readObjectList(reader: AttributeReader): Promise<ObjectListEntry[]> {
  return decodeObjectList(await reader.get(CURRENT_ASSOCIATION, ASSOCIATION_LN, OBJECT_LIST));
}
