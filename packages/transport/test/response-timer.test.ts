import { DlmsError, DlmsErrorCode, encodeWrapperPdu } from '@openhes/dlms';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HdlcLink, type Transport, WrapperLink } from '../src/index.ts';

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
  /** Raw bytes from the peer. */
  push(bytes: Uint8Array): void {
    this.data?.(bytes);
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

describe('the response timeout is the silence allowed from the peer, not the time for the whole APDU', () => {
  let transport: FakeTransport;
  let link: WrapperLink;
  let start = 0;
  beforeEach(() => {
    vi.useFakeTimers();
    start = Date.now();
    transport = new FakeTransport();
    link = new WrapperLink(transport, { role: 'client' });
  });
  afterEach(async () => {
    await link.close();
    vi.useRealTimers();
  });

  const body = Array.from({ length: 40 }, (_, i) => i);
  const pdu = encodeWrapperPdu({ source: 1, destination: 16, apdu: Uint8Array.from(body) });

  it('wrapper: a PDU in chunks 60 ms apart arrives whole although it takes 10 × the 100 ms timeout', async () => {
    const reply = outcome(link.nextApdu(100));
    for (let i = 0; i < pdu.length; i += 2) {
      await vi.advanceTimersByTimeAsync(60);
      transport.push(pdu.subarray(i, i + 2));
    }
    expect(Date.now() - start).toBeGreaterThan(1000);
    expect(await reply).toBe(`apdu ${body.join(',')}`);
  });

  it('wrapper: a PDU that stops half-way fails with ResponseTimeout 100 ms after its last bytes', async () => {
    let settled = false;
    const reply = link
      .nextApdu(100)
      .catch((e: unknown) => e)
      .finally(() => {
        settled = true;
      });
    for (let i = 0; i < 20; i += 2) {
      await vi.advanceTimersByTimeAsync(60);
      transport.push(pdu.subarray(i, i + 2));
    }
    await vi.advanceTimersByTimeAsync(99);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(2);
    const e = await reply;
    expect(e).toBeInstanceOf(DlmsError);
    expect((e as DlmsError).code).toBe(DlmsErrorCode.Timeout);
    expect((e as DlmsError).detail?.reason).toBe('response-timeout');
    expect((e as DlmsError).message).toContain('no data from the meter within 100 ms');
  });

  it('wrapper: maxMs caps a peer that dribbles just fast enough to keep the silence timeout alive', async () => {
    let settled = false;
    const reply = link
      .nextApdu(100, { maxMs: 500 })
      .catch((e: unknown) => e)
      .finally(() => {
        settled = true;
      });
    for (let i = 0; i < 12; i++) {
      await vi.advanceTimersByTimeAsync(60);
      if (settled) break;
      transport.push(pdu.subarray(i, i + 1));
    }
    expect(settled).toBe(true);
    expect(Date.now() - start).toBeLessThan(560);
    const e = (await reply) as DlmsError;
    expect(e.detail?.reason).toBe('response-timeout');
    expect(e.message).toContain('response not complete (overall limit) within 500 ms');
  });
});

/**
 * One end of an in-memory byte pipe. What it sends arrives at the other end `delayMs` later
 * (in order), unless `drop(n)` says the n-th send (from 0) is lost.
 */
class PipeEnd implements Transport {
  readonly kind = 'tcp' as const;
  readonly remote: string;
  readonly local: string;
  closed = false;
  peer: PipeEnd | undefined;
  delayMs = 0;
  drop: (n: number) => boolean = () => false;
  sent = 0;
  /** Date.now() when bytes last arrived here. */
  lastIn = 0;
  private data: ((chunk: Uint8Array) => void) | undefined;
  private closeListener: ((error?: DlmsError) => void) | undefined;

  constructor(local: string, remote: string) {
    this.local = local;
    this.remote = remote;
  }
  send(bytes: Uint8Array): Promise<void> {
    if (this.drop(this.sent++)) return Promise.resolve();
    const copy = bytes.slice();
    setTimeout(() => this.peer?.arrive(copy), this.delayMs);
    return Promise.resolve();
  }
  private arrive(bytes: Uint8Array): void {
    if (this.closed) return;
    this.lastIn = Date.now();
    this.data?.(bytes);
  }
  onData(listener: (chunk: Uint8Array) => void): void {
    this.data = listener;
  }
  onClose(listener: (error?: DlmsError) => void): void {
    this.closeListener = listener;
  }
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.closeListener?.();
    }
    return Promise.resolve();
  }
}

describe('HDLC: every frame of a segmented response re-arms the response timeout', () => {
  /** 1000 bytes + LLC in 128-byte information fields: 8 I-frames, each after an RR poll. */
  const REPLY = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff);
  let meterEnd: PipeEnd;
  let client: HdlcLink;

  beforeEach(async () => {
    vi.useFakeTimers();
    const ours = new PipeEnd('hes', 'meter');
    meterEnd = new PipeEnd('meter', 'hes');
    ours.peer = meterEnd;
    meterEnd.peer = ours;
    meterEnd.delayMs = 40;
    const meter = new HdlcLink(meterEnd, { role: 'server', maxInfo: 128 });
    meter.onApdu(() => void meter.sendApdu(REPLY));
    client = new HdlcLink(ours, {
      role: 'client',
      clientAddress: 16,
      serverAddress: { logical: 1 },
      maxInfo: 128,
      // The poll timer: longer than a round trip (40 ms), shorter than the response timeout.
      responseTimeoutMs: 60,
      maxRetries: 10,
    });
    const opened = client.open();
    await vi.advanceTimersByTimeAsync(50);
    await opened;
  });
  afterEach(async () => {
    await client.close({ disconnect: false });
    await meterEnd.close();
    vi.useRealTimers();
  });

  it('eight segments 40 ms apart make a whole APDU although together they take over 3 × the 100 ms timeout', async () => {
    const t0 = Date.now();
    let took = 0;
    const reply = client.nextApdu(100).then(
      (apdu) => {
        took = Date.now() - t0;
        return apdu;
      },
      (e: unknown) => e,
    );
    await client.sendApdu(Uint8Array.of(0xc0, 0x01));
    await vi.advanceTimersByTimeAsync(1000);
    expect(await reply).toEqual(REPLY);
    expect(meterEnd.sent).toBe(9);
    expect(took).toBeGreaterThan(300);
    expect(client.closed).toBe(false);
  });

  it('a lost segment is polled for again by the link within the response timeout', async () => {
    meterEnd.drop = (n) => n === 4;
    const reply = client.nextApdu(150).catch((e: unknown) => e);
    await client.sendApdu(Uint8Array.of(0xc0, 0x01));
    await vi.advanceTimersByTimeAsync(1000);
    expect(await reply).toEqual(REPLY);
  });

  it('a response that stalls after three segments fails with ResponseTimeout 100 ms after the last frame', async () => {
    meterEnd.drop = (n) => n >= 4;
    let settled = false;
    const reply = client
      .nextApdu(100)
      .catch((e: unknown) => e)
      .finally(() => {
        settled = true;
      });
    await client.sendApdu(Uint8Array.of(0xc0, 0x01));
    while (!settled) await vi.advanceTimersByTimeAsync(1);
    const silence = Date.now() - meterEnd.peer!.lastIn;
    expect(silence).toBeGreaterThanOrEqual(100);
    expect(silence).toBeLessThanOrEqual(102);
    const e = (await reply) as DlmsError;
    expect(e).toBeInstanceOf(DlmsError);
    expect(e.code).toBe(DlmsErrorCode.Timeout);
    expect(e.detail?.reason).toBe('response-timeout');
    expect(e.message).toContain('no frame from the meter within 100 ms');
  });
});
