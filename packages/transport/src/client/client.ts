import {
  type AssociationInfo,
  type AttributeRef,
  ClientSession,
  type DlmsData,
  DlmsError,
  DlmsErrorCode,
  type Exchange,
  InvocationCounterState,
  type ListResult,
  type SecurityContext,
  type SelectiveAccessDescriptor,
  type SessionEvent,
} from '@openhes/dlms';
import { HDLC_DEFAULT_MAX_RETRIES, HdlcLink } from '../link/hdlc-link.ts';
import type { ApduLink } from '../link/types.ts';
import { WrapperLink } from '../link/wrapper-link.ts';
import { connectTcp } from '../tcp.ts';
import type { Transport } from '../transport.ts';
import { connectUdp } from '../udp.ts';
import type { ClientWarning, DlmsClientOptions } from './options.ts';

const DEFAULT_RESPONSE_TIMEOUT_MS = 10_000;
/** A wrapper PDU must fit one datagram; keep responses well under the path MTU's reassembly limits. */
const UDP_DEFAULT_MAX_PDU = 2048;

export type Obis = string | Uint8Array;

export interface GetItem {
  obis: Obis;
  classId: number;
  attr: number;
  access?: SelectiveAccessDescriptor;
}

async function openTransport(options: DlmsClientOptions): Promise<Transport> {
  const t = options.transport;
  if (t.kind === 'udp') return connectUdp(t);
  return connectTcp(t);
}

function openLink(transport: Transport, options: DlmsClientOptions, timeoutMs: number): ApduLink {
  const l = options.link;
  const trace = options.trace;
  if (l.kind === 'wrapper') {
    return new WrapperLink(transport, {
      role: 'client',
      clientWPort: l.clientWPort ?? 16,
      serverWPort: l.serverWPort ?? 1,
      ...(trace ? { trace } : {}),
    });
  }
  const maxRetries = l.maxRetries ?? HDLC_DEFAULT_MAX_RETRIES;
  return new HdlcLink(transport, {
    role: 'client',
    clientAddress: l.clientAddress,
    serverAddress: l.serverAddress,
    responseTimeoutMs: l.frameTimeoutMs ?? defaultFrameTimeout(timeoutMs, maxRetries),
    maxRetries,
    ...(l.maxInfo === undefined ? {} : { maxInfo: l.maxInfo }),
    ...(l.window === undefined ? {} : { window: l.window }),
    ...(trace ? { trace } : {}),
  });
}

/**
 * The HDLC poll timer shares the response timeout among the first poll and its retries: the
 * response wait fails after `timeoutMs` without a frame, so a link that re-polled only then
 * could never recover a lost segment before the wait gave up.
 */
function defaultFrameTimeout(timeoutMs: number, maxRetries: number): number {
  return Math.max(1, Math.floor(timeoutMs / (maxRetries + 1)));
}

function replayedAcrossSessions(
  c: { systemTitleHex: string; last: number },
  lastReceived: number,
): DlmsError {
  return new DlmsError(
    DlmsErrorCode.Replay,
    `invocation counter ${c.last} from ${c.systemTitleHex} is not above ${lastReceived}, accepted before this session`,
    { detail: { systemTitle: c.systemTitleHex, invocationCounter: c.last, lastReceived } },
  );
}

function sessionFor(options: DlmsClientOptions): ClientSession {
  const a = options.association ?? {};
  const s = options.security;
  const password = typeof a.password === 'string' ? new TextEncoder().encode(a.password) : a.password;
  let security: SecurityContext | undefined;
  if (s) {
    const { onCounter, lastReceived: floor, onReceived } = s;
    const watch = onCounter !== undefined || floor !== undefined || onReceived !== undefined;
    security = {
      policy: s.policy ?? 'auth+enc',
      ...(s.style === undefined ? {} : { style: s.style }),
      systemTitle: s.systemTitle,
      ...(s.serverSystemTitle === undefined ? {} : { serverSystemTitle: s.serverSystemTitle }),
      keys: { ek: s.ek, ak: s.ak },
      invocationCounters: new InvocationCounterState({
        nextToSend: s.invocationCounter ?? 0,
        ...(watch
          ? {
              // Runs after authentication and the in-session check; a throw fails the APDU.
              onChange: (c) => {
                if (c.direction === 'send') {
                  onCounter?.(c.next);
                  return;
                }
                if (floor !== undefined && c.last <= floor) throw replayedAcrossSessions(c, floor);
                onReceived?.(c.last);
              },
            }
          : {}),
      }),
    };
  }
  return new ClientSession({
    association: {
      authentication: a.authentication ?? 'none',
      ...(password === undefined ? {} : { password }),
      ...(a.conformance === undefined ? {} : { proposedConformance: a.conformance }),
      ...(a.maxPdu === undefined
        ? options.transport.kind === 'udp'
          ? { maxReceivePduSize: UDP_DEFAULT_MAX_PDU }
          : {}
        : { maxReceivePduSize: a.maxPdu }),
    },
    ...(security ? { security } : {}),
  });
}

/**
 * A DLMS/COSEM client over one link: connect (transport, link, association), then GET, SET
 * and ACTION, one request at a time. What the attributes mean (profiles, the object list) is
 * the driver's business. Errors are DlmsError:
 * Transport/Timeout for the connection, AssociationRejected, AccessResult (detail.resultName)
 * for a refused attribute, ServiceError, Protocol.
 */
export class DlmsClient {
  readonly link: ApduLink;
  readonly session: ClientSession;
  /** What the AARE granted. */
  info: AssociationInfo | undefined;
  private readonly timeoutMs: number;
  private readonly maxResponseMs: number | undefined;
  private readonly onWarning: ((w: ClientWarning) => void) | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Requests enqueued and not yet settled; 0 = the next one starts at once. */
  private inFlight = 0;

  private constructor(link: ApduLink, session: ClientSession, options: DlmsClientOptions) {
    this.link = link;
    this.session = session;
    this.timeoutMs = options.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS;
    this.maxResponseMs = options.maxResponseMs;
    this.onWarning = options.onWarning;
    link.onEvent((e) => {
      if (e.type === 'warning') this.onWarning?.({ code: 'LINK', message: e.error.message });
    });
  }

  /** Opens the transport and the link and associates; on failure everything opened is closed. */
  static async connect(options: DlmsClientOptions): Promise<DlmsClient> {
    const session = sessionFor(options);
    const timeoutMs = options.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS;
    const transport = await openTransport(options);
    const link = openLink(transport, options, timeoutMs);
    const client = new DlmsClient(link, session, options);
    try {
      await link.open();
      client.info = await client.run(session.associate());
      return client;
    } catch (e) {
      await link.close({ disconnect: link.kind === 'hdlc' }).catch(() => {});
      throw e;
    }
  }

  get associated(): boolean {
    return this.session.state === 'associated';
  }

  /** Runs one exchange to its end; requests never overlap. */
  run<T>(exchange: Exchange<T>): Promise<T>;
  run<T>(exchange: Exchange<T>): Promise<T> {
    return this.enqueue(() => exchange);
  }

  /** Builds the exchange only when its turn comes (session state is current). */
  private enqueue<T>(build: () => Exchange<T>): Promise<T> {
    const task = this.inFlight === 0 ? this.start(build) : this.queue.then(() => this.start(build));
    this.inFlight++;
    this.queue = task.then(this.settled, this.settled);
    return task;
  }

  private readonly settled = (): void => {
    this.inFlight--;
  };

  private async start<T>(build: () => Exchange<T>): Promise<T> {
    const exchange = build();
    this.events(exchange.events);
    let send: Uint8Array | undefined = exchange.send;
    for (;;) {
      let apdu: Uint8Array;
      try {
        if (send !== undefined) await this.link.sendApdu(send);
        apdu = await this.link.nextApdu(
          this.timeoutMs,
          this.maxResponseMs === undefined ? {} : { maxMs: this.maxResponseMs },
        );
      } catch (e) {
        await this.lost();
        throw e;
      }
      const step = exchange.receive(apdu);
      this.events(step.events);
      switch (step.status) {
        case 'send':
          send = step.send;
          break;
        case 'wait':
          send = undefined;
          break;
        case 'done':
          return step.result;
        case 'failed':
          throw step.error;
      }
    }
  }

  /** A lost or silent peer leaves the exchange open: the association cannot go on. */
  private async lost(): Promise<void> {
    this.session.reset();
    if (!this.link.closed) await this.link.close({ disconnect: false });
  }

  private events(events: readonly SessionEvent[]): void {
    if (!this.onWarning) return;
    for (const e of events) if (e.type === 'warning') this.onWarning({ code: e.code, message: e.message });
  }

  get(obis: Obis, classId: number, attr: number, access?: SelectiveAccessDescriptor): Promise<DlmsData> {
    const ref: AttributeRef = { classId, obis, attributeId: attr, ...(access ? { access } : {}) };
    return this.enqueue(() => this.session.get(ref));
  }

  /** GET-with-list where negotiated; one result per item, failures as `{ ok: false, resultName }`. */
  getMany(items: readonly GetItem[]): Promise<ListResult<DlmsData>[]> {
    const refs = items.map(
      (i): AttributeRef => ({
        classId: i.classId,
        obis: i.obis,
        attributeId: i.attr,
        ...(i.access ? { access: i.access } : {}),
      }),
    );
    return this.enqueue(() => this.session.getList(refs));
  }

  set(obis: Obis, classId: number, attr: number, value: DlmsData): Promise<void> {
    return this.enqueue(() => this.session.set({ classId, obis, attributeId: attr }, value));
  }

  action(obis: Obis, classId: number, method: number, params?: DlmsData): Promise<DlmsData | undefined> {
    return this.enqueue(() => this.session.action({ classId, obis, methodId: method }, params));
  }

  /** RLRQ/RLRE; the link stays open. */
  async release(): Promise<void> {
    if (!this.associated) return;
    await this.enqueue(() => this.session.release());
  }

  /** Closes the link (HDLC: DISC/UA) and the transport; does not release first. */
  async close(): Promise<void> {
    await this.queue;
    if (!this.link.closed) await this.link.close({ disconnect: true });
  }

  /** Release (errors ignored) and close. */
  async end(): Promise<void> {
    try {
      if (!this.link.closed) await this.release();
    } catch (e) {
      if (!(e instanceof DlmsError)) throw e;
    }
    await this.close();
  }
}

export function isTimeout(e: unknown): boolean {
  return e instanceof DlmsError && e.code === DlmsErrorCode.Timeout;
}
