import { DlmsError, DlmsErrorCode, encodeWrapperPdu } from '@openhes/dlms';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Transport, WrapperLink } from '../src/index.ts';

/** A transport without a socket: the test pushes bytes in by hand. */
class FakeTransport implements Transport {
  readonly kind = 'tcp' as const;
  readonly remote = 'fake:1';
  readonly local = 'fake:2';
  closed = false;
  private data: ((chunk: Uint8Array) => void) | undefined;
  private closeListener: ((error?: DlmsError) => void) | undefined;

  send(): Promise<void> {
    return Promise.resolve();
  }
  onData(listener: (chunk: Uint8Array) => void): void {
    this.data = listener;
  }
  onClose(listener: (error?: DlmsError) => void): void {
    this.closeListener = listener;
  }
  close(): Promise<void> {
    this.closed = true;
    this.closeListener?.();
    return Promise.resolve();
  }
  /** One wrapper PDU from server wPort 1 to client wPort 16. */
  answer(apdu: number[]): void {
    this.data?.(encodeWrapperPdu({ source: 1, destination: 16, apdu: Uint8Array.from(apdu) }));
  }
}

async function outcome(p: Promise<Uint8Array>): Promise<string> {
  return p.then(
    (a) => `apdu ${Array.from(a).join(',')}`,
    (e: unknown) => (e instanceof DlmsError ? e.code : 'other'),
  );
}

describe('LinkBase response timer (one timer per link, deadline per wait)', () => {
  let transport: FakeTransport;
  let link: WrapperLink;
  beforeEach(() => {
    vi.useFakeTimers();
    transport = new FakeTransport();
    link = new WrapperLink(transport, { role: 'client' });
  });
  afterEach(async () => {
    await link.close();
    vi.useRealTimers();
  });

  it('a later wait keeps its own full timeout although the timer was armed by an earlier one', async () => {
    const first = outcome(link.nextApdu(50));
    transport.answer([1]);
    expect(await first).toBe('apdu 1');
    await vi.advanceTimersByTimeAsync(30);
    let settled = false;
    const second = outcome(link.nextApdu(50)).finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(40);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(20);
    expect(await second).toBe(DlmsErrorCode.Timeout);
  });

  it('a shorter timeout than the pending timer still fires on time', async () => {
    const first = outcome(link.nextApdu(10_000));
    transport.answer([2]);
    expect(await first).toBe('apdu 2');
    const second = outcome(link.nextApdu(100));
    await vi.advanceTimersByTimeAsync(150);
    expect(await second).toBe(DlmsErrorCode.Timeout);
  });

  it('an answer before the deadline wins and a wait without timeout never times out', async () => {
    const first = outcome(link.nextApdu(100));
    await vi.advanceTimersByTimeAsync(60);
    transport.answer([3]);
    expect(await first).toBe('apdu 3');
    let settled = false;
    const second = outcome(link.nextApdu()).finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(settled).toBe(false);
    await link.close();
    expect(await second).toBe(DlmsErrorCode.Transport);
  });
});
