/**
 * The reference vectors of the repository (`vectors/` at the root, each file with its
 * provenance), typed. Tests of every package, `hes dlms decode` tests and the simulator's
 * checks read them here, so there is one copy of the bytes and one place that knows the path.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of `vectors/` at the repository root. */
export const VECTORS_DIR = fileURLToPath(new URL('../../../vectors/', import.meta.url));

/** A vector file's text, `path` relative to `vectors/` (e.g. `dlms-ua/apdu.json`). */
export function readVectorText(path: string): string {
  return readFileSync(join(VECTORS_DIR, path), 'utf8');
}

/** A vector file parsed as JSON, `path` relative to `vectors/`. */
export function readVectorJson<T>(path: string): T {
  return JSON.parse(readVectorText(path)) as T;
}

/** One byte string with what it means (apdu.json, hdlc.json). */
export interface ByteVector {
  name: string;
  /** Upper-case hex, no separators. */
  hex: string;
  meaning: string;
}

export interface ByteVectorFile {
  provenance: string;
  vectors: ByteVector[];
}

/** A security suite 0 example (suite0.json); which fields are present depends on the example. */
export interface Suite0Vector {
  name: string;
  provenance: string;
  systemTitle: string;
  invocationCounter?: string;
  securityControl?: string;
  plaintext?: string;
  plaintextMeaning?: string;
  cipheredApdu?: string;
  cipheredMeaning?: string;
  challenge?: string;
  challengeAscii?: string;
  aad?: string;
  tag?: string;
  fChallenge?: string;
  fChallengeMeaning?: string;
  userInformation?: string;
  apdu?: string;
}

export interface Suite0File {
  common: {
    encryptionKey: string;
    authenticationKey: string;
    tagLength: number;
    iv: string;
    aadAuthenticatedEncrypted: string;
    aadAuthenticatedOnly: string;
  };
  vectors: Suite0Vector[];
}

/** Plain xDLMS APDUs and date-times (DLMS UA, vectors/dlms-ua/apdu.json). */
export const apduVectors: ByteVectorFile = readVectorJson('dlms-ua/apdu.json');
/** HDLC frames of one association (DLMS UA, vectors/dlms-ua/hdlc.json). */
export const hdlcVectors: ByteVectorFile = readVectorJson('dlms-ua/hdlc.json');
/** Security suite 0 ciphering and HLS-GMAC (Green Book, vectors/dlms-ua/suite0.json). */
export const suite0Vectors: Suite0File = readVectorJson('dlms-ua/suite0.json');

/** The vector of `file` named `name`; throws when it is missing, so a renamed vector fails loudly. */
export function vectorNamed<V extends { name: string }>(file: { vectors: V[] }, name: string): V {
  const v = file.vectors.find((x) => x.name === name);
  if (v === undefined) throw new Error(`no vector named ${JSON.stringify(name)}`);
  return v;
}
