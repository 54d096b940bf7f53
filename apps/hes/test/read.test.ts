// The loopback meter shared with the transport tests (clock, registers, profile, disconnect).
import type { AttributeAddress, DlmsData } from '@openhes/dlms';
import { PROFILE_ROWS, servedBy, TestMeter } from '@openhes/testkit/meters';
import { type DlmsServer, listenTcp, serveDlms } from '@openhes/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultClassFor, parseAttributeSpec } from '../src/commands/read.ts';
import { runHes } from './helpers.ts';

const EK = '000102030405060708090A0B0C0D0E0F';
const AK = 'D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF';
const TITLE = '4D4D4D0000000001';

let wrapper: DlmsServer;
let hdlc: DlmsServer;
let udp: DlmsServer;
/** The test meter, remembering the selective access of every profile buffer read. */
class RecordingMeter extends TestMeter {
  readonly profileReads: { access: AttributeAddress['access'] }[] = [];

  override get(ctx: unknown, a: AttributeAddress): DlmsData | number {
    if (a.classId === 7 && a.attributeId === 2) this.profileReads.push({ access: a.access });
    return super.get(ctx, a);
  }
}

const meter = new RecordingMeter();

beforeAll(async () => {
  const sessionFor = () => servedBy(meter);
  wrapper = await serveDlms({ transport: 'tcp', port: 0, link: { kind: 'wrapper' }, sessionFor });
  hdlc = await serveDlms({ transport: 'tcp', port: 0, link: { kind: 'hdlc', maxInfo: 512 }, sessionFor });
  udp = await serveDlms({ transport: 'udp', port: 0, link: { kind: 'wrapper' }, sessionFor });
});
afterAll(async () => {
  await Promise.all([wrapper.close(), hdlc.close(), udp.close()]);
});

const at = (s: DlmsServer) => ['--host', '127.0.0.1', '--port', String(s.port)];

describe('attribute specs', () => {
  it('defaults the class from the OBIS code and the attribute to 2', () => {
    expect(parseAttributeSpec('0.0.1.0.0.255')).toEqual({ obis: '0.0.1.0.0.255', classId: 8, attr: 2 });
    expect(parseAttributeSpec('1.0.1.8.0.255:3')).toEqual({ obis: '1.0.1.8.0.255', classId: 3, attr: 3 });
    expect(parseAttributeSpec('4/1.0.1.6.0.255:5')).toEqual({ obis: '1.0.1.6.0.255', classId: 4, attr: 5 });
    expect(defaultClassFor('1.0.99.1.0.255')).toBe(7);
    expect(defaultClassFor('0.0.96.3.10.255')).toBe(70);
    expect(defaultClassFor('0.0.96.1.0.255')).toBe(1);
    expect(defaultClassFor('1.0.1.4.0.255')).toBe(5);
  });
});

describe('hes read', () => {
  it('reads the clock and registers, scaled, over the wrapper', async () => {
    const r = await runHes(['read', ...at(wrapper), '0.0.1.0.0.255', '1.0.1.8.0.255', '1.0.32.7.0.255']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('2024-01-31');
    expect(r.stdout).toMatch(/1\.0\.1\.8\.0\.255.*12345\.678 Wh/);
    expect(r.stdout).toMatch(/1\.0\.32\.7\.0\.255.*230\.1 V/);
  });

  it('prints JSON with raw and scaled values', async () => {
    const r = await runHes(['read', ...at(udp), '--udp', '--json', '1.0.1.8.0.255']);
    expect(r.status).toBe(0);
    const [v] = JSON.parse(r.stdout);
    expect(v).toMatchObject({
      obis: '1.0.1.8.0.255',
      classId: 3,
      attribute: 2,
      scaled: 12345.678,
      unit: 'Wh',
    });
  });

  it('reads a profile range over HDLC as a table', async () => {
    const r = await runHes([
      'read',
      ...at(hdlc),
      '--hdlc',
      '--physical',
      '17',
      '--profile',
      '1.0.99.1.0.255',
      '--from',
      '2024-01-02T00:00:00Z',
      '--to',
      '2024-01-02T23:59:59Z',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('[Wh]');
    expect(r.stdout).toContain('2024-01-02T00:00:00.000Z');
    expect(r.stdout).toContain('96 rows');
  });

  it('reads profile entries as JSON', async () => {
    const r = await runHes([
      'read',
      ...at(wrapper),
      '--json',
      '--profile',
      '1.0.99.1.0.255',
      '--entries',
      '1-10',
    ]);
    expect(r.status).toBe(0);
    const t = JSON.parse(r.stdout);
    expect(t.rows.length).toBe(10);
    expect(t.columns.map((c: { obis: string }) => c.obis)).toEqual([
      '0.0.1.0.0.255',
      '1.0.1.8.0.255',
      '1.0.32.7.0.255',
    ]);
  });

  it('reads a whole profile without a range: one buffer GET without selective access', async () => {
    const before = meter.profileReads.length;
    const r = await runHes(['read', ...at(wrapper), '--json', '--profile', '1.0.99.1.0.255']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const t = JSON.parse(r.stdout);
    expect(t.rows.length).toBe(PROFILE_ROWS);
    expect(meter.profileReads.slice(before)).toEqual([{ access: undefined }]);
  });

  it('refuses half a range and row options without --profile', async () => {
    const half = await runHes([
      'read',
      ...at(wrapper),
      '--profile',
      '1.0.99.1.0.255',
      '--from',
      '2024-01-02',
    ]);
    expect(half.status).toBe(2);
    expect(half.stderr).toContain('--from and --to go together');
    const both = await runHes([
      'read',
      ...at(wrapper),
      '--profile',
      '1.0.99.1.0.255',
      '--entries',
      '1-2',
      '--from',
      '2024-01-02',
      '--to',
      '2024-01-03',
    ]);
    expect(both.status).toBe(2);
    const stray = await runHes(['read', ...at(wrapper), '--entries', '1-2', '0.0.1.0.0.255']);
    expect(stray.status).toBe(2);
    expect(stray.stderr).toContain('give --profile');
    const badObis = await runHes(['read', ...at(wrapper), '--profile', 'nope']);
    expect(badObis.status).toBe(2);
  });

  it('lists the object list', async () => {
    const r = await runHes(['read', ...at(wrapper), '--objects']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/0\.0\.96\.3\.10\.255\s+70/);
    expect(r.stdout).toContain('8 objects');
  });

  it('traces every frame decoded', async () => {
    const r = await runHes(['read', ...at(hdlc), '--hdlc', '--trace', '0.0.1.0.0.255']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/>> .* hdlc/);
    expect(r.stdout).toMatch(/<< .* hdlc/);
    expect(r.stdout).toContain('AARQ');
    expect(r.stdout).toContain('get-request');
    // Enumerations named as in hes dlms decode.
    expect(r.stdout).toContain('result: accepted (0)');
    expect(r.stdout).toContain('classId: Clock (8)');
    expect(r.stdout).toContain('reason: normal (0)');
  });

  it('reads over HLS-GMAC with the counter taken from the meter first', async () => {
    const r = await runHes([
      'read',
      ...at(wrapper),
      '--client',
      '1',
      '--auth',
      'hls-gmac',
      '--ek',
      EK,
      '--ak',
      AK,
      '--system-title',
      TITLE,
      '--counter-from',
      '0.0.43.1.1.255',
      '--trace',
      '1.0.2.8.0.255',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/1\.0\.2\.8\.0\.255.*4321 Wh/);
    expect(r.stdout).toContain('glo-get-request');
    const again = await runHes([
      'read',
      ...at(wrapper),
      '--client',
      '1',
      '--auth',
      'hls-gmac',
      '--ek',
      EK,
      '--ak',
      AK,
      '--system-title',
      TITLE,
      '--counter-from',
      '0.0.43.1.1.255',
      '0.0.1.0.0.255',
    ]);
    expect(again.status).toBe(0);
  });

  it('reports a denied attribute and exits non-zero, still printing the others', async () => {
    const r = await runHes(['read', ...at(wrapper), '1.0.2.8.0.255', '1.0.1.8.0.255']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('read-write-denied');
    expect(r.stdout).toContain('12345.678 Wh');
  });

  it('reports a rejected association with its diagnostic', async () => {
    const r = await runHes([
      'read',
      ...at(wrapper),
      '--client',
      '32',
      '--auth',
      'low',
      '--password',
      'nope',
      '0.0.1.0.0.255',
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('DLMS_ASSOCIATION_REJECTED');
    expect(r.stderr).toContain('diagnostic');
  });

  it('reports a refused connection and a timeout', async () => {
    const probe = await listenTcp({ port: 0 }, () => {});
    const silentPort = probe.port;
    const refused = await runHes([
      'read',
      '--host',
      '127.0.0.1',
      '--port',
      String(silentPort),
      '--timeout',
      '50',
      '0.0.1.0.0.255',
    ]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('DLMS_TIMEOUT');
    await probe.close();
    const closed = await runHes([
      'read',
      '--host',
      '127.0.0.1',
      '--port',
      String(silentPort),
      '0.0.1.0.0.255',
    ]);
    expect(closed.status).toBe(1);
    expect(closed.stderr).toContain('DLMS_TRANSPORT');
  });

  it('rejects bad usage with status 2', async () => {
    expect((await runHes(['read', ...at(wrapper)])).status).toBe(2);
    expect((await runHes(['read', ...at(wrapper), 'not-obis'])).status).toBe(2);
    expect((await runHes(['read', ...at(wrapper), '--auth', 'hls-gmac', '0.0.1.0.0.255'])).status).toBe(2);
  });
});
