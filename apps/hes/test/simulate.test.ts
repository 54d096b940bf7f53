import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DlmsClient } from '@openhes/transport';
import { describe, expect, it } from 'vitest';
import { parseMix, parsePushTo } from '../src/commands/simulate.ts';
import { main } from '../src/main.ts';
import { capture } from './helpers.ts';

async function until(lines: string[], pattern: RegExp): Promise<string> {
  for (let i = 0; i < 2000; i++) {
    const hit = lines.find((l) => pattern.test(l));
    if (hit !== undefined) return hit;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`no line matching ${pattern}: ${lines.join('\n')}`);
}

describe('hes simulate', () => {
  it('serves the fleet it describes, exports the meters and reports its load', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hes-sim-'));
    const csv = join(dir, 'meters.csv');
    const { io, lines } = capture();
    const run = main(
      [
        'node',
        'hes',
        'simulate',
        '--meters',
        '25',
        '--transformers',
        '2',
        '--seed',
        '3',
        '--port',
        '0',
        '--speed',
        '60',
        '--profile-mix',
        'residential=0.8,commercial=0.2',
        '--scenario',
        'outage@transformer-1',
        '--export',
        csv,
        '--duration',
        '1500ms',
        '--status-every',
        '500ms',
      ],
      io,
    );
    const head = await until(lines, /^simulating 27 meters on 0\.0\.0\.0:\d+/);
    await until(lines, /^exported 27 meters/);
    const port = Number(/:(\d+) \(tcp\)/.exec(head)![1]);
    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    expect(rows).toHaveLength(28);
    const header = rows[0]!.split(',');
    const records = rows.slice(1).map((r) => Object.fromEntries(r.split(',').map((v, i) => [header[i], v])));
    expect(records[0]).toMatchObject({ id: '0', host: '127.1.0.1', port: String(port) });
    expect(records.filter((r) => r.role === 'transformer')).toHaveLength(2);
    const first = records.find((r) => r.profile === 'is15959-1ph')!;
    expect(first).toMatchObject({ framing: 'wrapper', role: 'consumer' });
    const client = await DlmsClient.connect({
      transport: { kind: 'tcp', host: first.host!, port },
      link: { kind: 'wrapper', clientWPort: 32, serverWPort: 1 },
      association: { authentication: 'low', password: first.password! },
      responseTimeoutMs: 5000,
    });
    try {
      expect(await client.get('0.0.96.1.0.255', 1, 2)).toEqual({
        type: 'visible-string',
        value: first.serial,
      });
    } finally {
      await client.end();
    }
    expect(await run).toBe(0);
    expect(lines.some((l) => /sessions [\d.]+\/s/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/^stopped: [1-9]\d* sessions/);
  });

  it('parses the mix and the push target and rejects bad values', async () => {
    expect(parseMix('residential=0.9,commercial=8%,industrial=0.02')).toEqual({
      residential: 0.9,
      commercial: 0.08,
      industrial: 0.02,
    });
    expect(() => parseMix('farm=1')).toThrow();
    expect(parsePushTo('127.0.0.1:4059/udp')).toEqual({ host: '127.0.0.1', port: 4059, transport: 'udp' });
    const { io, lines } = capture();
    expect(await main(['node', 'hes', 'simulate', '--meters', 'many'], io)).toBe(1);
    expect(lines.join('\n')).toMatch(/--meters must be an integer/);
  });
});
