import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/bytes.ts';
import { DlmsErrorCode } from '../../src/errors.ts';
import type { HdlcParameters } from '../../src/hdlc/index.ts';
import { type Faults, LossyLink, NO_FAULTS } from './harness.ts';

const MAX_STEPS = 400_000;

function pattern(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (seed + i * 31 + (i >> 8)) & 0xff;
  return out;
}

interface Model {
  requests: Uint8Array[];
}

class SendRequest implements fc.Command<Model, LossyLink> {
  readonly request: Uint8Array;
  readonly response: Uint8Array;
  constructor(requestSize: number, responseSize: number, seed: number) {
    this.request = pattern(requestSize, seed);
    this.response = pattern(responseSize, seed + 1);
  }
  check(): boolean {
    return true;
  }
  run(m: Model, link: LossyLink): void {
    m.requests.push(this.request);
    link.responses.push(this.response);
    link.fromClient(link.client.sendApdu(this.request));
  }
  toString(): string {
    return `send(${this.request.length} → ${this.response.length})`;
  }
}

class Pump implements fc.Command<Model, LossyLink> {
  readonly steps: number;
  constructor(steps: number) {
    this.steps = steps;
  }
  check(): boolean {
    return true;
  }
  run(_m: Model, link: LossyLink): void {
    link.run(this.steps);
  }
  toString(): string {
    return `pump(${this.steps})`;
  }
}

const arbLimits: fc.Arbitrary<Partial<HdlcParameters>> = fc.record({
  maxInfoTransmit: fc.integer({ min: 32, max: 256 }),
  maxInfoReceive: fc.integer({ min: 32, max: 256 }),
  windowTransmit: fc.integer({ min: 1, max: 7 }),
  windowReceive: fc.integer({ min: 1, max: 7 }),
});

const arbFaults: fc.Arbitrary<Faults> = fc.record({
  drop: fc.double({ min: 0, max: 0.12, noNaN: true }),
  duplicate: fc.double({ min: 0, max: 0.12, noNaN: true }),
  corrupt: fc.double({ min: 0, max: 0.12, noNaN: true }),
});

const arbCommands = fc.commands(
  [
    fc
      .tuple(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 5000 }), fc.nat(255))
      .map(([a, b, s]) => new SendRequest(a, b, s)),
    fc.integer({ min: 1, max: 60 }).map((n) => new Pump(n)),
  ],
  { maxCommands: 12 },
);

function settleAndCheck(link: LossyLink, requests: Uint8Array[]): void {
  const steps = link.run(MAX_STEPS);
  expect(steps, 'the link went quiet').toBeLessThan(MAX_STEPS);
  expect(
    link.errors().filter((e) => e.code !== DlmsErrorCode.Checksum && e.code !== DlmsErrorCode.Truncated),
  ).toEqual([]);
  expect(link.atServer.map((a) => toHex(a))).toEqual(requests.map((a) => toHex(a)));
  expect(link.atClient.map((a) => toHex(a))).toEqual(link.responses.map((a) => toHex(a)));
  expect(link.client.state).toBe('connected');
  link.fromClient(link.client.disconnect());
  link.run(MAX_STEPS);
  expect(link.client.state).toBe('disconnected');
  expect(link.clientEvents.at(-1)).toEqual({ type: 'disconnected', reason: 'local' });
  expect(link.server.state).toBe('disconnected');
}

describe('HdlcConnection model: client and server over a lossy channel', () => {
  it('delivers every APDU exactly once, in order, intact (drops, duplicates, corruption)', () => {
    fc.assert(
      fc.property(fc.nat(), arbFaults, arbLimits, arbLimits, arbCommands, (seed, faults, cl, sv, cmds) => {
        const link = new LossyLink(seed, faults, cl, sv, { maxRetries: 40 });
        link.fromClient(link.client.connect());
        const model: Model = { requests: [] };
        fc.modelRun(() => ({ model, real: link }), cmds);
        settleAndCheck(link, model.requests);
      }),
      { numRuns: 80 },
    );
  });

  it('with a perfect channel, needs no timeout and sends the minimum number of frames', () => {
    fc.assert(
      fc.property(
        arbLimits,
        arbLimits,
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 5000 }),
        (cl, sv, a, b) => {
          const link = new LossyLink(1, NO_FAULTS, cl, sv);
          link.fromClient(link.client.connect());
          link.run(MAX_STEPS);
          const p = link.client.parameters;
          link.responses.push(pattern(b, 2));
          const before = link.framesSent;
          link.fromClient(link.client.sendApdu(pattern(a, 1)));
          settleAndCheck(link, [pattern(a, 1)]);
          expect(link.timeouts).toBe(0);
          const up = Math.ceil((a + 3) / p.maxInfoTransmit);
          const down = Math.ceil((b + 3) / p.maxInfoReceive);
          // One RR per full window except the last, in each direction, plus DISC and UA.
          const expected =
            up + Math.ceil(up / p.windowTransmit) - 1 + down + Math.ceil(down / p.windowReceive) - 1 + 2;
          expect(link.framesSent - before).toBe(expected);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('drains the extra window a duplicated poll leaves on the line (counterexample of seed -1921450231)', () => {
    const link = new LossyLink(
      0,
      { drop: 0, duplicate: 0.057115653296932585, corrupt: 0 },
      { maxInfoTransmit: 32, maxInfoReceive: 32, windowTransmit: 1, windowReceive: 6 },
      { maxInfoTransmit: 32, maxInfoReceive: 32, windowTransmit: 6, windowReceive: 1 },
      { maxRetries: 40 },
    );
    link.fromClient(link.client.connect());
    const model: Model = { requests: [] };
    const commands = [
      new SendRequest(158, 4990, 0),
      new SendRequest(94, 3806, 1),
      new SendRequest(0, 4478, 2),
      new SendRequest(0, 0, 3),
      new Pump(1),
    ];
    for (const command of commands) command.run(model, link);
    settleAndCheck(link, model.requests);
  });
});
