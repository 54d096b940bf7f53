import type { DlmsData } from '@openhes/dlms';
import { describe, expect, it } from 'vitest';
import {
  activeFirmware,
  buildImage,
  imageBlockCounts,
  imageBlocks,
  methodCount,
  parseImage,
  setControlBehaviour,
} from '../src/model/control.ts';
import { MeterModel } from '../src/model/meter-model.ts';
import type { Truth } from '../src/truth/fleet-truth.ts';
import { fleet, HOUR, START } from './helpers.ts';

const IT = '0.0.44.0.0.255';
const LN = Uint8Array.of(0, 0, 44, 0, 0, 255);
const FW = Uint8Array.of(1, 0, 0, 2, 0, 255);
const ctx = { association: 'management', clientSap: 48 };
const T = START + 10 * HOUR;
const ZERO: DlmsData = { type: 'integer', value: 0 };
const u32 = (value: number): DlmsData => ({ type: 'double-long-unsigned', value });
const octets = (value: Uint8Array): DlmsData => ({ type: 'octet-string', value });
const text = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

const truth: Truth = fleet({ consumers: 40, transformers: 1, mix: { residential: 0.5, commercial: 0.5 } });
const used = new Set<number>();
function freshMeter(profile = 'is15959-1ph'): number {
  let i = 0;
  while (used.has(i) || truth.meter(i).profile.id !== profile) i++;
  used.add(i);
  return i;
}

class Meter {
  readonly mm: MeterModel;
  readonly clock = { now: T };
  readonly index: number;
  constructor(index: number) {
    this.index = index;
    this.mm = new MeterModel(truth.meter(index), { now: () => this.clock.now });
  }
  act(method: number, p: DlmsData): number {
    return this.mm.action(ctx, { classId: 18, obis: LN, methodId: method }, p).result;
  }
  get(attr: number): DlmsData | number {
    return this.mm.get(ctx, { classId: 18, obis: LN, attributeId: attr });
  }
  status(): unknown {
    return (this.get(6) as { value: unknown }).value;
  }
  firmware(): unknown {
    return (this.mm.get(ctx, { classId: 1, obis: FW, attributeId: 2 }) as { value: unknown }).value;
  }
  initiate(id: string, size: number): number {
    return this.act(1, { type: 'structure', value: [octets(text(id)), u32(size)] });
  }
  block(n: number, data: Uint8Array): number {
    return this.act(2, { type: 'structure', value: [u32(n), octets(data)] });
  }
  send(image: Uint8Array, id = 'IMG'): void {
    expect(this.initiate(id, image.length)).toBe(0);
    const size = (this.get(2) as { value: number }).value;
    for (const [n, b] of imageBlocks(image, size).entries()) expect(this.block(n, b)).toBe(0);
  }
}

describe('simulated image format', () => {
  it('round-trips and refuses any changed byte', () => {
    const img = buildImage('OS1P-03.00', 700);
    expect(parseImage(img)?.version).toBe('OS1P-03.00');
    expect(parseImage(img)?.body.length).toBe(700);
    for (const at of [0, 5, 20, 400, img.length - 1]) {
      const bad = img.slice();
      bad[at] = bad[at]! ^ 1;
      expect(parseImage(bad), `byte ${at}`).toBeUndefined();
    }
    expect(parseImage(img.subarray(0, img.length - 1))).toBeUndefined();
  });
});

describe('image transfer (model)', () => {
  it('block size by model: 200 on the single-phase meter, 512 on the three-phase one', () => {
    expect(new Meter(freshMeter()).get(2)).toEqual(u32(200));
    expect(new Meter(freshMeter('is15959-3ph')).get(2)).toEqual(u32(512));
  });

  it('a good image verifies and activates: the firmware object shows the declared version', () => {
    const m = new Meter(freshMeter());
    const before = m.firmware();
    const image = buildImage('OS1P-09.01', 1500);
    m.send(image, 'campaign-7');
    expect(m.status()).toBe(1);
    expect(m.get(7)).toEqual({ type: 'array', value: [] });
    expect(m.act(3, ZERO)).toBe(0);
    expect(m.status()).toBe(3);
    expect(m.get(7)).toEqual({
      type: 'array',
      value: [
        {
          type: 'structure',
          value: [u32(image.length), octets(text('campaign-7')), octets(image.slice(image.length - 32))],
        },
      ],
    });
    expect(m.firmware()).toBe(before);
    expect(m.act(4, ZERO)).toBe(0);
    expect(m.status()).toBe(6);
    expect(m.firmware()).toBe('OS1P-09.01');
    expect(activeFirmware(truth, m.index, m.clock.now)).toBe('OS1P-09.01');
    expect(
      truth
        .state(m.index)!
        .events.filter((e) => e.log === 'transaction')
        .map((e) => e.code),
    ).toEqual([157]);
    // Activating again changes nothing.
    expect(m.act(4, ZERO)).toBe(0);
    expect(truth.state(m.index)!.firmware).toHaveLength(1);
  });

  it('a corrupted block fails verification (status 4), activation is refused, the old firmware stays', () => {
    const m = new Meter(freshMeter());
    const before = m.firmware();
    const image = buildImage('OS1P-09.02', 1500);
    const bad = image.slice();
    bad[450] = bad[450]! ^ 0x40;
    m.send(bad);
    expect(m.act(3, ZERO)).toBe(250);
    expect(m.status()).toBe(4);
    expect(m.act(4, ZERO)).toBe(250);
    expect(m.status()).toBe(4);
    expect(m.firmware()).toBe(before);
    expect(m.get(7)).toEqual({ type: 'array', value: [] });
  });

  it('bitmap (bit 0 = MSB of the first byte), first missing block, duplicates counted', () => {
    const m = new Meter(freshMeter());
    const image = buildImage('OS1P-09.03', 1900);
    const blocks = imageBlocks(image, 200);
    expect(blocks).toHaveLength(10);
    expect(m.initiate('IMG', image.length)).toBe(0);
    for (const n of [0, 2, 5, 9, 2]) expect(m.block(n, blocks[n]!)).toBe(0);
    expect(m.get(3)).toEqual({ type: 'bit-string', value: { length: 10, bytes: Uint8Array.of(0xa4, 0x40) } });
    expect(m.get(4)).toEqual(u32(1));
    expect(imageBlockCounts(truth, m.index)).toEqual({ received: 5, duplicates: 1 });
    // Verify with blocks missing: refused, the transfer stays open.
    expect(m.act(3, ZERO)).toBe(250);
    expect(m.status()).toBe(1);
    for (const n of [1, 3, 4, 6, 7, 8]) expect(m.block(n, blocks[n]!)).toBe(0);
    expect(m.get(4)).toEqual(u32(10));
    expect(m.act(3, ZERO)).toBe(0);
    // Out of range and wrong-length blocks are refused.
    expect(m.initiate('IMG', image.length)).toBe(0);
    expect(m.block(10, new Uint8Array(1))).toBe(250);
    expect(m.block(0, new Uint8Array(199))).toBe(250);
    expect(m.block(9, blocks[9]!)).toBe(0);
  });

  it('initiate again restarts the transfer (blocks dropped) and is counted', () => {
    const m = new Meter(freshMeter());
    const image = buildImage('OS1P-09.04', 900);
    m.send(image);
    expect(m.get(4)).toEqual(u32(5));
    expect(m.initiate('IMG', image.length)).toBe(0);
    expect(m.get(4)).toEqual(u32(0));
    expect(m.get(3)).toEqual({ type: 'bit-string', value: { length: 5, bytes: Uint8Array.of(0) } });
    expect(methodCount(truth, m.index, 18, IT, 1)).toBe(2);
    expect(methodCount(truth, m.index, 18, IT, 2)).toBe(5);
  });

  it('refuses the transfer while image_transfer_enabled is FALSE', () => {
    const m = new Meter(freshMeter());
    const enable = (v: boolean): number =>
      m.mm.set(ctx, { classId: 18, obis: LN, attributeId: 5 }, { type: 'boolean', value: v });
    expect(m.get(5)).toEqual({ type: 'boolean', value: true });
    expect(enable(false)).toBe(0);
    expect(m.get(5)).toEqual({ type: 'boolean', value: false });
    expect(m.initiate('IMG', 400)).toBe(250);
    expect(m.status()).toBe(0);
    expect(enable(true)).toBe(0);
    expect(m.initiate('IMG', 400)).toBe(0);
    expect(enable(false)).toBe(0);
    expect(m.block(0, new Uint8Array(200))).toBe(250);
  });

  it('a slow meter answers temporary-failure while verifying (2) and activating (5); the status says when it is done', () => {
    const m = new Meter(freshMeter());
    setControlBehaviour(truth, m.index, { verifyMs: 30_000, activateMs: 60_000 });
    const before = m.firmware();
    m.send(buildImage('OS1P-09.05', 1000));
    expect(m.act(3, ZERO)).toBe(2);
    expect(m.status()).toBe(2);
    m.clock.now += 10_000;
    expect(m.act(3, ZERO)).toBe(2);
    expect(m.act(4, ZERO)).toBe(2);
    expect(m.status()).toBe(2);
    m.clock.now += 20_000;
    expect(m.status()).toBe(3);
    expect(m.act(4, ZERO)).toBe(2);
    expect(m.status()).toBe(5);
    expect(m.firmware()).toBe(before);
    m.clock.now += 59_999;
    expect(m.status()).toBe(5);
    m.clock.now += 1;
    expect(m.status()).toBe(6);
    expect(m.firmware()).toBe('OS1P-09.05');
    expect(truth.state(m.index)!.firmware).toEqual([{ at: m.clock.now, version: 'OS1P-09.05' }]);
  });

  it('a slow verification of a corrupted image ends in status 4', () => {
    const m = new Meter(freshMeter());
    setControlBehaviour(truth, m.index, { verifyMs: 5_000 });
    const bad = buildImage('OS1P-09.06', 1000);
    bad[10] = bad[10]! ^ 1;
    m.send(bad);
    expect(m.act(3, ZERO)).toBe(2);
    m.clock.now += 5_000;
    expect(m.status()).toBe(4);
    expect(m.act(4, ZERO)).toBe(250);
  });

  it('the image activation schedule (0.0.15.0.2.255 attr 4) activates a verified image at its local time', () => {
    const m = new Meter(freshMeter());
    const before = m.firmware();
    m.send(buildImage('OS1P-09.07', 800));
    expect(m.act(3, ZERO)).toBe(0);
    const at = T + 2 * HOUR;
    const local = new Date(at + 330 * 60_000);
    const entry = (t: Date): DlmsData => ({
      type: 'array',
      value: [
        {
          type: 'structure',
          value: [
            octets(Uint8Array.of(t.getUTCHours(), t.getUTCMinutes(), t.getUTCSeconds(), 0)),
            octets(
              Uint8Array.of(
                t.getUTCFullYear() >> 8,
                t.getUTCFullYear() & 0xff,
                t.getUTCMonth() + 1,
                t.getUTCDate(),
                0xff,
              ),
            ),
          ],
        },
      ],
    });
    const SAS = Uint8Array.of(0, 0, 15, 0, 2, 255);
    const schedule = (v: DlmsData): number => m.mm.set(ctx, { classId: 22, obis: SAS, attributeId: 4 }, v);
    expect(schedule(entry(new Date(T - HOUR + 330 * 60_000)))).toBe(250);
    expect(schedule(entry(local))).toBe(0);
    expect(m.mm.get(ctx, { classId: 22, obis: SAS, attributeId: 4 })).toEqual(entry(local));
    m.clock.now = at - 1;
    expect(m.firmware()).toBe(before);
    expect(m.status()).toBe(3);
    m.clock.now = at + HOUR;
    expect(m.firmware()).toBe('OS1P-09.07');
    expect(m.status()).toBe(6);
    expect(truth.state(m.index)!.firmware).toEqual([{ at, version: 'OS1P-09.07' }]);
    expect(m.mm.get(ctx, { classId: 22, obis: SAS, attributeId: 4 })).toEqual({ type: 'array', value: [] });
    // A schedule reached before verification does not activate.
    const n = new Meter(freshMeter());
    n.send(buildImage('OS1P-09.08', 800));
    expect(n.mm.set(ctx, { classId: 22, obis: SAS, attributeId: 4 }, entry(local))).toBe(0);
    n.clock.now = at + HOUR;
    expect(n.status()).toBe(1);
    expect(n.firmware()).toBe(before);
  });
});
