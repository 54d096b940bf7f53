import { describe, expect, it } from 'vitest';
import { DlmsError, DlmsErrorCode } from '../../src/errors.ts';
import { type InvocationCounterChange, InvocationCounterState } from '../../src/security/index.ts';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof DlmsError) return e.code;
    throw e;
  }
  return undefined;
}

describe('InvocationCounterState', () => {
  it('hands out rising send counters and reports each new next value', () => {
    const changes: InvocationCounterChange[] = [];
    const state = new InvocationCounterState({ nextToSend: 7, onChange: (c) => changes.push(c) });
    expect(state.nextToSend()).toBe(7);
    expect(state.nextToSend()).toBe(8);
    expect(state.peekNextToSend).toBe(9);
    expect(changes).toEqual([
      { direction: 'send', next: 8 },
      { direction: 'send', next: 9 },
    ]);
  });

  it('uses 0xFFFFFFFF once and then refuses to wrap', () => {
    const state = new InvocationCounterState({ nextToSend: 0xfffffffe });
    expect(state.nextToSend()).toBe(0xfffffffe);
    expect(state.nextToSend()).toBe(0xffffffff);
    expect(codeOf(() => state.nextToSend())).toBe(DlmsErrorCode.Security);
    expect(codeOf(() => state.nextToSend())).toBe(DlmsErrorCode.Security);
  });

  it('restore only raises', () => {
    const state = new InvocationCounterState({ nextToSend: 100 });
    state.restore(50);
    expect(state.peekNextToSend).toBe(100);
    state.restore(150);
    expect(state.peekNextToSend).toBe(150);
    state.restoreReceived('4d4d4d0000bc614e', 20);
    state.restoreReceived('4D4D4D0000BC614E', 10);
    expect(state.lastReceived('4D4D4D0000BC614E')).toBe(20);
    expect(codeOf(() => state.restore(-1))).toBe(DlmsErrorCode.Security);
    expect(codeOf(() => state.restore(2 ** 33))).toBe(DlmsErrorCode.Security);
  });

  it('accept refuses equal or lower counters per system title and persists through onChange', () => {
    const changes: InvocationCounterChange[] = [];
    const state = new InvocationCounterState({
      received: { AABBCCDDEEFF0011: 3 },
      onChange: (c) => changes.push(c),
    });
    expect(codeOf(() => state.accept('AABBCCDDEEFF0011', 3))).toBe(DlmsErrorCode.Replay);
    expect(codeOf(() => state.accept('aabbccddeeff0011', 2))).toBe(DlmsErrorCode.Replay);
    state.accept('AABBCCDDEEFF0011', 4);
    state.accept('1122334455667788', 0);
    expect(codeOf(() => state.accept('1122334455667788', 0))).toBe(DlmsErrorCode.Replay);
    expect(state.lastReceived('AABBCCDDEEFF0011')).toBe(4);
    expect(state.lastReceived('0000000000000000')).toBeUndefined();
    expect(changes).toEqual([
      { direction: 'receive', systemTitleHex: 'AABBCCDDEEFF0011', last: 4 },
      { direction: 'receive', systemTitleHex: '1122334455667788', last: 0 },
    ]);
  });

  it('a failing store still never lets a counter be reused', () => {
    const state = new InvocationCounterState({
      onChange: () => {
        throw new Error('disk full');
      },
    });
    expect(() => state.nextToSend()).toThrow('disk full');
    expect(state.peekNextToSend).toBe(1);
  });
});
