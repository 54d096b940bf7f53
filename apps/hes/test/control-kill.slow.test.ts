import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { knownDeviceProfiles } from '@openhes/acquisition';
import { type Command, importMeters, isTerminalCommandState, parseMeterList } from '@openhes/core';
import {
  activeFirmware,
  buildImage,
  exportMeters,
  type Fleet,
  meterRecord,
  methodCount,
  relayState,
  startFleet,
} from '@openhes/simulator';
import { afterAll, describe, expect, it } from 'vitest';
import { wire } from '../src/wire.ts';
import { type HesProcess, runHes, spawnHes } from './helpers.ts';

const IMAGE = '0.0.44.0.0.255';
const DISCONNECT = '0.0.96.3.10.255';
const FIRMWARE_METERS = 40;
const DISCONNECT_METERS = 20;

const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function startHes(data: string): HesProcess {
  return spawnHes(
    [
      'start',
      '--data',
      data,
      '--services',
      'collector,control',
      '--progress-every',
      '0',
      '--log-level',
      'silent',
    ],
    { HES_MASTER_KEY: '', HES_MASTER_KEY_FILE: '' },
  );
}

describe('kill -9 of the head end mid-campaign, then a restart', () => {
  it('every meter ends confirmed or failed with a reason, and none received a non-idempotent method twice', async () => {
    // 40 ms ± 20 ms per response: a 30 KB image (150 blocks) takes a meter several seconds.
    // The disconnect meters answer in 250 ms ± 50 ms (a slow link): a disconnect takes a few
    // seconds, so the head end is killed with disconnects in flight, some of them sent and not
    // yet read back.
    const fleet: Fleet = await startFleet({
      meters: FIRMWARE_METERS + DISCONNECT_METERS,
      mix: { residential: 1 },
      transformers: 1,
      seed: 23,
      port: 0,
      tickMs: 0,
      background: false,
      latency: 40,
      jitter: 20,
      meterLink: (i) =>
        i >= FIRMWARE_METERS && i < FIRMWARE_METERS + DISCONNECT_METERS
          ? { latencyMs: 250, jitterMs: 50 }
          : undefined,
    });
    cleanup.push(() => fleet.close());
    const data = mkdtempSync(join(tmpdir(), 'hes-control-kill-'));
    cleanup.push(() => rmSync(data, { recursive: true, force: true }));
    const idOf = new Map<number, number>();
    {
      const w = await wire({ data, env: {} });
      try {
        await importMeters(
          { meters: w.store.meters, vault: w.vault },
          parseMeterList([...exportMeters(fleet, 'csv')].join('')),
          { profiles: knownDeviceProfiles(w.profiles), defaultStatus: 'active', allOrNothing: true },
        );
        for (const name of ['alice', 'bob'])
          await w.store.users.create({
            name,
            displayName: name,
            role: 'operator',
            passwordHash: null,
            approver: name === 'bob',
          });
        const bySerial = new Map<string, number>();
        for (let i = 0; i < fleet.size; i++) bySerial.set(meterRecord(fleet, i).serial, i);
        for (const m of (await w.store.meters.list({ limit: 1000 })).items)
          idOf.set(bySerial.get(m.serial)!, m.id);
      } finally {
        await w.close();
      }
    }
    const fwIndexes = Array.from({ length: FIRMWARE_METERS }, (_, i) => i);
    const offIndexes = Array.from({ length: DISCONNECT_METERS }, (_, i) => FIRMWARE_METERS + i);

    let hes = startHes(data);
    cleanup.push(() => {
      hes.child.kill('SIGKILL');
    });
    await until(
      'the head end',
      async () => (hes.lines.some((l) => l.startsWith('services:')) ? true : undefined),
      60_000,
    );

    // Scripted as an operator would: the image, a firmware campaign approved by a second user, a disconnect campaign.
    const version = 'OS1P-05.00';
    const file = join(data, 'fw.img');
    writeFileSync(file, buildImage(version, 30_000));
    const up = await runHes([
      'firmware',
      'upload',
      file,
      '--identifier',
      version,
      '--version',
      version,
      '--as',
      'alice',
      '--json',
      '--data',
      data,
    ]);
    expect(up.stderr).toBe('');
    const imageId = (JSON.parse(up.stdout) as { id: number }).id;
    const fw = await runHes([
      'campaign',
      'create',
      '--name',
      'fw 5',
      '--kind',
      'firmware-update',
      '--param',
      `imageId=${imageId}`,
      '--ids',
      fwIndexes.map((i) => idOf.get(i)).join(','),
      '--reason',
      'maintenance',
      '--throttle',
      '{"maxInFlight":100,"perSegment":100}',
      '--as',
      'alice',
      '--json',
      '--data',
      data,
    ]);
    expect(fw.stderr).toBe('');
    const fwId = (JSON.parse(fw.stdout) as { id: number }).id;
    expect(
      (await runHes(['campaign', 'approve', String(fwId), '--as', 'alice', '--data', data])).status,
    ).toBe(1);
    expect((await runHes(['campaign', 'approve', String(fwId), '--as', 'bob', '--data', data])).status).toBe(
      0,
    );

    const commandsOf = async (campaignId: number): Promise<Command[]> => {
      const w = await wire({ data, env: {} });
      try {
        return (await w.store.commands.list({ campaignId, limit: 1000 })).items;
      } finally {
        await w.close();
      }
    };
    // Transfers under way: some meters initiated, none finished.
    await until(
      'transfers under way',
      async () => {
        const started = fwIndexes.filter((i) => methodCount(fleet.truth, i, 18, IMAGE, 1) > 0).length;
        return started >= 10 ? started : undefined;
      },
      60_000,
    );
    // Then the disconnect campaign (20 meters, under the two-person threshold: it runs at once).
    const off = await runHes([
      'campaign',
      'create',
      '--name',
      'arrears',
      '--kind',
      'disconnect',
      '--ids',
      offIndexes.map((i) => idOf.get(i)).join(','),
      '--reason',
      'non-payment',
      '--throttle',
      '{"maxInFlight":100,"perSegment":100}',
      '--as',
      'alice',
      '--json',
      '--data',
      data,
    ]);
    expect(off.stderr).toBe('');
    const offId = (JSON.parse(off.stdout) as { id: number }).id;
    // Kill it as soon as the first remote_disconnect reached a meter: the others are still in their
    // sessions, and that one is not read back yet (the head end cannot know it was executed).
    const sentAtKill = await until(
      'a disconnect executed',
      async () => {
        const sent = offIndexes.filter((i) => methodCount(fleet.truth, i, 70, DISCONNECT, 1) > 0);
        return sent.length > 0 ? sent : undefined;
      },
      60_000,
    );
    hes.child.kill('SIGKILL');
    expect(await hes.exited).toBe(null);
    const atKill = await commandsOf(fwId);
    expect(atKill.some((c) => c.state === 'sending')).toBe(true);
    expect(atKill.every((c) => c.state !== 'confirmed' || c.result !== null)).toBe(true);
    // Disconnects in flight at the kill, among them one the meter executed and the head end had not confirmed.
    const offAtKill = await commandsOf(offId);
    expect(offAtKill.filter((c) => c.state === 'sending').length).toBeGreaterThan(0);
    expect(offAtKill.filter((c) => c.state === 'confirmed').length).toBeLessThan(DISCONNECT_METERS);
    const unknownOutcome = offAtKill.filter(
      (c) => c.state === 'sending' && sentAtKill.some((i) => idOf.get(i) === c.meterId),
    );
    expect(unknownOutcome.length).toBeGreaterThan(0);

    hes = startHes(data);
    await until(
      'the restarted head end',
      async () => (hes.lines.some((l) => l.startsWith('services:')) ? true : undefined),
      60_000,
    );
    expect(hes.lines.some((l) => /control: resuming \d+ command/.test(l))).toBe(true);
    const all = await until(
      'every command final',
      async () => {
        const cs = [...(await commandsOf(fwId)), ...(await commandsOf(offId))];
        return cs.every((c) => isTerminalCommandState(c.state)) ? cs : undefined;
      },
      180_000,
    );
    hes.child.kill('SIGTERM');
    await hes.exited;

    expect(all.length).toBe(FIRMWARE_METERS + DISCONNECT_METERS);
    for (const c of all) {
      expect(['confirmed', 'failed']).toContain(c.state);
      if (c.state === 'failed') expect(c.error?.message).toBeTruthy();
    }
    const now = fleet.now();
    for (const i of fwIndexes) {
      const c = all.find((x) => x.meterId === idOf.get(i))!;
      expect({ meter: i, initiate: methodCount(fleet.truth, i, 18, IMAGE, 1) }).toEqual({
        meter: i,
        initiate: 1,
      });
      expect(methodCount(fleet.truth, i, 18, IMAGE, 4)).toBeLessThanOrEqual(1);
      if (c.state === 'confirmed') expect(activeFirmware(fleet.truth, i, now)).toBe(version);
    }
    for (const i of offIndexes) {
      const c = all.find((x) => x.meterId === idOf.get(i))!;
      // remote_disconnect exactly once: never sent twice, not even where the kill hid its outcome.
      expect({ meter: i, remoteDisconnect: methodCount(fleet.truth, i, 70, DISCONNECT, 1) }).toEqual({
        meter: i,
        remoteDisconnect: 1,
      });
      if (c.state === 'confirmed') expect(relayState(fleet.truth, i, now).output).toBe(false);
    }
    expect(all.filter((c) => c.state === 'confirmed').length).toBe(all.length);
  }, 300_000);
});
