import type { DlmsData } from '@openhes/dlms';
import { describe, expect, it } from 'vitest';
import { activeFirmware, imageBlocks, setAcceptAnyImage } from '../src/model/control.ts';
import { MeterModel } from '../src/model/meter-model.ts';
import type { Truth } from '../src/truth/fleet-truth.ts';
import { fleet, HOUR, START } from './helpers.ts';

const LN = Uint8Array.of(0, 0, 44, 0, 0, 255);
const ctx = { association: 'management', clientSap: 48 };
const T = START + 10 * HOUR;
const ZERO: DlmsData = { type: 'integer', value: 0 };
const u32 = (value: number): DlmsData => ({ type: 'double-long-unsigned', value });
const octets = (value: Uint8Array): DlmsData => ({ type: 'octet-string', value });
const text = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** A vendor's image: bytes the simulator's own format does not parse. */
function vendorImage(size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 31 + 7) & 0xff);
}

function meterOf(truth: Truth, index: number) {
  const mm = new MeterModel(truth.meter(index), { now: () => T });
  const act = (method: number, p: DlmsData): number =>
    mm.action(ctx, { classId: 18, obis: LN, methodId: method }, p).result;
  const get = (attr: number) => mm.get(ctx, { classId: 18, obis: LN, attributeId: attr });
  return {
    act,
    status: () => (get(6) as { value: unknown }).value,
    send(image: Uint8Array, id: string, skipLast = false): void {
      expect(act(1, { type: 'structure', value: [octets(text(id)), u32(image.length)] })).toBe(0);
      const size = (get(2) as { value: number }).value;
      const blocks = imageBlocks(image, size);
      for (const [n, b] of blocks.entries())
        if (!(skipLast && n === blocks.length - 1))
          expect(act(2, { type: 'structure', value: [u32(n), octets(b)] })).toBe(0);
    },
  };
}

describe('a fleet that accepts any image (rehearsal twins of real meters)', () => {
  it('by default a vendor image fails verification and the old firmware stays', () => {
    const truth = fleet({ consumers: 2, transformers: 1, mix: { residential: 1 } });
    const before = activeFirmware(truth, 0, T);
    const m = meterOf(truth, 0);
    m.send(vendorImage(900), 'VENDOR-7.1');
    expect(m.act(3, ZERO)).toBe(250);
    expect(m.status()).toBe(4);
    expect(m.act(4, ZERO)).toBe(250);
    expect(activeFirmware(truth, 0, T)).toBe(before);
  });

  it('with acceptAnyImage a vendor image with every block verifies and activates, reporting the version of its identifier; a missing block still refuses verification', () => {
    const truth = fleet({ consumers: 2, transformers: 1, mix: { residential: 1 } });
    setAcceptAnyImage(truth, { versionOf: (id) => (id === 'VENDOR-7.1' ? 'FW 7.1.0' : undefined) });
    const m = meterOf(truth, 0);
    m.send(vendorImage(900), 'VENDOR-7.1');
    expect(m.act(3, ZERO)).toBe(0);
    expect(m.status()).toBe(3);
    expect(m.act(4, ZERO)).toBe(0);
    expect(activeFirmware(truth, 0, T)).toBe('FW 7.1.0');

    // An identifier versionOf does not know: the meter reports the identifier.
    const other = meterOf(truth, 1);
    other.send(vendorImage(450), 'OTHER-2');
    expect(other.act(3, ZERO)).toBe(0);
    expect(other.act(4, ZERO)).toBe(0);
    expect(activeFirmware(truth, 1, T)).toBe('OTHER-2');

    // Blocks missing: verification refused, the transfer stays open.
    const before = activeFirmware(truth, 0, T);
    m.send(vendorImage(900), 'VENDOR-7.2', true);
    expect(m.act(3, ZERO)).toBe(250);
    expect(m.status()).toBe(1);
    expect(activeFirmware(truth, 0, T)).toBe(before);

    // Switched off again: the simulator's own format only.
    setAcceptAnyImage(truth, false);
    const third = meterOf(truth, 1);
    third.send(vendorImage(450), 'OTHER-3');
    expect(third.act(3, ZERO)).toBe(250);
  });
});
