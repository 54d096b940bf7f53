import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badPathReason, parseJsonBody } from '../src/errors.ts';
import { type Harness, startApi } from './helpers.ts';

/** A request sent byte for byte (fetch and inject both normalise `..` away before sending). */
// biome-ignore lint/suspicious/noExplicitAny: raw responses are inspected field by field
type Json = any;

function rawGet(base: string, path: string, token: string): Promise<{ status: number; json: Json }> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), '127.0.0.1', () =>
      s.write(
        `GET ${path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\nconnection: close\r\n\r\n`,
      ),
    );
    let data = '';
    s.on('data', (b) => {
      data += b;
    });
    s.on('error', reject);
    s.on('end', () => {
      const status = Number(data.split(' ')[1]);
      const body = data.slice(data.indexOf('\r\n\r\n') + 4);
      let json: Json = null;
      try {
        json = JSON.parse(body);
      } catch {}
      resolve({ status, json });
    });
  });
}

describe('error labels', () => {
  let h: Harness;
  let viewer: string;
  let admin: string;
  beforeAll(async () => {
    h = await startApi();
    viewer = await h.tokenFor('viewer');
    admin = await h.tokenFor('admin');
  });
  afterAll(async () => h.close());

  it('answers a path-traversal attempt 400 BAD_PATH, never a body error', async () => {
    for (const p of [
      '/docs/static/../../package.json',
      '/docs/static/%2e%2e/%2e%2e/package.json',
      '/docs/static/..%5c..%5cpackage.json',
      '/docs/static/..',
      '/docs/static/%00',
      '/meters/%2e%2e',
    ]) {
      const res = await rawGet(h.base, p, viewer);
      expect([p, res.status, res.json?.error?.code]).toEqual([p, 400, 'BAD_PATH']);
    }
    const fine = await rawGet(h.base, '/docs/static/swagger-initializer.js', viewer);
    expect(fine.status).toBe(200);
  });

  it('names the forbidden key of a body with __proto__ or constructor.prototype (400, not "invalid JSON")', async () => {
    for (const [text, key] of [
      ['{"name":"x","role":"viewer","__proto__":{"isAdmin":true}}', '__proto__'],
      ['{"name":"x","role":"viewer","nested":[{"\\u005f_proto__":{}}]}', '__proto__'],
      ['{"name":"x","role":"viewer","constructor":{"prototype":{"a":1}}}', 'constructor.prototype'],
    ] as const) {
      const res = await h.call('POST', '/users', { token: admin, body: text });
      expect([res.status, res.json.error.code, res.json.error.detail?.key]).toEqual([
        400,
        'BODY_FORBIDDEN_KEY',
        key,
      ]);
      expect(res.json.error.message).toContain(key);
      expect(res.json.error.message).not.toMatch(/not valid JSON/);
    }
    const broken = await h.call('POST', '/users', { token: admin, body: '{"name":' });
    expect([broken.status, broken.json.error.code]).toEqual([400, 'BAD_REQUEST_BODY']);
    const ok = await h.call('POST', '/users', { token: admin, body: { name: 'ok-user', role: 'viewer' } });
    expect(ok.status).toBe(201);
  });

  it('keeps the body limit for JSON bodies (413 PAYLOAD_TOO_LARGE)', async () => {
    const small = await startApi({ bodyLimit: 1024 });
    try {
      const token = await small.tokenFor('admin');
      const res = await small.call('POST', '/users', {
        token,
        body: { name: 'x'.repeat(2048), role: 'viewer' },
      });
      expect([res.status, res.json.error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    } finally {
      await small.close();
    }
  });

  it('checks paths and bodies as units', () => {
    expect(badPathReason('/meters/1?x=..')).toBeNull();
    expect(badPathReason('/a/%E0%A4%A')).toMatch(/percent/);
    expect(badPathReason('/a/./b')).toMatch(/"\."/);
    expect(parseJsonBody('{"a":{"constructor":1}}')).toEqual({ a: { constructor: 1 } });
    expect(() => parseJsonBody('')).toThrow(/empty/);
  });
});
