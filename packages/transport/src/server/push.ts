import { encodeWrapperPdu } from '@openhes/dlms';
import type { FrameTrace } from '../link/types.ts';
import { connectTcp } from '../tcp.ts';
import { connectUdp } from '../udp.ts';

export interface PushTarget {
  transport: 'tcp' | 'udp';
  /** The head end's push listener. */
  host: string;
  port: number;
  /** Source address to send from (the meter's own loopback address in a simulated fleet). */
  localAddress?: string;
  /** Logical device wPort of the sender; default 1. */
  sourceWPort?: number;
  /** Push client wPort at the head end; default 102 (IDIS push client). */
  destinationWPort?: number;
  connectTimeoutMs?: number;
  trace?: (frame: FrameTrace) => void;
}

/**
 * Sends APDUs (a DataNotification built with ServerSession.notify, ciphered as configured)
 * to a head end in wrapper PDUs over a fresh TCP connection or UDP socket, then closes it.
 */
export async function sendPush(target: PushTarget, apdus: readonly Uint8Array[]): Promise<void> {
  const common = {
    host: target.host,
    port: target.port,
    ...(target.localAddress === undefined ? {} : { localAddress: target.localAddress }),
  };
  const t =
    target.transport === 'udp'
      ? await connectUdp(common)
      : await connectTcp({
          ...common,
          ...(target.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: target.connectTimeoutMs }),
        });
  try {
    for (const apdu of apdus) {
      const bytes = encodeWrapperPdu({
        source: target.sourceWPort ?? 1,
        destination: target.destinationWPort ?? 102,
        apdu,
      });
      target.trace?.({ direction: 'out', time: Date.now(), bytes, link: 'wrapper' });
      await t.send(bytes);
    }
  } finally {
    await t.close();
  }
}
