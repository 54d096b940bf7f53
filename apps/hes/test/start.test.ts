import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type StartOptions, startHeadEnd } from '../src/commands/start.ts';
import { main } from '../src/main.ts';
import { capture } from './helpers.ts';

async function until(lines: string[], pattern: RegExp): Promise<string> {
  for (let i = 0; i < 500; i++) {
    const hit = lines.find((l) => pattern.test(l));
    if (hit !== undefined) return hit;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no line matching ${pattern}: ${lines.join('\n')}`);
}

async function post(url: string, body: unknown, token?: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

const options = (data: string): StartOptions => ({ data, port: '0', host: '127.0.0.1', logLevel: 'silent' });

describe('hes start', () => {
  it('creates the admin once with a printed one-time password, and a second start resumes', async () => {
    const data = mkdtempSync(join(tmpdir(), 'hes-start-'));
    const first = capture();
    const a = await startHeadEnd(options(data), first.io, {});
    let password = '';
    try {
      const line = first.lines.find((l) => l.startsWith('created user "admin" with one-time password: '));
      password = line!.split(': ')[1]!;
      expect(password.length).toBeGreaterThanOrEqual(20);
      expect((await fetch(`${a.url}/health`)).status).toBe(200);
      const login = await post(`${a.url}/auth/login`, { username: 'admin', password });
      const token = ((await login.json()) as { token: string }).token;
      const plan = {
        name: 'q',
        cron: '*/15 * * * *',
        reads: ['block'],
        meters: 'all',
        windowSeconds: 60,
        enabled: true,
      };
      expect((await post(`${a.url}/plans`, plan, token)).status).toBe(201);
      const imported = await post(
        `${a.url}/meters/import`,
        [
          {
            serial: 'S1',
            manufacturer: 'M',
            model: 'X',
            deviceProfile: 'is15959-1ph',
            protocol: 'dlms-tcp',
            address: '127.0.0.1:1',
          },
        ],
        token,
      );
      expect(imported.status).toBe(200);
    } finally {
      await a.close();
    }

    const second = capture();
    const b = await startHeadEnd(options(data), second.io, {});
    try {
      expect(second.lines.some((l) => l.includes('one-time password'))).toBe(false);
      const login = await post(`${b.url}/auth/login`, { username: 'admin', password });
      expect(login.status).toBe(200);
      const token = ((await login.json()) as { token: string }).token;
      const auth = { headers: { authorization: `Bearer ${token}` } };
      const plans = (await (await fetch(`${b.url}/plans`, auth)).json()) as { items: { name: string }[] };
      expect(plans.items.map((p) => p.name)).toEqual(['q']);
      const meters = (await (await fetch(`${b.url}/meters`, auth)).json()) as { items: { serial: string }[] };
      expect(meters.items.map((m) => m.serial)).toEqual(['S1']);
      const read = await fetch(`${b.url}/meters/999/read`, { method: 'POST', ...auth });
      expect(((await read.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    } finally {
      await b.close();
    }
  });

  it('takes the admin password from HES_ADMIN_PASSWORD and prints none', async () => {
    const data = mkdtempSync(join(tmpdir(), 'hes-start-'));
    const { io, lines } = capture();
    const h = await startHeadEnd(options(data), io, { HES_ADMIN_PASSWORD: 'a-chosen-password' });
    try {
      expect(lines).toContain('created user "admin" with the password from HES_ADMIN_PASSWORD');
      expect(lines.join('\n')).not.toContain('a-chosen-password');
      expect(
        (await post(`${h.url}/auth/login`, { username: 'admin', password: 'a-chosen-password' })).status,
      ).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('runs from the command line until its duration ends, then shuts down cleanly', async () => {
    const data = mkdtempSync(join(tmpdir(), 'hes-start-'));
    const { io, lines } = capture();
    const run = main(
      [
        'node',
        'hes',
        'start',
        '--data',
        data,
        '--port',
        '0',
        '--log-level',
        'silent',
        '--duration',
        '1500ms',
        '--demo',
        '--meters',
        '2',
      ],
      io,
    );
    const head = await until(lines, /^OpenHES API listening on http:\/\/127\.0\.0\.1:\d+/);
    const url = /(http:\/\/\S+)/.exec(head)![1]!;
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await fetch(`${url}/meters`)).status).toBe(401);
    expect(await run).toBe(0);
    expect(lines).toContain('stopped');
    expect(lines.some((l) => l.startsWith('demo: '))).toBe(true);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});
