import { type ConformanceName, conformanceFromNames } from '../../src/acse/index.ts';
import {
  ActionResult,
  DataAccessResult,
  entryDescriptor,
  parseEntryDescriptor,
} from '../../src/apdu/index.ts';
import type { DlmsData } from '../../src/axdr/index.ts';
import { fromHex, toHex } from '../../src/bytes.ts';
import type { DlmsError } from '../../src/errors.ts';
import { InvocationCounterState } from '../../src/security/index.ts';
import {
  type AssociationSettings,
  type AttributeAccess,
  ClientSession,
  type Exchange,
  type ObjectModel,
  runExchange,
  type SecurityContext,
  type ServerAssociation,
  ServerSession,
  type SessionEvent,
  type SessionHooks,
} from '../../src/session/index.ts';

export const EK = fromHex('000102030405060708090A0B0C0D0E0F');
export const AK = fromHex('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF');
export const CLIENT_TITLE = fromHex('4D4D4D0000000001');
export const SERVER_TITLE = fromHex('4D4D4D0000BC614E');

export const CLOCK = { classId: 8, obis: '0.0.1.0.0.255', attributeId: 2 };
export const REGISTER_VALUE = { classId: 3, obis: '1.0.1.8.0.255', attributeId: 2 };
export const REGISTER_SCALER = { classId: 3, obis: '1.0.1.8.0.255', attributeId: 3 };
export const PROFILE_BUFFER = { classId: 7, obis: '1.0.99.1.0.255', attributeId: 2 };
export const DISCONNECT_STATE = { classId: 70, obis: '0.0.96.3.10.255', attributeId: 3 };
export const REMOTE_DISCONNECT = { classId: 70, obis: '0.0.96.3.10.255', methodId: 1 };
export const REMOTE_RECONNECT = { classId: 70, obis: '0.0.96.3.10.255', methodId: 2 };
/** Accepts any parameter and returns it: used to move large ACTION parameters and answers. */
export const ECHO_METHOD = { classId: 1, obis: '0.0.128.0.0.255', methodId: 1 };
export const ECHO_DATA = { classId: 1, obis: '0.0.128.0.0.255', attributeId: 2 };

export const PROFILE_ROWS = 2880;

function clockValue(minute: number): DlmsData {
  const b = new Uint8Array([
    0x07,
    0xe8,
    1,
    1,
    0xff,
    Math.floor(minute / 60) % 24,
    minute % 60,
    0,
    0,
    0x80,
    0,
    0,
  ]);
  return { type: 'octet-string', value: b };
}

export function profileRows(from = 1, to = PROFILE_ROWS): DlmsData {
  const rows: DlmsData[] = [];
  for (let i = from; i <= to; i++) {
    rows.push({
      type: 'structure',
      value: [clockValue(i * 15), { type: 'double-long-unsigned', value: i * 7 }],
    });
  }
  return { type: 'array', value: rows };
}

const key = (classId: number, obis: Uint8Array, id: number): string => `${classId}/${toHex(obis)}/${id}`;
const obisHex = (text: string): string => toHex(Uint8Array.from(text.split('.'), Number));
const keyOf = (r: { classId: number; obis: string; attributeId: number }): string =>
  `${r.classId}/${obisHex(r.obis)}/${r.attributeId}`;

/** A tiny meter: clock, register with scaler_unit, profile buffer, disconnect control, echo. */
export class TestModel implements ObjectModel {
  readonly values = new Map<string, DlmsData>();
  readonly lastAccess: unknown[] = [];
  /** Attributes hidden from the 'public' association. */
  readonly publicDenied = new Set<string>([keyOf(REGISTER_SCALER)]);

  constructor() {
    this.values.set(keyOf(CLOCK), clockValue(0));
    this.values.set(keyOf(REGISTER_VALUE), { type: 'double-long-unsigned', value: 5009 });
    this.values.set(keyOf(REGISTER_SCALER), {
      type: 'structure',
      value: [
        { type: 'integer', value: 0 },
        { type: 'enum', value: 30 },
      ],
    });
    this.values.set(keyOf(DISCONNECT_STATE), { type: 'enum', value: 1 });
    this.values.set(keyOf(ECHO_DATA), { type: 'null-data' });
  }

  get(_ctx: unknown, a: { classId: number; obis: Uint8Array; attributeId: number; access?: unknown }) {
    const k = key(a.classId, a.obis, a.attributeId);
    if (k === keyOf(PROFILE_BUFFER)) {
      if (a.access !== undefined) {
        this.lastAccess.push(a.access);
        const d = parseEntryDescriptor((a.access as { accessParameters: DlmsData }).accessParameters);
        return profileRows(d.fromEntry, d.toEntry === 0 ? PROFILE_ROWS : d.toEntry);
      }
      return profileRows();
    }
    return this.values.get(k) ?? DataAccessResult['object-undefined'];
  }

  set(_ctx: unknown, a: { classId: number; obis: Uint8Array; attributeId: number }, value: DlmsData) {
    const k = key(a.classId, a.obis, a.attributeId);
    if (!this.values.has(k)) return DataAccessResult['object-undefined'];
    this.values.set(k, value);
    return DataAccessResult.success;
  }

  action(
    _ctx: unknown,
    m: { classId: number; obis: Uint8Array; methodId: number },
    params: DlmsData | undefined,
  ) {
    const k = key(m.classId, m.obis, m.methodId);
    if (
      k === key(70, Uint8Array.of(0, 0, 96, 3, 10, 255), 1) ||
      k === key(70, Uint8Array.of(0, 0, 96, 3, 10, 255), 2)
    ) {
      this.values.set(keyOf(DISCONNECT_STATE), { type: 'enum', value: m.methodId === 1 ? 0 : 1 });
      return { result: ActionResult.success };
    }
    if (k === key(1, Uint8Array.of(0, 0, 128, 0, 0, 255), 1)) {
      return params === undefined
        ? { result: ActionResult.success }
        : { result: ActionResult.success, returnData: params };
    }
    return { result: ActionResult['object-undefined'] };
  }

  attributeAccess(
    association: string,
    classId: number,
    obis: Uint8Array,
    attributeId: number,
  ): AttributeAccess {
    const k = key(classId, obis, attributeId);
    if (association === 'public' && this.publicDenied.has(k)) return 'none';
    if (k === keyOf(PROFILE_BUFFER)) return 'read';
    return 'read-write';
  }

  methodAccess(association: string) {
    return association === 'public' ? ('none' as const) : ('access' as const);
  }
}

export const ALL_SERVICES: ConformanceName[] = [
  'general-protection',
  'block-transfer-with-get-or-read',
  'block-transfer-with-set-or-write',
  'block-transfer-with-action',
  'multiple-references',
  'get',
  'set',
  'selective-access',
  'action',
];

let seed = 1;
/** Deterministic "random" bytes so failures reproduce. */
export function testRandom(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    out[i] = seed >>> 16;
  }
  return out;
}

export interface PairOptions {
  server?: Partial<ServerAssociation>;
  client?: Partial<AssociationSettings>;
  security?: Partial<SecurityContext> | false;
  serverConformance?: ConformanceName[];
  hooks?: SessionHooks;
}

export interface Pair {
  client: ClientSession;
  server: ServerSession;
  model: TestModel;
  events: SessionEvent[];
  serverEvents: SessionEvent[];
  clientCounters: InvocationCounterState;
  serverCounters: InvocationCounterState;
  /** Every APDU the server returned, for replay tests. */
  wire: { toServer: Uint8Array[]; toClient: Uint8Array[] };
  run<T>(exchange: Exchange<T>): { ok: true; result: T } | { ok: false; error: DlmsError };
  ok<T>(exchange: Exchange<T>): T;
}

export function makePair(options: PairOptions = {}): Pair {
  const model = new TestModel();
  const clientCounters = new InvocationCounterState();
  const serverCounters = new InvocationCounterState();
  const assoc: ServerAssociation = {
    key: 'reader',
    clientSap: 32,
    authentication: 'none',
    policy: 'none',
    keys: { ek: EK, ak: AK },
    conformance: conformanceFromNames(options.serverConformance ?? ALL_SERVICES),
    maxReceivePduSize: 512,
    ...options.server,
  };
  const events: SessionEvent[] = [];
  const serverEvents: SessionEvent[] = [];
  const server = new ServerSession({
    systemTitle: SERVER_TITLE,
    associations: [assoc],
    model,
    clientSap: 32,
    invocationCounters: serverCounters,
    random: testRandom,
  });
  const security: SecurityContext | undefined =
    options.security === false
      ? undefined
      : {
          policy: assoc.policy,
          systemTitle: CLIENT_TITLE,
          keys: { ek: EK, ak: AK },
          invocationCounters: clientCounters,
          random: testRandom,
          ...options.security,
        };
  const client = new ClientSession({
    association: {
      authentication: assoc.authentication,
      ...(assoc.password === undefined ? {} : { password: assoc.password }),
      maxReceivePduSize: 512,
      ...options.client,
    },
    ...(security === undefined ? {} : { security }),
    ...(options.hooks === undefined ? {} : { hooks: options.hooks }),
  });
  const wire = { toServer: [] as Uint8Array[], toClient: [] as Uint8Array[] };
  const respond = (apdu: Uint8Array): Uint8Array[] => {
    wire.toServer.push(apdu);
    const step = server.receive(apdu);
    serverEvents.push(...step.events);
    wire.toClient.push(...step.send);
    return step.send;
  };
  const pair: Pair = {
    client,
    server,
    model,
    events,
    serverEvents,
    clientCounters,
    serverCounters,
    wire,
    run: (exchange) => runExchange(exchange, respond, (e) => events.push(...e)),
    ok: (exchange) => {
      const r = pair.run(exchange);
      if (!r.ok) throw r.error;
      return r.result;
    },
  };
  return pair;
}

export { entryDescriptor };
