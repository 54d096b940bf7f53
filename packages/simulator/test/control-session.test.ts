import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aesKeyWrap, type DlmsData, dateTimeFromInstant, dateTimeToOctets } from '@openhes/dlms';
import { DlmsClient } from '@openhes/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from '../src/fleet/fleet.ts';
import {
  buildImage,
  imageBlockCounts,
  imageBlocks,
  manualReconnect,
  methodCount,
  readMethodJournal,
  setControlBehaviour,
} from '../src/model/control.ts';
import { issuedSecrets } from '../src/truth/values.ts';
import { clientOptions, connect } from './client-helpers.ts';
import { DAY, HOUR, num, PROFILES, START } from './helpers.ts';

/**
 * Each control object over a real DLMS session (loopback fleet, management association,
 * HLS-GMAC with authenticated encryption); every check reads the meter's state back.
 */
const DC = '0.0.96.3.10.255';
const ZERO: DlmsData = { type: 'integer', value: 0 };
const octets = (value: Uint8Array): DlmsData => ({ type: 'octet-string', value });
const text = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const u16 = (value: number): DlmsData => ({ type: 'long-unsigned', value });
const u32 = (value: number): DlmsData => ({ type: 'double-long-unsigned', value });
const struct = (...value: DlmsData[]): DlmsData => ({ type: 'structure', value });
const refusedWith = (result: number) => ({ detail: { result } });

/** The single-phase model (its special days table 0.0.11.0.0.255 comes from is15959-common). */
const base = PROFILES.get('is15959-1ph')!;
const profiles = PROFILES;

let fleet: Fleet;
let now = START + 2 * DAY + 9 * HOUR + 5 * 60_000;

beforeAll(async () => {
  fleet = await startFleet({
    meters: 10,
    transformers: 1,
    mix: { residential: 1 },
    seed: 11,
    startAt: START,
    port: 0,
    tickMs: 0,
    profiles,
    clock: () => now,
  });
});

afterAll(async () => {
  await fleet?.close();
});

let next = 0;
function consumer(): number {
  while (fleet.truth.meter(next).profile.id !== base.id) next++;
  return next++;
}

async function session<T>(meter: number, f: (c: DlmsClient) => Promise<T>): Promise<T> {
  const c = await connect(fleet, meter, 'management');
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

describe('control objects over a DLMS session', () => {
  it('disconnect control: mode 1 arms on reconnect, the button closes, mode 2 refuses reconnect from ready', async () => {
    const i = consumer();
    await session(i, async (c) => {
      const read = async () => ({
        output: (await c.get(DC, 70, 2)) as DlmsData,
        control: num(await c.get(DC, 70, 3)),
      });
      await c.set(DC, 70, 4, { type: 'enum', value: 1 });
      expect(num(await c.get(DC, 70, 4))).toBe(1);
      await c.action(DC, 70, 1, ZERO);
      expect(await read()).toEqual({ output: { type: 'boolean', value: false }, control: 0 });
      await c.action(DC, 70, 2, ZERO);
      expect(await read()).toEqual({ output: { type: 'boolean', value: false }, control: 2 });
      now += 60_000;
      expect(manualReconnect(fleet.truth, i, now)).toBe(true);
      expect(await read()).toEqual({ output: { type: 'boolean', value: true }, control: 1 });
      // Mode 2 from ready_for_reconnection: no remote transition, refused with other-reason.
      await c.action(DC, 70, 1, ZERO);
      await c.set(DC, 70, 4, { type: 'enum', value: 1 });
      await c.action(DC, 70, 2, ZERO);
      await c.set(DC, 70, 4, { type: 'enum', value: 2 });
      await expect(c.action(DC, 70, 2, ZERO)).rejects.toMatchObject(refusedWith(250));
      expect(await read()).toEqual({ output: { type: 'boolean', value: false }, control: 2 });
      await c.set(DC, 70, 4, { type: 'enum', value: 0 });
      await expect(c.action(DC, 70, 1, ZERO)).rejects.toMatchObject(refusedWith(250));
    });
    expect(methodCount(fleet.truth, i, 70, DC, 1)).toBe(3);
    expect(methodCount(fleet.truth, i, 70, DC, 2)).toBe(3);
  });

  it('the CT meter has no disconnect control: object-undefined', async () => {
    let ct = 0;
    while (fleet.truth.meter(ct).profile.id !== 'is15959-ct') ct++;
    await session(ct, async (c) => {
      await expect(c.action(DC, 70, 1, ZERO)).rejects.toMatchObject(refusedWith(4));
      await expect(c.get(DC, 70, 2)).rejects.toMatchObject(refusedWith(4));
    });
    expect(fleet.truth.state(ct)?.relay ?? []).toEqual([]);
  });

  it('limiter: every attribute written reads back; the emergency profile is active in its window', async () => {
    const i = consumer();
    const at = now + HOUR;
    const profile = struct(
      u16(9),
      octets(dateTimeToOctets(dateTimeFromInstant(new Date(at), { deviation: -330 }))),
      u32(1800),
    );
    await session(i, async (c) => {
      const writes: [number, DlmsData][] = [
        [4, u32(8000)],
        [5, u32(3000)],
        [6, u32(60)],
        [7, u32(300)],
        [8, profile],
        [9, { type: 'array', value: [u16(9)] }],
      ];
      for (const [a, v] of writes) await c.set('0.0.17.0.0.255', 71, a, v);
      for (const [a, v] of writes) expect(await c.get('0.0.17.0.0.255', 71, a)).toEqual(v);
      expect(await c.get('0.0.17.0.0.255', 71, 10)).toEqual({ type: 'boolean', value: false });
      now = at + 60_000;
      expect(await c.get('0.0.17.0.0.255', 71, 10)).toEqual({ type: 'boolean', value: true });
      expect(await c.get('0.0.17.0.0.255', 71, 3)).toEqual(u32(3000));
      now = at + 1800_000;
      expect(await c.get('0.0.17.0.0.255', 71, 10)).toEqual({ type: 'boolean', value: false });
    });
  });

  it('activity calendar and special days: passive written, activated by method 1, special days inserted', async () => {
    const i = consumer();
    await session(i, async (c) => {
      await c.set('0.0.13.0.0.255', 20, 6, octets(text('NEW')));
      await c.action('0.0.13.0.0.255', 20, 1, ZERO);
      expect(await c.get('0.0.13.0.0.255', 20, 2)).toEqual(octets(text('NEW')));
      const day = struct(u16(3), octets(Uint8Array.of(0xff, 0xff, 12, 25, 0xff)), {
        type: 'unsigned',
        value: 2,
      });
      await c.action('0.0.11.0.0.255', 11, 1, day);
      expect(await c.get('0.0.11.0.0.255', 11, 2)).toEqual({ type: 'array', value: [day] });
      await c.action('0.0.11.0.0.255', 11, 2, u16(3));
      expect(await c.get('0.0.11.0.0.255', 11, 2)).toEqual({ type: 'array', value: [] });
    });
  });

  it('clock: shift_time within ±900 s moves the clock, beyond is refused; time zone written reads back', async () => {
    const i = consumer();
    await session(i, async (c) => {
      const offset = (): number => fleet.truth.state(i)?.clockSyncs.at(-1)?.offsetMs ?? 0;
      await c.action('0.0.1.0.0.255', 8, 6, { type: 'long', value: -60 });
      const moved = offset();
      await expect(c.action('0.0.1.0.0.255', 8, 6, { type: 'long', value: 1000 })).rejects.toMatchObject(
        refusedWith(250),
      );
      expect(offset()).toBe(moved);
      expect(fleet.truth.state(i)!.clockSyncs).toHaveLength(1);
      await c.set('0.0.1.0.0.255', 8, 3, { type: 'long', value: -330 });
      expect(await c.get('0.0.1.0.0.255', 8, 3)).toEqual({ type: 'long', value: -330 });
    });
  });

  it('image transfer: blocks, a busy verify and activate polled on attr 6, the new version read back', async () => {
    const i = consumer();
    setControlBehaviour(fleet.truth, i, { verifyMs: 20_000, activateMs: 20_000 });
    const image = buildImage('OS1P-07.00', 1234);
    await session(i, async (c) => {
      const IT = '0.0.44.0.0.255';
      const size = num(await c.get(IT, 18, 2));
      expect(size).toBe(200);
      await c.action(IT, 18, 1, struct(octets(text('fw7')), u32(image.length)));
      const blocks = imageBlocks(image, size);
      for (const [n, b] of blocks.entries())
        if (n !== 3) await c.action(IT, 18, 2, struct(u32(n), octets(b)));
      expect(num(await c.get(IT, 18, 4))).toBe(3);
      await c.action(IT, 18, 2, struct(u32(3), octets(blocks[3]!)));
      await expect(c.action(IT, 18, 3, ZERO)).rejects.toMatchObject(refusedWith(2));
      expect(num(await c.get(IT, 18, 6))).toBe(2);
      now += 20_000;
      expect(num(await c.get(IT, 18, 6))).toBe(3);
      await expect(c.action(IT, 18, 4, ZERO)).rejects.toMatchObject(refusedWith(2));
      expect(num(await c.get(IT, 18, 6))).toBe(5);
      now += 20_000;
      expect(num(await c.get(IT, 18, 6))).toBe(6);
      expect(await c.get('1.0.0.2.0.255', 1, 2)).toEqual({ type: 'visible-string', value: 'OS1P-07.00' });
    });
    expect(imageBlockCounts(fleet.truth, i)).toEqual({ received: 7, duplicates: 0 });
  });

  it('push setup: destination, window, randomisation, retries and delay written read back', async () => {
    const i = consumer();
    await session(i, async (c) => {
      const P = '0.0.25.9.0.255';
      const dest = struct({ type: 'enum', value: 0 }, octets(text('127.0.0.1:4444')), {
        type: 'enum',
        value: 0,
      });
      await c.set(P, 40, 3, dest);
      await c.set(P, 40, 5, u16(120));
      await c.set(P, 40, 6, { type: 'unsigned', value: 2 });
      await c.set(P, 40, 7, u16(15));
      expect(await c.get(P, 40, 3)).toEqual(dest);
      expect([num(await c.get(P, 40, 5)), num(await c.get(P, 40, 6)), num(await c.get(P, 40, 7))]).toEqual([
        120, 2, 15,
      ]);
    });
  });

  it('security setup: a key change keeps the open association, the next one needs the new keys', async () => {
    const i = consumer();
    const kek = issuedSecrets(fleet.truth.meter(i)).kek;
    const ek = new Uint8Array(16).fill(0x31);
    const ak = new Uint8Array(16).fill(0x32);
    await session(i, async (c) => {
      await c.action('0.0.43.0.3.255', 64, 2, {
        type: 'array',
        value: [struct({ type: 'enum', value: 2 }, octets(aesKeyWrap(kek, ak)))],
      });
      await c.action('0.0.43.0.3.255', 64, 2, {
        type: 'array',
        value: [struct({ type: 'enum', value: 0 }, octets(aesKeyWrap(kek, ek)))],
      });
      // The open association still works with the keys it was made with.
      expect(num(await c.get('1.0.1.8.0.255', 3, 2))).toBeGreaterThan(0);
      await c.action('0.0.43.0.3.255', 64, 1, { type: 'enum', value: 3 });
    });
    await expect(connect(fleet, i, 'management')).rejects.toBeDefined();
    const o = clientOptions(fleet, i, 'management', 50_000);
    o.security = { ...o.security!, ek, ak };
    const fresh = await DlmsClient.connect(o);
    try {
      expect(num(await fresh.get('1.0.1.8.0.255', 3, 2))).toBe(
        num(fleet.truth.registerAt(i, '1.0.1.8.0.255', now)),
      );
    } finally {
      await fresh.end();
    }
    expect(methodCount(fleet.truth, i, 64, '0.0.43.0.3.255', 2)).toBe(2);
  });

  it('a fleet with methodJournal writes each invocation before answering; readMethodJournal sums it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-methods-'));
    const path = join(dir, 'methods.jsonl');
    const small = await startFleet({
      meters: 2,
      transformers: 1,
      mix: { residential: 1 },
      seed: 12,
      startAt: START,
      port: 0,
      tickMs: 0,
      profiles,
      clock: () => now,
      methodJournal: path,
    });
    try {
      const c = await connect(small, 0, 'management');
      try {
        await c.action(DC, 70, 1, ZERO);
        // Written before the answer left: readable while the association is still open.
        expect(readMethodJournal(path).get(0)?.methods).toEqual({ [`70/${DC}/1`]: 1 });
        await c.action(DC, 70, 2, ZERO);
      } finally {
        await c.end();
      }
      expect(readMethodJournal(path).get(0)?.methods).toEqual({ [`70/${DC}/1`]: 1, [`70/${DC}/2`]: 1 });
    } finally {
      await small.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
