import { createHash } from 'node:crypto';
import { MAX_FIRMWARE_IMAGE_BYTES, type NewMeter } from '@openhes/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeControl } from './control-fake.ts';
import { type Harness, meterRow, startApi } from './helpers.ts';

interface Injected {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: responses are inspected field by field
  json: any;
}

const IMAGE = new Uint8Array(4096).map((_, i) => (i * 7 + 3) & 0xff);
const SHA = createHash('sha256').update(IMAGE).digest('hex');

describe('meter-control routes: firmware images', () => {
  let h: Harness;
  const control = new FakeControl();
  let operator: string;
  let viewer: string;
  let admin: string;
  const call = async (
    method: string,
    url: string,
    token: string | null,
    body?: unknown,
    type?: string,
  ): Promise<Injected> => {
    const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
    if (type !== undefined) headers['content-type'] = type;
    const res = await h.app.inject({
      method: method as 'GET',
      url,
      headers,
      ...(body === undefined ? {} : { payload: body as Buffer }),
    });
    return { status: res.statusCode, json: res.body === '' ? null : res.json() };
  };
  const upload = (query: string, bytes: Uint8Array, token = operator) =>
    call('POST', `/firmware/images?${query}`, token, Buffer.from(bytes), 'application/octet-stream');

  beforeAll(async () => {
    h = await startApi({ control, bodyLimit: 1024 * 1024 });
    control.store = h.store;
    operator = await h.tokenFor('operator', 'olga');
    viewer = await h.tokenFor('viewer', 'vic');
    admin = await h.tokenFor('admin', 'ada');
  });
  afterAll(async () => h.close());

  it('uploads raw bytes with metadata in the query: 201, stored with its hash, the bytes kept', async () => {
    const res = await upload(
      `identifier=FW-2.1.0&version=2.1.0&deviceProfiles=idis-3ph,is15959-3ph&sha256=${SHA.toUpperCase()}`,
      IMAGE,
    );
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      identifier: 'FW-2.1.0',
      version: '2.1.0',
      deviceProfiles: ['idis-3ph', 'is15959-3ph'],
      size: IMAGE.length,
      sha256: SHA,
      uploadedBy: 'olga',
    });
    const [image, bytes, actor] = control.callsOf('uploadImage').at(-1) as [unknown, Uint8Array, unknown];
    expect(image).toEqual({
      identifier: 'FW-2.1.0',
      version: '2.1.0',
      deviceProfiles: ['idis-3ph', 'is15959-3ph'],
      sha256: SHA,
    });
    expect(Buffer.from(bytes).equals(Buffer.from(IMAGE))).toBe(true);
    expect(actor).toMatchObject({ name: 'olga', address: '127.0.0.1' });
    const stored = await h.store.firmware.bytes(res.json.id);
    expect(stored && Buffer.from(stored).equals(Buffer.from(IMAGE))).toBe(true);
    const audit = await h.store.audit.list({ actor: 'olga', target: `firmware:${res.json.id}` });
    expect(audit.items.map((a) => [a.action, a.outcome, a.detail?.sha256])).toEqual([
      ['firmware.upload', 'succeeded', SHA],
    ]);
  });

  it('a hash that does not match is the service’s 400 naming sha256; nothing stored', async () => {
    const before = (await h.store.firmware.list({})).items.length;
    const other = new Uint8Array(IMAGE);
    other[10] = (other[10] ?? 0) ^ 0xff;
    const res = await upload(`identifier=FW-X&version=9&sha256=${SHA}`, other);
    expect([res.status, res.json.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(res.json.error.detail).toMatchObject({ field: 'sha256', reason: 'CONTROL_INVALID' });
    expect((await h.store.firmware.list({})).items.length).toBe(before);
  });

  it(`an image over ${MAX_FIRMWARE_IMAGE_BYTES} bytes is 413 before the service sees it, above the API's own body limit`, async () => {
    const before = control.callsOf('uploadImage').length;
    // The API's body limit here is 1 MiB: the upload route has its own.
    const big = await upload('identifier=FW-BIG&version=3', new Uint8Array(2 * 1024 * 1024));
    expect(big.status).toBe(201);
    const res = await upload('identifier=FW-HUGE&version=3', new Uint8Array(MAX_FIRMWARE_IMAGE_BYTES + 1));
    expect([res.status, res.json.error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect(control.callsOf('uploadImage').length).toBe(before + 1);
    // JSON elsewhere keeps the API's limit.
    const json = await call(
      'POST',
      '/commands',
      operator,
      JSON.stringify({ x: 'y'.repeat(2 * 1024 * 1024) }),
      'application/json',
    );
    expect(json.status).toBe(413);
  });

  it('refuses an empty image, a JSON body, missing or bad metadata, naming what is wrong', async () => {
    const empty = await upload('identifier=FW-E&version=1', new Uint8Array(0));
    expect([empty.status, empty.json.error.detail?.field]).toEqual([400, 'body']);
    const json = await call(
      'POST',
      '/firmware/images?identifier=FW-J&version=1',
      operator,
      '{"a":1}',
      'application/json',
    );
    expect([json.status, json.json.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const text = await call(
      'POST',
      '/firmware/images?identifier=FW-J&version=1',
      operator,
      'abc',
      'text/plain',
    );
    expect(text.status).toBe(415);
    for (const [query, field] of [
      ['version=1', 'identifier'],
      ['identifier=FW', 'version'],
      ['identifier=has%20space&version=1', 'identifier'],
      ['identifier=FW&version=1&sha256=abc', 'sha256'],
      ['identifier=FW&version=1&deviceProfiles=a,,b', 'deviceProfiles'],
      ['identifier=FW&version=1&colour=red', 'colour'],
    ] as const) {
      const res = await upload(query, IMAGE);
      expect([query, res.status, res.json.error.code]).toEqual([query, 400, 'VALIDATION_FAILED']);
      expect(res.json.error.message).toContain(field);
    }
  });

  it('roles: a viewer reads but cannot upload, an operator cannot delete', async () => {
    expect((await upload('identifier=FW-V&version=1', IMAGE, viewer)).status).toBe(403);
    expect((await upload('identifier=FW-V&version=1', IMAGE, '')).status).toBe(401);
    const list = await call('GET', '/firmware/images', viewer);
    expect(list.status).toBe(200);
    expect(list.json.items.length).toBeGreaterThan(0);
    expect((await call('DELETE', `/firmware/images/${list.json.items[0].id}`, operator)).status).toBe(403);
  });

  it('lists by page, gets one, 404 for unknown', async () => {
    await upload('identifier=FW-3&version=3.0', new Uint8Array([1, 2, 3]));
    const all = (await call('GET', '/firmware/images', viewer)).json.items.map((i: { id: number }) => i.id);
    expect(all.length).toBe(3);
    const first = await call('GET', '/firmware/images?limit=2', viewer);
    expect(first.json.items.length).toBe(2);
    const rest = await call(
      'GET',
      `/firmware/images?limit=2&cursor=${encodeURIComponent(first.json.nextCursor)}`,
      viewer,
    );
    expect([...first.json.items, ...rest.json.items].map((i: { id: number }) => i.id)).toEqual(all);
    expect(rest.json.nextCursor).toBeNull();
    const one = await call('GET', `/firmware/images/${all[0]}`, viewer);
    expect([one.status, one.json.sha256]).toEqual([200, SHA]);
    expect((await call('GET', '/firmware/images/999999', viewer)).status).toBe(404);
  });

  it('admin deletes an image (204, then 404); one named by an unfinished command is refused 409', async () => {
    const meter = await h.store.meters.create(meterRow(1) as unknown as NewMeter);
    const images = (await call('GET', '/firmware/images', viewer)).json.items as {
      id: number;
      identifier: string;
    }[];
    const used = images.find((i) => i.identifier === 'FW-2.1.0')!;
    const free = images.find((i) => i.identifier === 'FW-3')!;
    const cmd = await call('POST', `/meters/${meter.id}/firmware`, operator, {
      reason: 'maintenance',
      parameters: { imageId: used.id, activateAt: '2030-01-01T00:00:00Z' },
    });
    expect([cmd.status, cmd.json.kind, cmd.json.parameters]).toEqual([
      202,
      'firmware-update',
      { imageId: used.id, activateAt: Date.parse('2030-01-01T00:00:00Z') },
    ]);
    const refused = await call('DELETE', `/firmware/images/${used.id}`, admin);
    expect([refused.status, refused.json.error.code]).toEqual([409, 'CONFLICT']);
    expect(await h.store.firmware.get(used.id)).not.toBeNull();
    const gone = await call('DELETE', `/firmware/images/${free.id}`, admin);
    expect(gone.status).toBe(204);
    expect(await h.store.firmware.get(free.id)).toBeNull();
    expect((await call('DELETE', `/firmware/images/${free.id}`, admin)).status).toBe(404);
    const audit = await h.store.audit.list({ actor: 'ada' });
    expect(audit.items.map((a) => [a.action, a.target, a.outcome])).toEqual([
      ['firmware.delete', `firmware:${used.id}`, 'failed'],
      ['firmware.delete', `firmware:${free.id}`, 'succeeded'],
      ['firmware.delete', `firmware:${free.id}`, 'failed'],
    ]);
  });
});

describe('firmware upload without a control service', () => {
  it('answers 503 CONTROL_UNAVAILABLE; listing still works', async () => {
    const h = await startApi();
    try {
      const op = await h.tokenFor('operator');
      const res = await h.app.inject({
        method: 'POST',
        url: '/firmware/images?identifier=FW&version=1',
        headers: { authorization: `Bearer ${op}`, 'content-type': 'application/octet-stream' },
        payload: Buffer.from(IMAGE),
      });
      expect([res.statusCode, res.json().error.code]).toEqual([503, 'CONTROL_UNAVAILABLE']);
      const list = await h.app.inject({
        method: 'GET',
        url: '/firmware/images',
        headers: { authorization: `Bearer ${op}` },
      });
      expect(list.json()).toEqual({ items: [], nextCursor: null });
    } finally {
      await h.close();
    }
  });
});
