import type {
  CounterKey,
  EventStore,
  InvocationCounterStore,
  NewMeterEvent,
  ReadingIngestService,
} from '@openhes/core';
import {
  DriverError,
  DriverErrorCode,
  type DriverEvent,
  type DriverProfile,
  decipherPush,
  decodePushNotification,
  listenForPushes,
  type PushServerOptions,
  parsePushBody,
  pushEnvelope,
  pushVisibleStrings,
  toDriverError,
} from '@openhes/drivers';
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
    const envelope = pushEnvelope(apdu);
    let sender: PushSender | undefined;
    let plain = apdu;
    if (envelope.ciphered) {
      const st = envelope.systemTitle;
      sender = st !== undefined ? await dir.bySystemTitle(st) : await dir.byAddress(fromHost);
      if (sender === undefined) throw unknownSender(st ?? fromHost);
      if (sender.keys === undefined)
        throw new DriverError(
          DriverErrorCode.Security,
          `meter ${sender.meterId}: no keys for a ciphered push`,
        );
      const d = decipherPush(apdu, sender.keys, sender.systemTitle);
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
    const { kind, body, time } = decodePushNotification(plain);
    if (sender === undefined) sender = await dir.byAddress(fromHost);
    if (sender === undefined) {
      for (const s of pushVisibleStrings(body)) {
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
    if (parsed.events.length > 0 && (parsed.kind === 'alarm' || kind === 'event-notification'))
      this.#ports.onAlarm?.(meterId, parsed.events);
    return { meterId, readings, events };
  }
}

/** The listeners' options, their flood limits and socket budget among them. */
export interface PushListenerOptions extends PushServerOptions {
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
  const server = await listenForPushes(options, (apdu, fromHost, remote) => {
    handler.handle(apdu, fromHost).catch((e: unknown) => {
      const err = e instanceof Error ? e : new Error(String(e));
      let reported: Error = err;
      try {
        reported = toDriverError(err);
      } catch {
        reported = err;
      }
      ports.onError?.(reported, remote);
    });
  });
  return {
    tcpPort: server.tcpPort,
    udpPort: server.udpPort,
    handler,
    close: () => server.close(),
  };
}
