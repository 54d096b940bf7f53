import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DlmsClient } from '@openhes/transport';
import { describe, expect, it } from 'vitest';
import { main } from '../src/main.ts';
import { capture } from './helpers.ts';

async function until(lines: string[], pattern: RegExp): Promise<string> {
  for (let i = 0; i < 4000; i++) {
    const hit = lines.find((l) => pattern.test(l));
    if (hit !== undefined) return hit;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`no line matching ${pattern}: ${lines.join('\n')}`);
}

describe('hes simulate --host 127.0.0.1', () => {
  it('exports the addresses it listens on (a port per meter), names the day’s interruptions and the deviation convention', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hes-sim-host-'));
    const csv = join(dir, 'meters.csv');
    const { io, lines } = capture();
    const run = main(
      [
        'node',
        'hes',
        'simulate',
        '--meters',
        '4',
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--start',
        '2026-12-03T00:00:00Z',
        '--export',
        csv,
        '--duration',
        '1500ms',
        '--status-every',
        '1s',
      ],
      io,
    );
    const head = await until(
      lines,
      /^simulating 5 meters on 127\.0\.0\.1:\d+ \(tcp\), one port per meter on 127\.0\.0\.1/,
    );
    await until(lines, /^exported 5 meters/);
    // seed 7's transformer 0 is off 06:25–08:19 UTC that day: the user is told, not surprised.
    expect(lines.join('\n')).toMatch(
      /supply interruptions \(background\) in the next 24 h: transformer 0 2026-12-03 06:25–08:19 UTC \(5 meters\)/,
    );
    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    const header = rows[0]!.split(',');
    const records = rows.slice(1).map((r) => Object.fromEntries(r.split(',').map((v, i) => [header[i]!, v])));
    expect(records).toHaveLength(5);
    expect(new Set(records.map((r) => r.host))).toEqual(new Set(['127.0.0.1']));
    expect(new Set(records.map((r) => r.port)).size).toBe(5);
    expect(Number(records[0]!.port)).toBe(Number(/127\.0\.0\.1:(\d+) \(tcp\)/.exec(head)![1]));
    for (const r of records) expect(['local-minus-utc', 'utc-minus-local']).toContain(r.deviationConvention);
    for (const r of [records[1]!, records[4]!]) {
      const hdlc = r.framing === 'hdlc';
      const client = await DlmsClient.connect({
        transport: { kind: 'tcp', host: r.host!, port: Number(r.port) },
        link: hdlc
          ? { kind: 'hdlc', clientAddress: 32, serverAddress: { logical: Number(r.serverAddress) } }
          : { kind: 'wrapper', clientWPort: 32, serverWPort: Number(r.serverAddress) },
        association: { authentication: 'low', password: r.password! },
        responseTimeoutMs: 5000,
      });
      try {
        expect(await client.get('0.0.96.1.0.255', 1, 2)).toEqual({ type: 'visible-string', value: r.serial });
      } finally {
        await client.end();
      }
    }
    expect(await run).toBe(0);
  });
});
