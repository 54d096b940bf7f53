import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  aesKeyWrap,
  ClientSession,
  type DlmsData,
  InvocationCounterState,
  runExchange,
  ServerSession,
} from '@openhes/dlms';
import { afterAll, describe, expect, it } from 'vitest';
import { CounterFile } from '../src/fleet/counter-file.ts';
import { CounterStore, servedSession } from '../src/fleet/sessions.ts';
import type { DeviceProfile } from '../src/profiles.ts';
import type { Truth } from '../src/truth/fleet-truth.ts';
import { issuedSecrets, systemTitleOf } from '../src/truth/values.ts';
import { CLIENT_TITLE } from './client-helpers.ts';
import { DAY, fleet, num, PROFILES, START } from './helpers.ts';

/**
 * A key change as the meter takes it, one connection's associations in memory (a
 * ServerSession is what the fleet serves one connection's client SAP with): the next AARQ on
 * the same connection needs the new keys, and a new unicast key restarts the meter's
 * invocation counters (its send counter, and what it accepts from the client).
 */
const SETUP = '0.0.43.0.3.255';
const COUNTER_OBJECT = '0.0.43.1.3.255';
const MANAGEMENT_SAP = 48;
const NOW = START + 2 * DAY;
const octets = (value: Uint8Array): DlmsData => ({ type: 'octet-string', value });
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Keys {
  ek: Uint8Array;
  ak: Uint8Array;
}

/** One client association's side: its own counters, the meter's counters it has seen. */
function client(
  keys: Keys,
  nextToSend: number,
): { session: ClientSession; counters: InvocationCounterState } {
  const counters = new InvocationCounterState({ nextToSend });
  const session = new ClientSession({
    association: { authentication: 'hls-gmac' },
    security: { policy: 'auth+enc', systemTitle: CLIENT_TITLE, keys, invocationCounters: counters },
  });
  return { session, counters };
}

function run<T>(server: ServerSession, exchange: Parameters<typeof runExchange<T>>[0]): T {
  const r = runExchange(exchange, (apdu) => server.receive(apdu).send);
  if (!r.ok) throw r.error;
  return r.result;
}

function keyTransfer(truth: Truth, meter: number, keyId: number, key: Uint8Array): DlmsData {
  const kek = issuedSecrets(truth.meter(meter)).kek;
  return {
    type: 'array',
    value: [{ type: 'structure', value: [{ type: 'enum', value: keyId }, octets(aesKeyWrap(kek, key))] }],
  };
}

function connection(truth: Truth, meter: number, counters: CounterStore): ServerSession {
  const served = servedSession(truth, meter, { now: () => NOW }, counters);
  return new ServerSession({ ...served, clientSap: MANAGEMENT_SAP });
}

const issued = (truth: Truth, meter: number): Keys => {
  const s = issuedSecrets(truth.meter(meter));
  return { ek: s.ek, ak: s.ak };
};
const NEW_EK = new Uint8Array(16).fill(0x61);
const NEW_AK = new Uint8Array(16).fill(0x62);

/**
 * Associates with the issued keys at client counter 5000, reads a few times so the meter's
 * send counter is well above zero, changes the keys (`ids`), releases. Returns the highest
 * counter the meter sent under the old keys.
 */
function changeKeys(truth: Truth, meter: number, server: ServerSession, ids: number[]): number {
  const old = client(issued(truth, meter), 5000);
  run(server, old.session.associate());
  for (let i = 0; i < 5; i++)
    run(server, old.session.get({ classId: 8, obis: '0.0.1.0.0.255', attributeId: 2 }));
  for (const id of ids)
    run(
      server,
      old.session.action(
        { classId: 64, obis: SETUP, methodId: 2 },
        keyTransfer(truth, meter, id, id === 0 ? NEW_EK : NEW_AK),
      ),
    );
  // The open association still runs on the keys it was made with.
  run(server, old.session.get({ classId: 8, obis: '0.0.1.0.0.255', attributeId: 2 }));
  run(server, old.session.release());
  return old.counters.lastReceived(hex(systemTitleOf(truth.meter(meter))))!;
}

function consumerOf(truth: Truth, profile: string): number {
  for (let i = 0; i < truth.size; i++) if (truth.meter(i).profile.id === profile) return i;
  throw new Error(`no ${profile} meter`);
}

describe('a key change on the meter', () => {
  it('the next association on the same connection needs the new keys; the old ones are refused', () => {
    const truth = fleet();
    const meter = consumerOf(truth, 'is15959-1ph');
    const server = connection(truth, meter, new CounterStore());
    changeKeys(truth, meter, server, [2, 0]);

    expect(() => run(server, client(issued(truth, meter), 6000).session.associate())).toThrow();
    const fresh = client({ ek: NEW_EK, ak: NEW_AK }, 6001);
    run(server, fresh.session.associate());
    const energy = run(server, fresh.session.get({ classId: 3, obis: '1.0.1.8.0.255', attributeId: 2 }));
    expect(num(energy)).toBe(num(truth.registerAt(meter, '1.0.1.8.0.255', NOW)));
  });

  it('a new unicast key restarts the meter’s send counter and what it accepts from the client', () => {
    const truth = fleet();
    const meter = consumerOf(truth, 'is15959-1ph');
    const title = hex(systemTitleOf(truth.meter(meter)));
    const counters = new CounterStore();
    const server = connection(truth, meter, counters);
    const before = changeKeys(truth, meter, server, [2, 0]);
    expect(before).toBeGreaterThanOrEqual(8);

    // Client counter 1, far below the 5000+ the meter accepted under the old keys: accepted.
    const fresh = client({ ek: NEW_EK, ak: NEW_AK }, 1);
    run(server, fresh.session.associate());
    run(server, fresh.session.get({ classId: 8, obis: '0.0.1.0.0.255', attributeId: 2 }));
    const after = fresh.counters.lastReceived(title)!;
    expect(after).toBeLessThan(before);
    expect(after).toBeLessThan(4);
    // The counter object serves the new keys' counter (the next one the meter sends).
    const served = run(server, fresh.session.get({ classId: 1, obis: COUNTER_OBJECT, attributeId: 2 }));
    expect(num(served)).toBeLessThan(before);
    expect(num(served)).toBe(counters.of(truth.meter(meter)).peekNextToSend - 1);
  });

  it('a new authentication key alone does not restart them (default quirk: the unicast key only)', () => {
    const truth = fleet();
    const meter = consumerOf(truth, 'is15959-1ph');
    const title = hex(systemTitleOf(truth.meter(meter)));
    const server = connection(truth, meter, new CounterStore());
    const before = changeKeys(truth, meter, server, [2]);
    const keys = { ek: issued(truth, meter).ek, ak: NEW_AK };
    // The meter still remembers the client's 5000+: a counter below is a replay.
    expect(() => run(server, client(keys, 1).session.associate())).toThrow();
    const fresh = client(keys, 9000);
    run(server, fresh.session.associate());
    expect(fresh.counters.lastReceived(title)!).toBeGreaterThan(before);
  });

  it('a profile whose quirk names the authentication key restarts them on it', () => {
    const base = PROFILES.get('is15959-1ph')!;
    const quirky: DeviceProfile = {
      ...base,
      quirks: { ...base.quirks, counterResetsOnKeyChange: ['guek', 'gak'] } as DeviceProfile['quirks'],
    };
    const truth = fleet({ profiles: new Map([...PROFILES, [base.id, quirky]]) });
    const meter = consumerOf(truth, 'is15959-1ph');
    const title = hex(systemTitleOf(truth.meter(meter)));
    const server = connection(truth, meter, new CounterStore());
    const before = changeKeys(truth, meter, server, [2]);
    const fresh = client({ ek: issued(truth, meter).ek, ak: NEW_AK }, 1);
    run(server, fresh.session.associate());
    expect(fresh.counters.lastReceived(title)!).toBeLessThan(before);
  });

  it('the new keys’ counter is kept in the state file under a label of its own; the issued keys’ mark stays', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-key-counters-'));
    dirs.push(dir);
    const path = join(dir, 'counters.json');
    const truth = fleet();
    const meter = consumerOf(truth, 'is15959-1ph');
    const title = hex(systemTitleOf(truth.meter(meter)));
    const file = new CounterFile(path, 16);
    try {
      const counters = new CounterStore(file);
      const server = connection(truth, meter, counters);
      const before = changeKeys(truth, meter, server, [0]);
      const issuedMark = file.mark(title, 'guek');
      expect(issuedMark).toBeGreaterThan(before);
      const fresh = client({ ek: NEW_EK, ak: issued(truth, meter).ak }, 1);
      run(server, fresh.session.associate());
      run(server, fresh.session.get({ classId: 8, obis: '0.0.1.0.0.255', attributeId: 2 }));
      const saved = JSON.parse(readFileSync(path, 'utf8')) as {
        counters: Record<string, Record<string, number>>;
      };
      expect(saved.counters[title]).toEqual({ guek: issuedMark, 'guek.v1': 16 });
      expect(fresh.counters.lastReceived(title)!).toBeLessThan(16);
    } finally {
      file.close();
    }
    // A later run continues the new keys' label from its mark (the same key may be sent again).
    const again = new CounterFile(path, 16);
    try {
      expect(again.start(title, 'guek.v1')).toBe(16);
    } finally {
      again.close();
    }
  });
});
