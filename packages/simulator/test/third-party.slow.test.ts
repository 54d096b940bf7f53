import { networkInterfaces } from 'node:os';
import { decodeObjectList } from '@openhes/cosem';
import { type DlmsData, dateTimeFromData } from '@openhes/dlms';
import { DlmsClient, type DlmsClientOptions, listenTcp } from '@openhes/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportMeters } from '../src/fleet/export.ts';
import { type Fleet, startFleet } from '../src/fleet/fleet.ts';
import { connect } from './client-helpers.ts';
import { num, PROFILES, START } from './helpers.ts';

/**
 * What a third-party DLMS tool needs from the export alone (issue 13): addresses that are
 * listened on (also with a specific --host), the sign convention of each meter's clock
 * deviation, and the invocation counter readable over the public association.
 */
type Row = Record<string, string>;

function rowsOf(f: Fleet): Row[] {
  const lines = [...exportMeters(f, 'csv')].join('').trim().split('\n');
  const header = lines[0]!.split(',');
  return lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i]!, v])));
}

/** A public client (SAP 16, no security) built from an exported row alone. */
function publicClient(r: Row): Promise<DlmsClient> {
  const server = Number(r.serverAddress);
  const options: DlmsClientOptions = {
    transport: { kind: 'tcp', host: r.host!, port: Number(r.port) },
    link:
      r.framing === 'hdlc'
        ? { kind: 'hdlc', clientAddress: 16, serverAddress: { logical: server }, maxInfo: 256 }
        : { kind: 'wrapper', clientWPort: 16, serverWPort: server },
    association: { authentication: 'none' },
    responseTimeoutMs: 5000,
  };
  return DlmsClient.connect(options);
}

const fleets: Fleet[] = [];
let byPort: Fleet;
let byAddress: Fleet;

const options = {
  meters: 6,
  transformers: 1,
  mix: { residential: 0.4, commercial: 0.4, industrial: 0.2 },
  seed: 11,
  startAt: START,
  clock: () => START,
  port: 0,
  tickMs: 0,
  profiles: PROFILES,
  background: false,
};

beforeAll(async () => {
  byPort = await startFleet({ ...options, host: '127.0.0.1' });
  fleets.push(byPort);
  byAddress = await startFleet(options);
  fleets.push(byAddress);
});

afterAll(async () => {
  for (const f of fleets) await f.close();
});

describe('a specific listening address', () => {
  it('gives each meter its own port there, and the export lists exactly what is listened on', async () => {
    expect(byPort.addressing).toBe('port');
    expect(byAddress.addressing).toBe('address');
    const rows = rowsOf(byPort);
    expect(rows).toHaveLength(byPort.size);
    expect(new Set(rows.map((r) => r.host))).toEqual(new Set(['127.0.0.1']));
    expect(new Set(rows.map((r) => r.port)).size).toBe(byPort.size);
    expect(new Set(rows.map((r) => r.framing))).toEqual(new Set(['wrapper', 'hdlc']));
    for (const r of rows) {
      expect(Number(r.port)).toBe(byPort.portOf(Number(r.id)));
      const c = await publicClient(r);
      try {
        expect(await c.get('0.0.96.1.0.255', 1, 2)).toEqual({ type: 'visible-string', value: r.serial });
      } finally {
        await c.end();
      }
    }
  });

  it('pushes from that address too (where 127.a.b.c may not exist)', async () => {
    const from: string[] = [];
    const sink = await listenTcp({ host: '127.0.0.1', port: 0 }, (t) => {
      from.push(t.remote.slice(0, t.remote.lastIndexOf(':')));
      t.onData(() => {});
    });
    let now = START;
    const f = await startFleet({
      ...options,
      host: '127.0.0.1',
      clock: () => now,
      pushTo: { host: '127.0.0.1', port: sink.port },
      pushBlocks: true,
    });
    fleets.push(f);
    try {
      now = START + 20 * 60_000;
      await f.tick();
      for (let i = 0; i < 500 && from.length < f.size; i++) await new Promise((r) => setImmediate(r));
      expect(from.length).toBeGreaterThanOrEqual(f.size);
      expect(new Set(from)).toEqual(new Set(['127.0.0.1']));
    } finally {
      await sink.close();
    }
  });

  it('refuses ports past 65535 and an address that is not loopback, naming them', async () => {
    await expect(startFleet({ ...options, host: '127.0.0.1', port: 65_534 })).rejects.toThrow(
      /ports 65534…65540 do not exist/,
    );
    const other = Object.values(networkInterfaces())
      .flat()
      .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
    if (other !== undefined)
      await expect(startFleet({ ...options, host: other })).rejects.toThrow(/not a loopback address/);
  });
});

describe('what the meters are', () => {
  it('states each meter’s deviation convention, and the clock it serves has that sign', async () => {
    const rows = rowsOf(byAddress);
    expect(new Set(rows.map((r) => r.deviationConvention))).toEqual(
      new Set(['local-minus-utc', 'utc-minus-local']),
    );
    for (const r of rows) {
      const p = PROFILES.get(r.profile!)!;
      const c = await publicClient(r);
      try {
        const dt = dateTimeFromData(await c.get('0.0.1.0.0.255', 8, 2));
        const localMinusUtc = p.meter.utcOffsetMinutes;
        expect(dt.deviation).toBe(
          r.deviationConvention === 'local-minus-utc' ? localMinusUtc : -localMinusUtc,
        );
        expect(r.deviationConvention).toBe(
          p.quirks.deviationLocalMinusUtc === true ? 'local-minus-utc' : 'utc-minus-local',
        );
      } finally {
        await c.end();
      }
    }
  });

  it('every bundled profile naming an invocation counter lets its public association list it, read-only', () => {
    let named = 0;
    for (const p of PROFILES.values()) {
      const publics = p.associations.filter((a) => a.authentication === 'none' && a.policy === 'none');
      for (const a of p.associations) {
        if (a.invocationCounter === undefined) continue;
        named++;
        expect(publics.length).toBeGreaterThan(0);
        for (const pub of publics) {
          expect(pub.objects === '*' || pub.objects.includes(a.invocationCounter)).toBe(true);
          expect(pub.rights).toBe('read');
        }
      }
    }
    expect(named).toBe(PROFILES.size);
  });

  it('the public client reads the meter’s invocation counter, the one its ciphered replies carry', async () => {
    const rows = rowsOf(byAddress);
    for (const profile of ['is15959-1ph', 'is15959-ct']) {
      const r = rows.find((x) => x.profile === profile)!;
      const meter = Number(r.id);
      const obis = PROFILES.get(profile)!.associations.find((a) => a.invocationCounter !== undefined)!
        .invocationCounter!;
      const management = await connect(byAddress, meter, 'management');
      try {
        await management.get('0.0.1.0.0.255', 8, 2);
      } finally {
        await management.end();
      }
      const sent = byAddress.truth.meter(meter).state?.invocationCounter ?? 0;
      expect(sent).toBeGreaterThan(0);
      const c = await publicClient(r);
      try {
        const list = decodeObjectList(await c.get('0.0.40.0.0.255', 15, 2));
        const entry = list.find((e) => e.logicalName.join('.') === obis)!;
        expect(entry.classId).toBe(1);
        const value = entry.accessRights.attributeAccess.find((x) => x.attributeId === 2)!;
        expect({ read: value.read, write: value.write }).toEqual({ read: true, write: false });
        const read: DlmsData = await c.get(obis, 1, 2);
        expect(num(read)).toBe(sent);
        await expect(c.set(obis, 1, 2, { type: 'double-long-unsigned', value: 0 })).rejects.toMatchObject({
          code: expect.any(String),
        });
      } finally {
        await c.end();
      }
    }
  });
});
