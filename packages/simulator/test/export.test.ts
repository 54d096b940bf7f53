import { type DlmsData, decipherApdu, decodeXdlmsApdu, fromHex, toHex, WrapperDeframer } from '@openhes/dlms';
import { DlmsClient, type DlmsClientOptions, listenTcp } from '@openhes/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportMeters } from '../src/fleet/export.ts';
import { type Fleet, startFleet } from '../src/fleet/fleet.ts';
import { PROFILES, START } from './helpers.ts';

type Row = Record<string, string>;

let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({
    meters: 12,
    transformers: 2,
    seed: 11,
    startAt: START,
    port: 0,
    tickMs: 0,
    profiles: PROFILES,
    clock: () => START,
    mix: { residential: 0.5, commercial: 0.5 },
    background: false,
  });
});

afterAll(async () => {
  await fleet?.close();
});

function csvRows(): Row[] {
  const lines = [...exportMeters(fleet, 'csv')].join('').trim().split('\n');
  const header = lines[0]!.split(',');
  return lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i]!, v])));
}

interface Association {
  key: string;
  clientSap: number;
  authentication: string;
  policy: string;
}

function associations(r: Row): Association[] {
  return r.associations!.split(';').map((a) => {
    const [key, sap, authentication, policy] = a.split(':');
    return { key: key!, clientSap: Number(sap), authentication: authentication!, policy: policy! };
  });
}

const HEAD_END_TITLE = fromHex('4f48455300000009');
/** The head end's own send counter: the meter refuses one it has seen. */
let headEndCounter = 1;

/** Client options built from one exported row and nothing else. */
function optionsFrom(r: Row, a: Association): DlmsClientOptions {
  const server = Number(r.serverAddress);
  headEndCounter += 1000;
  return {
    transport: { kind: 'tcp', host: r.host!, port: Number(r.port) },
    link:
      r.framing === 'hdlc'
        ? { kind: 'hdlc', clientAddress: a.clientSap, serverAddress: { logical: server }, maxInfo: 256 }
        : { kind: 'wrapper', clientWPort: a.clientSap, serverWPort: server },
    association: {
      authentication: a.authentication as 'none' | 'low' | 'hls-gmac',
      ...(a.authentication === 'low' ? { password: r.password! } : {}),
    },
    ...(a.policy === 'none'
      ? {}
      : {
          security: {
            systemTitle: HEAD_END_TITLE,
            ek: fromHex(r.ek!),
            ak: fromHex(r.ak!),
            policy: a.policy as 'auth+enc',
            invocationCounter: headEndCounter,
          },
        }),
    responseTimeoutMs: 5000,
  };
}

describe('meter export', () => {
  it('has the same records in CSV and JSON', () => {
    const json = JSON.parse([...exportMeters(fleet, 'json')].join('')) as Record<string, unknown>[];
    const csv = csvRows();
    expect(csv).toHaveLength(fleet.size);
    expect(json.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)])))).toEqual(
      csv,
    );
    for (const r of csv) {
      expect(r.systemTitle).toMatch(/^[0-9a-f]{16}$/i);
      expect(r.ek).toMatch(/^[0-9a-f]{32}$/i);
      expect(r.ak).toMatch(/^[0-9a-f]{32}$/i);
      expect(r.securitySuite).toBe('0');
      expect(r.pushProtection).toBe('general-glo:auth+enc');
      expect(r.pushClientSap).toBe('102');
    }
    expect(new Set(csv.map((r) => r.framing))).toEqual(new Set(['wrapper', 'hdlc']));
  });

  it('opens every association of a wrapper and an HDLC meter with exported values only', async () => {
    const rows = csvRows();
    for (const framing of ['wrapper', 'hdlc']) {
      const r = rows.find((x) => x.framing === framing && x.role === 'consumer')!;
      const assocs = associations(r);
      expect(assocs.map((a) => a.authentication).sort()).toEqual(['hls-gmac', 'low', 'none']);
      for (const a of assocs) {
        const c = await DlmsClient.connect(optionsFrom(r, a));
        try {
          const ln = await c.get('0.0.42.0.0.255', 1, 2);
          expect(ln).toMatchObject({ type: 'octet-string' });
        } finally {
          await c.end();
        }
      }
    }
  });

  it('lets a head end decipher a push with the exported system title, EK and AK', async () => {
    const rows = csvRows();
    const bySystemTitle = new Map(rows.map((r) => [r.systemTitle!.toLowerCase(), r]));
    const got: { from: string; body: DlmsData }[] = [];
    const destinations: number[] = [];
    const headEnd = await listenTcp({ host: '127.0.0.1', port: 0 }, (t) => {
      const deframer = new WrapperDeframer();
      t.onData((chunk) => {
        for (const e of deframer.push(chunk)) {
          if (e.type !== 'pdu') continue;
          destinations.push(e.pdu.destination);
          const plain = decipherApdu(e.pdu.apdu, {
            keyResolver: ({ systemTitle }) => {
              const r = bySystemTitle.get(toHex(systemTitle).toLowerCase());
              return r === undefined ? undefined : { ek: fromHex(r.ek!), ak: fromHex(r.ak!) };
            },
            require: { authentication: true, encryption: true },
          });
          const x = decodeXdlmsApdu(plain.plaintext);
          if (x.type === 'data-notification')
            got.push({ from: toHex(plain.systemTitle), body: x.notificationBody });
        }
      });
    });
    try {
      const r = rows.find((x) => x.profile === 'is15959-1ph')!;
      const management = associations(r).find((a) => a.authentication === 'hls-gmac')!;
      const c = await DlmsClient.connect(optionsFrom(r, management));
      try {
        const dest = Uint8Array.from(`127.0.0.1:${headEnd.port}`, (ch) => ch.charCodeAt(0));
        await c.set('0.0.25.9.0.255', 40, 3, {
          type: 'structure',
          value: [
            { type: 'enum', value: 0 },
            { type: 'octet-string', value: dest },
            { type: 'enum', value: 0 },
          ],
        });
        await c.action('0.0.25.9.0.255', 40, 1, { type: 'integer', value: 0 });
      } finally {
        await c.end();
      }
      await fleet.tick();
      for (let i = 0; i < 500 && got.length < 1; i++) await new Promise((res) => setImmediate(res));
      expect(got).toHaveLength(1);
      expect(got[0]!.from.toLowerCase()).toBe(r.systemTitle!.toLowerCase());
      expect(destinations).toEqual([Number(r.pushClientSap)]);
      expect((got[0]!.body as { value: DlmsData[] }).value[0]).toEqual(
        fleet.truth.registerAt(Number(r.id), '0.0.96.1.2.255', START),
      );
    } finally {
      await headEnd.close();
    }
  });
});
