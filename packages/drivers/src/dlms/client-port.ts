import type { DlmsData, ListResult, SelectiveAccessDescriptor } from '@openhes/dlms';
import { DlmsClient, type DlmsClientOptions } from '@openhes/transport';

export interface GetRef {
  obis: string | Uint8Array;
  classId: number;
  attr: number;
  access?: SelectiveAccessDescriptor;
}

/** What the DLMS driver needs from a client session (DlmsClient, or a fake in tests). */
export interface DlmsClientPort {
  get(
    obis: string | Uint8Array,
    classId: number,
    attr: number,
    access?: SelectiveAccessDescriptor,
  ): Promise<DlmsData>;
  getMany(items: readonly GetRef[]): Promise<ListResult<DlmsData>[]>;
  set(obis: string | Uint8Array, classId: number, attr: number, value: DlmsData): Promise<void>;
  /** ACTION; resolves with the return data, if any, of a successful method. */
  action(
    obis: string | Uint8Array,
    classId: number,
    method: number,
    params?: DlmsData,
  ): Promise<DlmsData | undefined>;
  /** Release and close; never rejects for a DLMS failure. */
  end(): Promise<void>;
  /** What the AARE granted (DlmsClient has it); absent in fakes: no PDU limit known. */
  readonly info?: { serverMaxReceivePduSize: number } | undefined;
}

export type DlmsConnector = (options: DlmsClientOptions) => Promise<DlmsClientPort>;

export const connectDlmsClient: DlmsConnector = (options) => DlmsClient.connect(options);
