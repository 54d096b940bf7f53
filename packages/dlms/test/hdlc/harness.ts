import { expect } from 'vitest';
import type { DlmsError } from '../../src/errors.ts';
import {
  HdlcConnection,
  type HdlcConnectionOptions,
  HdlcDeframer,
  type HdlcEvent,
  type HdlcParameters,
  type HdlcStep,
} from '../../src/hdlc/index.ts';

/** Deterministic PRNG (mulberry32) so a failing channel schedule replays from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Faults {
  drop: number;
  duplicate: number;
  corrupt: number;
}

export const NO_FAULTS: Faults = { drop: 0, duplicate: 0, corrupt: 0 };

/**
 * A client and a server HdlcConnection joined by two FIFO byte channels that drop,
 * duplicate and corrupt whole frames and deliver them in random pieces. The client's
 * response timer fires only when both channels are empty. The server application answers
 * the k-th APDU it receives with `responses[k]`.
 */
export class LossyLink {
  readonly client: HdlcConnection;
  readonly server: HdlcConnection;
  readonly toServer: Uint8Array[] = [];
  readonly toClient: Uint8Array[] = [];
  readonly serverDeframer = new HdlcDeframer();
  readonly clientDeframer = new HdlcDeframer();
  readonly atServer: Uint8Array[] = [];
  readonly atClient: Uint8Array[] = [];
  readonly responses: Uint8Array[] = [];
  readonly clientEvents: HdlcEvent[] = [];
  readonly serverEvents: HdlcEvent[] = [];
  timerRunning = false;
  timeouts = 0;
  framesSent = 0;
  private readonly random: () => number;
  private readonly faults: Faults;
  private turn = 0;

  constructor(
    seed: number,
    faults: Faults,
    client: Partial<HdlcParameters>,
    server: Partial<HdlcParameters>,
    extra: Partial<HdlcConnectionOptions> = {},
  ) {
    this.random = prng(seed);
    this.faults = faults;
    const serverAddress = { logical: 1, physical: 17 };
    this.client = new HdlcConnection({
      role: 'client',
      clientAddress: 16,
      serverAddress,
      parameters: client,
      ...extra,
    });
    this.server = new HdlcConnection({ role: 'server', serverAddress, parameters: server, ...extra });
  }

  errors(): DlmsError[] {
    return [...this.clientEvents, ...this.serverEvents].flatMap((e) => (e.type === 'error' ? [e.error] : []));
  }

  fromClient(step: HdlcStep): void {
    this.clientEvents.push(...step.events);
    for (const e of step.events) if (e.type === 'apdu') this.atClient.push(e.apdu.slice());
    if (step.timer === 'start') this.timerRunning = true;
    if (step.timer === 'stop') this.timerRunning = false;
    for (const f of step.send) this.transmit(this.toServer, f);
  }

  fromServer(step: HdlcStep): void {
    this.serverEvents.push(...step.events);
    expect(step.timer).toBeUndefined();
    for (const f of step.send) this.transmit(this.toClient, f);
    for (const e of step.events) {
      if (e.type !== 'apdu') continue;
      const response = this.responses[this.atServer.length];
      this.atServer.push(e.apdu.slice());
      if (response !== undefined) this.fromServer(this.server.sendApdu(response));
    }
  }

  private transmit(queue: Uint8Array[], frame: Uint8Array): void {
    this.framesSent++;
    const r = this.random();
    const { drop, duplicate, corrupt } = this.faults;
    if (r < drop) return;
    if (r < drop + duplicate) {
      queue.push(frame, frame);
    } else if (r < drop + duplicate + corrupt) {
      const bad = frame.slice();
      bad[Math.floor(this.random() * bad.length)]! ^= 1 + Math.floor(this.random() * 255);
      queue.push(bad);
    } else {
      queue.push(frame);
    }
  }

  private deliver(
    bytes: Uint8Array,
    deframer: HdlcDeframer,
    to: HdlcConnection,
    apply: (s: HdlcStep) => void,
  ) {
    const cut = Math.floor(this.random() * bytes.length);
    for (const piece of [bytes.subarray(0, cut), bytes.subarray(cut)]) {
      for (const e of deframer.push(piece)) if (e.type === 'frame') apply(to.receive(e.frame));
    }
  }

  /** One delivery, or a timeout when the line is quiet; false when nothing can happen. */
  step(): boolean {
    const pick = this.toServer.length > 0 && (this.toClient.length === 0 || this.turn++ % 2 === 0);
    if (pick) {
      this.deliver(this.toServer.shift()!, this.serverDeframer, this.server, (s) => this.fromServer(s));
      return true;
    }
    if (this.toClient.length > 0) {
      this.deliver(this.toClient.shift()!, this.clientDeframer, this.client, (s) => this.fromClient(s));
      return true;
    }
    if (this.timerRunning) {
      this.timeouts++;
      this.timerRunning = false;
      this.fromClient(this.client.onTimeout());
      return true;
    }
    return false;
  }

  run(maxSteps: number): number {
    let n = 0;
    while (n < maxSteps && this.step()) n++;
    return n;
  }
}
