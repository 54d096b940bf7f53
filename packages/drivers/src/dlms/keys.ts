import { ClassId, encodeGlobalKeyTransfer, encodeSecurityActivate } from '@openhes/cosem';
import { aesKeyWrap } from '@openhes/dlms';
import {
  type GlobalKey,
  GlobalKeyId,
  type KeyChange,
  type KeyTransfer,
  type SecuritySetupState,
} from '../driver.ts';
import { DriverError, DriverErrorCode } from '../errors.ts';
import { attributeRange, type DlmsOperation, encoded, invoke, protocol, readAll } from './ops.ts';

const SECURITY_SETUP = ClassId.SecuritySetup;
const SECURITY_ACTIVATE = 1;
const GLOBAL_KEY_TRANSFER = 2;

function keyId(key: GlobalKey): number {
  const id = GlobalKeyId[key];
  if (id === undefined)
    throw new DriverError(DriverErrorCode.Invalid, `key '${String(key)}' is not a global key`);
  return id;
}

/**
 * Security setup (class 64): global_key_transfer with one key per call, wrapped under the
 * master key (RFC 3394); security_activate. Key material never enters a message or detail.
 */
export class DlmsKeyChange implements KeyChange {
  readonly #op: DlmsOperation;
  readonly #obis: string;

  constructor(op: DlmsOperation, obis: string) {
    this.#op = op;
    this.#obis = obis;
  }

  async transferKey(transfer: KeyTransfer): Promise<void> {
    const data = encoded(() =>
      encodeGlobalKeyTransfer([{ keyId: keyId(transfer.key), wrapped: transfer.wrapped }]),
    );
    return this.#op(async (client) => {
      await invoke(client, this.#obis, SECURITY_SETUP, GLOBAL_KEY_TRANSFER, data);
    });
  }

  async changeKey(key: GlobalKey, newKey: Uint8Array, kek: Uint8Array): Promise<void> {
    if (newKey.length !== 16)
      throw new DriverError(DriverErrorCode.Invalid, `newKey must be 16 bytes, got ${newKey.length}`);
    if (kek.length !== 16)
      throw new DriverError(DriverErrorCode.Invalid, `kek (master key) must be 16 bytes, got ${kek.length}`);
    return this.transferKey({ key, wrapped: aesKeyWrap(kek, newKey) });
  }

  async activateSecurity(policy: number): Promise<void> {
    const data = encoded(() => encodeSecurityActivate(policy));
    return this.#op(async (client) => {
      await invoke(client, this.#obis, SECURITY_SETUP, SECURITY_ACTIVATE, data);
    });
  }

  readSecuritySetup(): Promise<SecuritySetupState> {
    return this.#op(async (client) => {
      const [policy, suite, client_, server] = await readAll(
        client,
        this.#obis,
        SECURITY_SETUP,
        attributeRange(2, 5),
      );
      const int = (d: typeof policy, what: string): number => {
        if (d !== undefined && 'value' in d && typeof d.value === 'number') return d.value;
        throw protocol(`${what} is not an integer`);
      };
      const octets = (d: typeof policy, what: string): Uint8Array => {
        if (d?.type === 'octet-string') return d.value;
        throw protocol(`${what} is not an octet-string`);
      };
      return {
        policy: int(policy, 'security_policy'),
        suite: int(suite, 'security_suite'),
        clientSystemTitle: octets(client_, 'client_system_title'),
        serverSystemTitle: octets(server, 'server_system_title'),
      };
    });
  }
}
