import type { DlmsData } from '@openhes/dlms';
import { DlmsError, DlmsErrorCode } from '@openhes/dlms';
import { DriverError, DriverErrorCode, toDriverError } from '../errors.ts';
import type { DlmsClientPort } from './client-port.ts';

/** Runs one operation on the driver's open association; failures leave as DriverError. */
export type DlmsOperation = <T>(fn: (client: DlmsClientPort) => Promise<T>) => Promise<T>;

/** integer(0): the data of methods that take none (`0F 00`). */
export const NO_DATA: DlmsData = { type: 'integer', value: 0 };

/** Action-Result temporary-failure. */
const TEMPORARY_FAILURE = 2;

/**
 * ACTION with the meter's Action-Result kept: temporary-failure (2) is DRIVER_TEMPORARY_FAILURE
 * (retryable), any other refusal DRIVER_REFUSED; both carry detail.actionResult and resultName.
 */
export async function invoke(
  client: DlmsClientPort,
  obis: string,
  classId: number,
  method: number,
  data: DlmsData = NO_DATA,
): Promise<DlmsData | undefined> {
  try {
    return await client.action(obis, classId, method, data);
  } catch (e) {
    if (e instanceof DlmsError && e.code === DlmsErrorCode.AccessResult) {
      const result = Number(e.detail?.result);
      const resultName = String(e.detail?.resultName ?? result);
      const temporary = result === TEMPORARY_FAILURE;
      throw new DriverError(
        temporary ? DriverErrorCode.TemporaryFailure : DriverErrorCode.Refused,
        `${classId}/${obis} method ${method}: ${resultName}`,
        { cause: e, detail: { obis, classId, method, actionResult: result, resultName } },
      );
    }
    throw e;
  }
}

/** SET that names the attribute in a refusal. */
export async function write(
  client: DlmsClientPort,
  obis: string,
  classId: number,
  attr: number,
  value: DlmsData,
): Promise<void> {
  try {
    await client.set(obis, classId, attr, value);
  } catch (e) {
    if (e instanceof DlmsError && e.code === DlmsErrorCode.AccessResult) {
      throw new DriverError(
        DriverErrorCode.Refused,
        `${classId}/${obis}:${attr} write refused: ${String(e.detail?.resultName)}`,
        {
          cause: e,
          detail: {
            obis,
            classId,
            attribute: attr,
            result: e.detail?.result,
            resultName: e.detail?.resultName,
          },
        },
      );
    }
    throw e;
  }
}

export function decoded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw toDriverError(e);
  }
}

/** A value the caller gave that the attribute's type cannot hold. */
export function encoded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const cause = toDriverError(e);
    throw new DriverError(DriverErrorCode.Invalid, cause.message, { cause, detail: cause.detail ?? {} });
  }
}

export function protocol(message: string): DriverError {
  return new DriverError(DriverErrorCode.Protocol, message);
}

/** Attributes read together with GET-with-list; any refused one fails the read. */
export async function readAll(
  client: DlmsClientPort,
  obis: string,
  classId: number,
  attrs: readonly number[],
): Promise<DlmsData[]> {
  const results = await client.getMany(attrs.map((attr) => ({ obis, classId, attr })));
  return attrs.map((attr, i) => {
    const r = results[i];
    if (r === undefined) throw protocol(`no result for ${classId}/${obis}:${attr}`);
    if (!r.ok)
      throw new DriverError(DriverErrorCode.Refused, `${classId}/${obis}:${attr} refused: ${r.resultName}`, {
        detail: { resultName: r.resultName, obis, classId, attribute: attr },
      });
    return r.value;
  });
}

/** DRIVER_READBACK_MISMATCH naming what differs (values as text: never key material). */
export function mismatch(what: string, wanted: unknown, got: unknown): DriverError {
  const text = (v: unknown) =>
    JSON.stringify(v, (_k, x) =>
      typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? Array.from(x) : x,
    );
  return new DriverError(
    DriverErrorCode.ReadbackMismatch,
    `${what} read back differs from what was written`,
    {
      retryable: false,
      detail: { attribute: what, written: text(wanted), read: text(got) },
    },
  );
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A DlmsData as comparable text (bytes as numbers, bigints as strings): for read-back comparison. */
export function dataText(d: unknown): string {
  return JSON.stringify(d, (_k, x) =>
    typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? Array.from(x) : x,
  );
}

/** Attributes from..to (both included). */
export function attributeRange(from: number, to: number): number[] {
  const out: number[] = [];
  for (let a = from; a <= to; a++) out.push(a);
  return out;
}
