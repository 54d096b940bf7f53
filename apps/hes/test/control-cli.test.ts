import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '@openhes/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wire } from '../src/wire.ts';
import { runHes } from './helpers.ts';

const dirs: string[] = [];
let data = '';
const meterIds: number[] = [];

beforeAll(async () => {
  data = mkdtempSync(join(tmpdir(), 'hes-control-cli-'));
  dirs.push(data);
  const w = await wire({ data, env: {} });
  try {
    for (const name of ['alice', 'bob', 'carol', 'vic', 'dan'])
      await w.store.users.create({
        name,
        displayName: name,
        role: name === 'vic' ? 'viewer' : 'operator',
        passwordHash: null,
        approver: name === 'bob',
      });
    const dan = await w.store.users.getByName('dan');
    await w.store.users.setDisabled(dan!.id, true);
    for (let i = 0; i < 60; i++) {
      const m = await w.store.meters.create({
        serial: `CLI-${i}`,
        manufacturer: 'x',
        model: i < 55 ? 'is15959-1ph' : 'is15959-ct',
        deviceProfile: i < 55 ? 'is15959-1ph' : 'is15959-ct',
        protocol: 'dlms-tcp',
        address: `192.0.2.${i + 1}:4059?logical=1`,
        status: 'active',
        firmwareVersion: 'OS1P-01.00',
        tags: i % 2 === 0 ? ['even'] : [],
      });
      meterIds.push(m.id);
    }
  } finally {
    await w.close();
  }
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const hes = (...args: string[]) => runHes([...args, '--data', data]);

async function stored<T>(f: (w: Awaited<ReturnType<typeof wire>>) => Promise<T>): Promise<T> {
  const w = await wire({ data, env: {} });
  try {
    return await f(w);
  } finally {
    await w.close();
  }
}

describe('hes command / campaign / firmware (scripting against the store)', () => {
  it('creates a command as the named user, stored queued with reason, actor and address cli; list/show/cancel; JSON output', async () => {
    const r = await hes(
      'command',
      'create',
      '--meter',
      String(meterIds[0]),
      '--kind',
      'disconnect',
      '--reason',
      'non-payment',
      '--param',
      'finalRead=false',
      '--as',
      'alice',
      '--json',
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const c = JSON.parse(r.stdout) as Command;
    const inStore = await stored((w) => w.store.commands.get(c.id));
    expect(inStore).toMatchObject({
      kind: 'disconnect',
      meterId: meterIds[0],
      state: 'queued',
      reason: 'non-payment',
      requestedBy: 'alice',
      requestedFrom: 'cli',
      parameters: { finalRead: false },
    });
    const audit = await stored((w) => w.store.audit.list({ limit: 100 }));
    expect(audit.items.some((a) => a.actor === 'alice' && JSON.stringify(a).includes('cli'))).toBe(true);

    const list = await hes('command', 'list', '--meter', String(meterIds[0]));
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`#${c.id}\\s+disconnect\\s+meter ${meterIds[0]}\\s+queued`));
    const show = await hes('command', 'show', String(c.id));
    expect(show.stdout).toContain('requested by alice from cli');
    const cancel = await hes('command', 'cancel', String(c.id), '--as', 'carol');
    expect(cancel.status).toBe(0);
    expect((await stored((w) => w.store.commands.get(c.id)))?.state).toBe('cancelled');
  });

  it('refuses with status 1 and the problem named: unknown or disabled or viewer user, unknown meter, a CT meter disconnect, bad parameters', async () => {
    const base = ['command', 'create', '--kind', 'disconnect', '--reason', 'test'];
    const unknownUser = await hes(...base, '--meter', String(meterIds[0]), '--as', 'mallory');
    expect(unknownUser.status).toBe(1);
    expect(unknownUser.stderr).toContain('no user "mallory"');
    const disabled = await hes(...base, '--meter', String(meterIds[0]), '--as', 'dan');
    expect(disabled.status).toBe(1);
    expect(disabled.stderr).toContain('disabled');
    const viewer = await hes(...base, '--meter', String(meterIds[0]), '--as', 'vic');
    expect(viewer.status).toBe(1);
    expect(viewer.stderr).toContain('viewer');
    const unknownMeter = await hes(...base, '--meter', '99999', '--as', 'alice');
    expect(unknownMeter.status).toBe(1);
    expect(unknownMeter.stderr).toMatch(/99999/);
    const ct = await hes(...base, '--meter', String(meterIds[57]), '--as', 'alice');
    expect(ct.status).toBe(1);
    expect(ct.stderr).toMatch(/CONTROL_UNSUPPORTED/);
    const badParam = await hes(
      'command',
      'create',
      '--kind',
      'load-limit',
      '--reason',
      'test',
      '--meter',
      String(meterIds[1]),
      '--param',
      'thresholdNormal=-5',
      '--as',
      'alice',
    );
    expect(badParam.status).toBe(1);
    expect(badParam.stderr).toMatch(/thresholdNormal/);
    const none = await stored((w) => w.store.commands.list({ meterId: meterIds[1] }));
    expect(none.items).toEqual([]);
  });

  it('usage errors exit 2: unknown kind or reason, missing --as, bad --param, bad --deadline, no target', async () => {
    const m = String(meterIds[0]);
    const cases: string[][] = [
      ['command', 'create', '--meter', m, '--kind', 'explode', '--reason', 'test', '--as', 'alice'],
      ['command', 'create', '--meter', m, '--kind', 'connect', '--reason', 'boredom', '--as', 'alice'],
      ['command', 'create', '--meter', m, '--kind', 'connect', '--reason', 'test'],
      [
        'command',
        'create',
        '--meter',
        m,
        '--kind',
        'connect',
        '--reason',
        'test',
        '--param',
        'x',
        '--as',
        'alice',
      ],
      [
        'command',
        'create',
        '--meter',
        m,
        '--kind',
        'connect',
        '--reason',
        'test',
        '--deadline',
        'soon',
        '--as',
        'alice',
      ],
      ['command', 'create', '--meter', 'one', '--kind', 'connect', '--reason', 'test', '--as', 'alice'],
      ['campaign', 'create', '--name', 'x', '--kind', 'connect', '--reason', 'test', '--as', 'alice'],
      [
        'campaign',
        'create',
        '--name',
        'x',
        '--kind',
        'connect',
        '--reason',
        'test',
        '--target',
        '{"colour":["red"]}',
        '--as',
        'alice',
      ],
      [
        'campaign',
        'create',
        '--name',
        'x',
        '--kind',
        'connect',
        '--reason',
        'test',
        '--ids',
        '1',
        '--throttle',
        '{bad',
        '--as',
        'alice',
      ],
    ];
    for (const args of cases) {
      const r = await hes(...args);
      expect({ args, status: r.status }).toEqual({ args, status: 2 });
      expect(r.stderr).not.toBe('');
    }
  });

  it('the two-person rule: a disconnect campaign over more than 50 meters waits for a second user with the approver right; the requester and a user without the right are refused', async () => {
    const created = await hes(
      'campaign',
      'create',
      '--name',
      'arrears',
      '--kind',
      'disconnect',
      '--model',
      'is15959-1ph',
      '--reason',
      'non-payment',
      '--throttle',
      '{"maxInFlight":10}',
      '--as',
      'alice',
      '--json',
    );
    expect(created.stderr).toBe('');
    const campaign = JSON.parse(created.stdout) as { id: number; state: string; meterCount: number };
    expect(campaign).toMatchObject({ state: 'awaiting-approval', meterCount: 55 });
    const id = String(campaign.id);
    const self = await hes('campaign', 'approve', id, '--as', 'alice');
    expect(self.status).toBe(1);
    expect(self.stderr).toMatch(/CONTROL_APPROVAL_REFUSED/);
    const noRight = await hes('campaign', 'approve', id, '--as', 'carol');
    expect(noRight.status).toBe(1);
    expect(noRight.stderr).toMatch(/CONTROL_APPROVAL_REFUSED/);
    expect((await stored((w) => w.store.campaigns.get(campaign.id)))?.state).toBe('awaiting-approval');
    const ok = await hes('campaign', 'approve', id, '--as', 'bob');
    expect(ok.status).toBe(0);
    const after = await stored((w) => w.store.campaigns.get(campaign.id));
    expect(after).toMatchObject({ state: 'running', approvedBy: 'bob' });
    const show = await hes('campaign', 'show', id);
    expect(show.stdout).toMatch(/queued 55/);
    const results = await hes('campaign', 'results', id, '--json');
    expect((JSON.parse(results.stdout) as Command[]).map((c) => c.meterId)).toEqual(meterIds.slice(0, 55));
    expect((await hes('campaign', 'pause', id, '--as', 'alice')).status).toBe(0);
    expect((await stored((w) => w.store.campaigns.get(campaign.id)))?.state).toBe('paused');
    expect((await hes('campaign', 'resume', id, '--as', 'alice')).status).toBe(0);
    expect((await hes('campaign', 'cancel', id, '--as', 'alice')).status).toBe(0);
    const progress = await stored((w) => w.store.commands.progress(campaign.id));
    expect(progress.cancelled).toBe(55);

    // A small one runs at once; tags and ids select.
    const small = await hes(
      'campaign',
      'create',
      '--name',
      'few',
      '--kind',
      'connect',
      '--ids',
      `${meterIds[0]},${meterIds[2]}`,
      '--tag',
      'even',
      '--reason',
      'reinstatement',
      '--dry-run',
      '--as',
      'alice',
      '--json',
    );
    expect(JSON.parse(small.stdout)).toMatchObject({ state: 'running', meterCount: 2, dryRun: true });
    const list = await hes('campaign', 'list', '--dry-run');
    expect(list.stdout).toContain('few');
    expect(list.stdout).not.toContain('arrears');
  });

  it('firmware upload stores the image with its hash; a wrong --sha256 is refused; list shows it', async () => {
    const file = join(data, 'fw.bin');
    writeFileSync(file, Buffer.alloc(4096, 7));
    const wrong = await hes(
      'firmware',
      'upload',
      file,
      '--identifier',
      'FW2',
      '--version',
      'OS1P-02.00',
      '--sha256',
      '00'.repeat(32),
      '--as',
      'alice',
    );
    expect(wrong.status).toBe(1);
    expect((await stored((w) => w.store.firmware.list({}))).items).toEqual([]);
    const ok = await hes(
      'firmware',
      'upload',
      file,
      '--identifier',
      'FW2',
      '--version',
      'OS1P-02.00',
      '--profiles',
      'is15959-1ph',
      '--as',
      'alice',
      '--json',
    );
    expect(ok.stderr).toBe('');
    const image = JSON.parse(ok.stdout) as { id: number; size: number; sha256: string };
    expect(image.size).toBe(4096);
    expect(image.sha256).toMatch(/^[0-9a-f]{64}$/);
    const list = await hes('firmware', 'list');
    expect(list.stdout).toContain('FW2');
    expect(list.stdout).toContain(image.sha256);
    const missing = await hes(
      'firmware',
      'upload',
      join(data, 'nope.bin'),
      '--identifier',
      'X',
      '--version',
      'Y',
      '--as',
      'alice',
    );
    expect(missing.status).toBe(2);
  });
});
