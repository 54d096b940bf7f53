import type {
  CounterKey,
  EventStore,
  InvocationCounterStore,
  NewMeterEvent,
  ReadingIngestService,
} from '@openhes/core';
import {
  CipheredApduTag,
  type CosemDateTime,
  cipheringFamilyOf,
  type DlmsData,
  DlmsError,
  DlmsErrorCode,
  decipherApdu,
  decodeXdlmsApdu,
  toHex,
} from '@openhes/dlms';
import { type DriverEvent, type DriverProfile, parsePushBody, toDriverError } from '@openhes/drivers';
import {
  listenTcp,
  listenUdp,
  type TcpServer,
  type Transport,
  type UdpServer,
  WrapperLink,
} from '@openhes/transport';
import { AcquisitionError, AcquisitionErrorCode } from './errors.ts';

/**
 * The meter's send counter under its global unicast key, as received: one high-water mark for
 * its pushes and the responses of its reading sessions (the meter ciphers both with it).
 */
export function receivedCounterKey(meterId: number): CounterKey {
  return { meterId, direction: 'rx', purpose: 'guek' };
}

/** A meter a push may come from, with what is needed to decipher and parse it. */
export interface PushSender {
  meterId: number;
  profile: DriverProfile;
  /** Needed for ciphered pushes. */
  keys?: { ek: Uint8Array; ak: Uint8Array };
  /** The meter's system title (hex), needed for glo-ciphered (not general-glo) pushes. */
  systemTitle?: string;
}

/** Finds the sender of a push by system title, remote address or the device id it carries. */
export interface PushDirectory {
  bySystemTitle(hex: string): Promise<PushSender | undefined>;
  byAddress(host: string): Promise<PushSender | undefined>;
  bySerial(serial: string): Promise<PushSender | undefined>;
}

export interface PushPorts {
  directory: PushDirectory;
  ingest: ReadingIngestService;
  events: Pick<EventStore, 'append'>;
  /**
   * Received invocation counters (rx, per meter and key), persisted: a ciphered push is
   * refused unless its counter is above every one accepted before, across restarts.
   */
  counters?: Pick<InvocationCounterStore, 'accept'>;
  /**
   * The highest counter a reading session in this process accepted from the meter and has
   * not stored yet (MeterAccess.receivedInSession): a push at or below it is a replay too.
   */
  liveReceived?: (meterId: number) => number | undefined;
  /** Alarms (events of an alarm push or an event notification), handed on once stored. */
  onAlarm?: (meterId: number, events: readonly DriverEvent[]) => void;
  /** One bad push; the listener goes on. */
  onError?: (error: Error, from: string) => void;
  now: () => number;
}

export interface PushStats {
  received: number;
  stored: number;
  failed: number;
}

function isCiphered(tag: number): boolean {
  return (
    tag === CipheredApduTag.generalGloCiphering ||
    tag === CipheredApduTag.generalDedCiphering ||
    cipheringFamilyOf(tag) !== undefined
  );
}

function visibleStrings(d: DlmsData): string[] {
  if (d.type === 'structure' || d.type === 'array') return d.value.flatMap(visibleStrings);
  return d.type === 'visible-string' ? [d.value] : [];
}

function unknownSender(what: string): AcquisitionError {
  return new AcquisitionError(AcquisitionErrorCode.UnknownSender, `push from unknown meter (${what})`);
}

/**
 * Handles one pushed APDU: identifies the sender, deciphers, parses it by the sender's push
 * setups, stores values and events, and hands alarms on. Rejects only for this one push.
 */
export class PushHandler {
  readonly stats: PushStats = { received: 0, stored: 0, failed: 0 };
  readonly #ports: PushPorts;

  constructor(ports: PushPorts) {
    this.#ports = ports;
  }

  async handle(
    apdu: Uint8Array,
    fromHost: string,
  ): Promise<{ meterId: number; readings: number; events: number }> {
    this.stats.received++;
    try {
      const r = await this.#handle(apdu, fromHost);
      this.stats.stored++;
      return r;
    } catch (e) {
      this.stats.failed++;
      throw e;
    }
  }

  async #handle(apdu: Uint8Array, fromHost: string) {
    const dir = this.#ports.directory;
    const tag = apdu[0] ?? 0;
    let sender: PushSender | undefined;
    let plain = apdu;
    if (isCiphered(tag)) {
      const general =
        tag === CipheredApduTag.generalGloCiphering || tag === CipheredApduTag.generalDedCiphering;
      const st = general && apdu[1] === 8 ? toHex(apdu.subarray(2, 10)) : undefined;
      sender = st !== undefined ? await dir.bySystemTitle(st) : await dir.byAddress(fromHost);
      if (sender === undefined) throw unknownSender(st ?? fromHost);
      if (sender.keys === undefined)
        throw new DlmsError(DlmsErrorCode.Security, `meter ${sender.meterId}: no keys for a ciphered push`);
      const d = decipherApdu(apdu, {
        keys: sender.keys,
        ...(sender.systemTitle === undefined
          ? {}
          : { systemTitle: Uint8Array.from(Buffer.from(sender.systemTitle, 'hex')) }),
      });
      const counters = this.#ports.counters;
      const key = receivedCounterKey(sender.meterId);
      const live = this.#ports.liveReceived?.(sender.meterId);
      if (
        (live !== undefined && d.invocationCounter <= live) ||
        (counters !== undefined && !(await counters.accept(key, d.invocationCounter)))
      )
        throw new AcquisitionError(
          AcquisitionErrorCode.Replayed,
          `meter ${sender.meterId}: push invocation counter ${d.invocationCounter} already seen`,
          { detail: { meterId: sender.meterId, invocationCounter: d.invocationCounter } },
        );
      plain = d.plaintext;
    }
    const x = decodeXdlmsApdu(plain);
    let body: DlmsData;
    let time: CosemDateTime | undefined;
    if (x.type === 'data-notification') {
      body = x.notificationBody;
      time = x.dateTimeValue;
    } else if (x.type === 'event-notification-request') {
      body = { type: 'structure', value: [x.attributeValue] };
      time = x.timeValue;
    } else {
      throw new DlmsError(DlmsErrorCode.Protocol, `push is a ${x.type}, not a notification`);
    }
    if (sender === undefined) sender = await dir.byAddress(fromHost);
    if (sender === undefined) {
      for (const s of visibleStrings(body)) {
        sender = await dir.bySerial(s);
        if (sender) break;
      }
    }
    if (sender === undefined) throw unknownSender(fromHost);
    const parsed = parsePushBody(sender.profile, body, time);
    const meterId = sender.meterId;
    const values =
      parsed.meterTime === undefined
        ? parsed.values.map((v) => ({ ...v, ts: this.#ports.now() }))
        : parsed.values;
    let readings = 0;
    if (values.length > 0) {
      const r = await this.#ports.ingest.storeSession(meterId, values, 'push');
      readings = r.inserted + r.versioned;
    }
    const rows: NewMeterEvent[] = parsed.events.map((e) => ({
      meterId,
      meterTime: e.meterTime,
      ts: e.meterTime,
      log: e.log,
      code: e.code,
      category: e.category,
      raw: apdu,
    }));
    let events = 0;
    if (rows.length > 0) events = (await this.#ports.events.append(rows)).inserted;
    if (parsed.events.length > 0 && (parsed.kind === 'alarm' || x.type === 'event-notification-request'))
      this.#ports.onAlarm?.(meterId, parsed.events);
    return { meterId, readings, events };
  }
}

export interface PushListenerOptions {
  host?: string;
  /** TCP port; 0 = any free port; undefined = no TCP listener. */
  tcpPort?: number;
  udpPort?: number;
}

export interface PushListener {
  readonly tcpPort: number | undefined;
  readonly udpPort: number | undefined;
  readonly handler: PushHandler;
  close(): Promise<void>;
}

/** TCP and UDP wrapper listeners for meter-initiated notifications. */
export async function startPushListener(
  options: PushListenerOptions,
  ports: PushPorts,
): Promise<PushListener> {
  const handler = new PushHandler(ports);
  const attach = (t: Transport): void => {
    const host = t.remote.slice(0, t.remote.lastIndexOf(':')).replace(/^::ffff:/, '');
    const link = new WrapperLink(t, { role: 'server' });
    link.onEvent(() => {});
    link.onClose(() => {});
    link.onApdu((apdu) => {
      link.noResponse();
      handler.handle(apdu, host).catch((e: unknown) => {
        const err = e instanceof Error ? e : new Error(String(e));
        let reported: Error = err;
        try {
          reported = toDriverError(err);
        } catch {
          reported = err;
        }
        ports.onError?.(reported, t.remote);
      });
    });
  };
  const host = options.host ?? '127.0.0.1';
  let tcp: TcpServer | undefined;
  let udp: UdpServer | undefined;
  if (options.tcpPort !== undefined)
    tcp = await listenTcp({ host, port: options.tcpPort, inactivityTimeoutMs: 60_000 }, attach);
  if (options.udpPort !== undefined)
    udp = await listenUdp({ host, port: options.udpPort, peerIdleMs: 30_000 }, attach);
  return {
    tcpPort: tcp?.port,
    udpPort: udp?.port,
    handler,
    close: async () => {
      await Promise.all([tcp?.close(), udp?.close()]);
    },
  };
}
