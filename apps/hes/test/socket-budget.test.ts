import { describe, expect, it } from 'vitest';
import { limitWireOptions } from '../src/commands/limits.ts';
import { defaultMaxSockets, socketBudget } from '../src/wire.ts';

describe('hes socket budget and push limits', () => {
  it('defaults well under the descriptor limit and keeps shares for the API and the collectors', () => {
    expect(defaultMaxSockets(20_000)).toBe(8192);
    expect(defaultMaxSockets(1024)).toBe(614);
    expect(defaultMaxSockets(undefined)).toBe(8192);
    const b = socketBudget(800);
    expect(b.usage().byUse).toMatchObject({
      api: { share: 100 },
      collector: { share: 200 },
      push: { share: 400 },
    });
    // The push share is a cap: a flood takes 400 and no more; the API and collectors keep theirs.
    let push = 0;
    while (b.tryAcquire('push') !== undefined) push++;
    expect(push).toBe(400);
    for (let i = 0; i < 100; i++) expect(b.tryAcquire('api')).toBeDefined();
    for (let i = 0; i < 200; i++) expect(b.tryAcquire('collector')).toBeDefined();
  });

  it('reads the options and refuses bad ones before anything is written', () => {
    expect(
      limitWireOptions({
        maxSockets: '800',
        pushMaxConnections: '300',
        pushMaxPerHost: '20',
        pushMaxPdu: '2048',
        pushPduTimeout: '10s',
      }),
    ).toEqual({
      maxSockets: 800,
      pushLimits: {
        maxConnections: 300,
        maxConnectionsPerHost: 20,
        maxApduLength: 2048,
        pduDeadlineMs: 10_000,
      },
    });
    expect(limitWireOptions({})).toEqual({ pushLimits: {} });
    expect(() => limitWireOptions({ pushMaxPdu: '70000' })).toThrow(/--push-max-pdu/);
    expect(() => limitWireOptions({ maxSockets: 'lots' })).toThrow(/--max-sockets/);
  });
});
