import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DlmsData } from '../../src/axdr/index.ts';
import {
  CLOCK,
  DISCONNECT_STATE,
  ECHO_DATA,
  makePair,
  REMOTE_DISCONNECT,
  REMOTE_RECONNECT,
} from './fixtures.ts';

// Model-based: random sequences of GET/SET/ACTION against a plain map of expected values,
// over every security policy and with small PDUs so that block transfer is exercised.

type Command =
  | { kind: 'get'; target: 'clock' | 'echo' | 'state' }
  | { kind: 'set'; target: 'clock' | 'echo'; value: DlmsData }
  | { kind: 'action'; method: 1 | 2 };

const REFS = { clock: CLOCK, echo: ECHO_DATA, state: DISCONNECT_STATE };

const value: fc.Arbitrary<DlmsData> = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }).map((v) => ({ type: 'double-long-unsigned' as const, value: v })),
  fc.uint8Array({ maxLength: 600 }).map((v) => ({ type: 'octet-string' as const, value: v })),
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 80 }).map((xs) => ({
    type: 'array' as const,
    value: xs.map((x) => ({ type: 'unsigned' as const, value: x })),
  })),
);

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.constantFrom('clock', 'echo', 'state').map((target) => ({ kind: 'get' as const, target })),
  fc.record({ kind: fc.constant('set' as const), target: fc.constantFrom('clock', 'echo'), value }),
  fc.constantFrom(1 as const, 2 as const).map((method) => ({ kind: 'action' as const, method })),
);

describe('client/server model-based', () => {
  it('random GET/SET/ACTION sequences agree with a map', () => {
    fc.assert(
      fc.property(
        fc.array(command, { minLength: 1, maxLength: 12 }),
        fc.constantFrom('none', 'auth', 'enc', 'auth+enc'),
        fc.constantFrom(96, 256, 1024),
        fc.boolean(),
        (commands, policy, pdu, gbt) => {
          const pair = makePair({
            server: { policy, maxReceivePduSize: pdu },
            client: { maxReceivePduSize: pdu },
            ...(gbt ? { serverConformance: ['general-block-transfer', 'get', 'set', 'action'] } : {}),
          });
          pair.ok(pair.client.associate());
          const expected = new Map<string, DlmsData>([
            [
              'clock',
              pair.model.get(undefined, {
                classId: 8,
                obis: Uint8Array.of(0, 0, 1, 0, 0, 255),
                attributeId: 2,
              }) as DlmsData,
            ],
            ['echo', { type: 'null-data' }],
            ['state', { type: 'enum', value: 1 }],
          ]);
          for (const c of commands) {
            if (c.kind === 'get') {
              expect(pair.ok(pair.client.get(REFS[c.target]))).toEqual(expected.get(c.target));
            } else if (c.kind === 'set') {
              pair.ok(pair.client.set(REFS[c.target], c.value));
              expected.set(c.target, c.value);
            } else {
              pair.ok(
                pair.client.action(c.method === 1 ? REMOTE_DISCONNECT : REMOTE_RECONNECT, {
                  type: 'integer',
                  value: 0,
                }),
              );
              expected.set('state', { type: 'enum', value: c.method === 1 ? 0 : 1 });
            }
          }
          pair.ok(pair.client.release());
        },
      ),
      { numRuns: 60 },
    );
  });
});
