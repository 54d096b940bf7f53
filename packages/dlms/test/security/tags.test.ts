import { describe, expect, it } from 'vitest';
import {
  CipheredApduTag,
  cipheredTagFor,
  cipheringFamilyOf,
  isCipheredTag,
  plainTagFor,
  servicesWithCipheredTags,
} from '../../src/security/index.ts';

// Expected values transcribed from /work/shared/reference/dlms-tables.md §3.
const TABLE: [name: string, plain: number, glo: number, ded: number][] = [
  ['initiateRequest', 0x01, 0x21, 0x41],
  ['readRequest', 0x05, 0x25, 0x45],
  ['writeRequest', 0x06, 0x26, 0x46],
  ['initiateResponse', 0x08, 0x28, 0x48],
  ['readResponse', 0x0c, 0x2c, 0x4c],
  ['writeResponse', 0x0d, 0x2d, 0x4d],
  ['confirmedServiceError', 0x0e, 0x2e, 0x4e],
  ['unconfirmedWriteRequest', 0x16, 0x36, 0x56],
  ['informationReportRequest', 0x18, 0x38, 0x58],
  ['get-request', 0xc0, 0xc8, 0xd0],
  ['set-request', 0xc1, 0xc9, 0xd1],
  ['event-notification-request', 0xc2, 0xca, 0xd2],
  ['action-request', 0xc3, 0xcb, 0xd3],
  ['get-response', 0xc4, 0xcc, 0xd4],
  ['set-response', 0xc5, 0xcd, 0xd5],
  ['action-response', 0xc7, 0xcf, 0xd7],
];

describe('ciphered tag maps', () => {
  it.each(TABLE)('%s: plain 0x%s ↔ glo ↔ ded', (_name, plain, glo, ded) => {
    expect(cipheredTagFor(plain, 'glo')).toBe(glo);
    expect(cipheredTagFor(plain, 'ded')).toBe(ded);
    expect(plainTagFor(glo)).toBe(plain);
    expect(plainTagFor(ded)).toBe(plain);
    expect(cipheringFamilyOf(glo)).toBe('glo');
    expect(cipheringFamilyOf(ded)).toBe('ded');
    expect(isCipheredTag(glo) && isCipheredTag(ded)).toBe(true);
    expect(isCipheredTag(plain)).toBe(false);
  });

  it('lists exactly the services of the table', () => {
    expect([...servicesWithCipheredTags].sort((a, b) => a - b)).toEqual(TABLE.map(([, p]) => p));
  });

  it('services without glo/ded forms map to nothing', () => {
    for (const plain of [0xd8, 0x0f, 0x10, 0xd9, 0xda, 0xe0, 0xc6]) {
      expect(cipheredTagFor(plain, 'glo')).toBeUndefined();
      expect(cipheredTagFor(plain, 'ded')).toBeUndefined();
    }
    for (const unused of [0xce, 0xd6, 0xc0, 0xd8]) expect(plainTagFor(unused)).toBeUndefined();
  });

  it('general ciphering tags are ciphered but carry no plain tag', () => {
    expect(CipheredApduTag.generalGloCiphering).toBe(0xdb);
    expect(CipheredApduTag.generalDedCiphering).toBe(0xdc);
    expect(CipheredApduTag.generalCiphering).toBe(0xdd);
    for (const t of [0xdb, 0xdc, 0xdd]) {
      expect(isCipheredTag(t)).toBe(true);
      expect(plainTagFor(t)).toBeUndefined();
    }
  });
});
