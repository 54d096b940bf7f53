import { DEFAULT_PUSH_LIMITS, type PushLimits } from '@openhes/drivers';
import { parseDuration } from '@openhes/simulator';
import type { Command } from 'commander';
import type { WireOptions } from '../wire.ts';

/** The options of `hes start` and `hes collect` that bound what the push port and its peers may hold. */
export interface LimitOptions {
  maxSockets?: string;
  pushMaxConnections?: string;
  pushMaxPerHost?: string;
  pushMaxPdu?: string;
  pushPduTimeout?: string;
}

export function addLimitOptions(c: Command): Command {
  return c
    .option(
      '--max-sockets <n>',
      'sockets this process may hold at once, shared as API 1/8, collectors 1/4, push listener 1/2 (at most), 1/8 spare (default 8192, or 60% of a lower open-file limit)',
    )
    .option(
      '--push-max-connections <n>',
      `push listener: TCP connections at once (${DEFAULT_PUSH_LIMITS.maxConnections})`,
    )
    .option(
      '--push-max-per-host <n>',
      `push listener: TCP connections at once from one address (${DEFAULT_PUSH_LIMITS.maxConnectionsPerHost})`,
    )
    .option(
      '--push-max-pdu <bytes>',
      `push listener: the meters' largest PDU; a longer one is refused at once (${DEFAULT_PUSH_LIMITS.maxApduLength})`,
    )
    .option(
      '--push-pdu-timeout <d>',
      `push listener: time for a whole PDU from its first byte (${DEFAULT_PUSH_LIMITS.pduDeadlineMs / 1000}s)`,
    );
}

function count(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`--${name} must be ${min}…${max}, got "${text}"`);
  return n;
}

/** The wiring's socket budget and push limits from the options; absent ones keep their defaults. */
export function limitWireOptions(o: LimitOptions): Pick<WireOptions, 'maxSockets' | 'pushLimits'> {
  const maxSockets = count('max-sockets', o.maxSockets, 16, 1_000_000);
  const limits: Partial<PushLimits> = {};
  const maxConnections = count('push-max-connections', o.pushMaxConnections, 1, 1_000_000);
  if (maxConnections !== undefined) limits.maxConnections = maxConnections;
  const perHost = count('push-max-per-host', o.pushMaxPerHost, 1, 1_000_000);
  if (perHost !== undefined) limits.maxConnectionsPerHost = perHost;
  const maxPdu = count('push-max-pdu', o.pushMaxPdu, 16, 0xffff);
  if (maxPdu !== undefined) limits.maxApduLength = maxPdu;
  if (o.pushPduTimeout !== undefined) {
    const ms = parseDuration(o.pushPduTimeout);
    if (ms < 1) throw new Error(`--push-pdu-timeout must be above zero, got "${o.pushPduTimeout}"`);
    limits.pduDeadlineMs = ms;
  }
  return { ...(maxSockets === undefined ? {} : { maxSockets }), pushLimits: limits };
}
