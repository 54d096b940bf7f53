import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Role, Store } from '@openhes/core';
import { openStore } from '@openhes/storage';
import { type BuildApiOptions, buildApi } from '../src/app.ts';
import { ensureAdminUser } from '../src/auth/bootstrap.ts';
import { hashToken, newTokenSecret } from '../src/auth/tokens.ts';
import type { Api } from '../src/context.ts';

export const ADMIN_PASSWORD = 'correct-horse-battery';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
  json: any;
}

export interface CallOptions {
  token?: string | null;
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface Harness {
  app: Api;
  store: Store;
  base: string;
  clock: { t: number; now(): number };
  call(method: string, path: string, o?: CallOptions): Promise<Reply>;
  /** A user of that role with a fresh API token (created through the store). */
  tokenFor(role: Role, name?: string): Promise<string>;
  login(username?: string, password?: string): Promise<Reply>;
  close(): Promise<void>;
}

let userSeq = 0;

export async function startApi(options: Partial<BuildApiOptions> = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'hes-api-'));
  const store = await openStore({ kind: 'sqlite', path: join(dir, 'hes.db') });
  await ensureAdminUser(store.users, ADMIN_PASSWORD);
  const clock = {
    t: Date.UTC(2025, 0, 15),
    now(): number {
      return this.t;
    },
  };
  const app = await buildApi({ store, clock, ...options });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const base = `http://127.0.0.1:${address.port}`;

  const call: Harness['call'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let body: string | undefined;
    if (o.body !== undefined) {
      headers['content-type'] = o.contentType ?? 'application/json';
      body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
    }
    const res = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: res.status, headers: res.headers, text, json };
  };

  return {
    app,
    store,
    base,
    clock,
    call,
    async tokenFor(role, name) {
      userSeq += 1;
      const user = await store.users.create({
        name: name ?? `${role}-${userSeq}`,
        displayName: role,
        role,
        passwordHash: null,
      });
      const secret = newTokenSecret();
      await store.tokens.create({
        userId: user.id,
        name: 't',
        tokenHash: hashToken(secret),
        scopes: ['api'],
        expiresAt: null,
      });
      return secret;
    },
    login: (username = 'admin', password = ADMIN_PASSWORD) =>
      call('POST', '/auth/login', { body: { username, password } }),
    async close() {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function meterRow(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    serial: `SN${String(i).padStart(6, '0')}`,
    manufacturer: i % 2 === 0 ? 'Acme' : 'Globex',
    model: 'E100',
    deviceProfile: 'is15959-1ph',
    protocol: 'dlms-tcp',
    address: `127.1.0.${(i % 250) + 1}:4059`,
    ...extra,
  };
}
