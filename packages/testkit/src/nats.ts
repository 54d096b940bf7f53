/**
 * NATS for tests: the server URL (HES_TEST_NATS_URL, default nats://127.0.0.1:4222), a
 * reachability check that reads the server's INFO line over plain TCP, and the connection
 * options a test passes to a NATS client. No client library is installed yet; a bus adapter's
 * contract tests bring one and build on these.
 */
import { connect } from 'node:net';

export const NATS_URL = process.env.HES_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** What a NATS server announces on connect (the fields tests look at). */
export interface NatsServerInfo {
  server_id: string;
  version: string;
  jetstream?: boolean;
  max_payload: number;
}

/** Options in the shape of nats.js `connect()`, unique per test file by `name`. */
export function natsConnectionOptions(name: string, url: string = NATS_URL) {
  return { servers: url, name: `hes-test-${name}-${process.pid}`, timeout: 2000, reconnect: false };
}

/** The server's INFO, or undefined when nothing NATS answers at `url` within `timeoutMs`. */
export function natsServerInfo(
  url: string = NATS_URL,
  timeoutMs = 2000,
): Promise<NatsServerInfo | undefined> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    let text = '';
    const socket = connect({ host: hostname, port: Number(port || 4222) });
    const done = (info: NatsServerInfo | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(info);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('error', () => done(undefined));
    socket.on('close', () => done(undefined));
    socket.on('data', (chunk: string) => {
      text += chunk;
      const end = text.indexOf('\r\n');
      if (end < 0) return;
      const line = text.slice(0, end);
      if (!line.startsWith('INFO ')) return done(undefined);
      try {
        done(JSON.parse(line.slice(5)) as NatsServerInfo);
      } catch {
        done(undefined);
      }
    });
  });
}

/** Whether a NATS server answers at `url`. */
export async function natsReachable(url: string = NATS_URL, timeoutMs = 2000): Promise<boolean> {
  return (await natsServerInfo(url, timeoutMs)) !== undefined;
}
