// What third-party DLMS meters showed (issue 13), over a real TCP wrapper link: the loopback
// test meter behind a server that can misnumber its answers and records every request.
import { DlmsErrorCode, ServerSession } from '@openhes/dlms';
import type { Cleanups } from '@openhes/testkit/loopback';
import { CLOCK, DISCONNECT, ENERGY, servedBy, TestMeter, VOLTAGE } from '@openhes/testkit/meters';
import { afterEach, describe, expect, it } from 'vitest';
import { type ClientWarning, DlmsClient, listenTcp, WrapperLink } from '../src/index.ts';

const cleanups: Cleanups = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

interface QuirkyMeter {
  port: number;
  meter: TestMeter;
  /** Every APDU the meter received, in order. */
  requests: Uint8Array[];
}

const SERVICE_RESPONSES = new Set([0xc4, 0xc5, 0xc7]);

/**
 * The test meter over TCP/wrapper; with `misnumber` its get/set/action responses carry the
 * request's invoke-id + 1 (as a meter with a broken invoke-id counter does).
 */
async function quirkyMeter(misnumber: boolean): Promise<QuirkyMeter> {
  const meter = new TestMeter();
  const requests: Uint8Array[] = [];
  const server = await listenTcp({ port: 0 }, (t) => {
    const link = new WrapperLink(t, { role: 'server' });
    const session = new ServerSession({ ...servedBy(meter), clientSap: 16 });
    link.onApdu((apdu, from) => {
      requests.push(apdu.slice());
      for (const out of session.receive(apdu).send) {
        const answer = out.slice();
        if (misnumber && SERVICE_RESPONSES.has(answer[0]!)) {
          answer[2] = (answer[2]! & 0xf0) | ((answer[2]! + 1) & 0x0f);
        }
        link.sendApdu(answer, from).catch(() => {});
      }
    });
  });
  cleanups.push(() => server.close());
  return { port: server.port, meter, requests };
}

async function connect(port: number, warnings: ClientWarning[] = []): Promise<DlmsClient> {
  const client = await DlmsClient.connect({
    transport: { kind: 'tcp', host: '127.0.0.1', port },
    link: { kind: 'wrapper', clientWPort: 16, serverWPort: 1 },
    responseTimeoutMs: 5_000,
    onWarning: (w) => warnings.push(w),
  });
  cleanups.push(() => client.end());
  return client;
}

/** Service (tag) and choice of each GET request the meter received. */
function getRequests(requests: readonly Uint8Array[]): string[] {
  return requests
    .filter((r) => r[0] === 0xc0)
    .map((r) => (r[1] === 1 ? 'normal' : r[1] === 3 ? 'with-list' : 'next'));
}

describe('third-party peers', () => {
  it('getMany of one attribute sends GET-Request-Normal although multiple-references is granted', async () => {
    const m = await quirkyMeter(false);
    const client = await connect(m.port);
    expect(client.info?.conformance['multiple-references']).toBe(true);
    const one = await client.getMany([{ obis: ENERGY, classId: 3, attr: 2 }]);
    expect(one).toEqual([{ ok: true, value: m.meter.values.get(`3/${ENERGY}/2`) }]);
    const two = await client.getMany([
      { obis: ENERGY, classId: 3, attr: 2 },
      { obis: VOLTAGE, classId: 3, attr: 2 },
    ]);
    expect(two.map((r) => r.ok)).toEqual([true, true]);
    expect(getRequests(m.requests)).toEqual(['normal', 'with-list']);
  });

  it('a response with the wrong invoke-id to the only request outstanding is accepted with a warning', async () => {
    const m = await quirkyMeter(true);
    const warnings: ClientWarning[] = [];
    const client = await connect(m.port, warnings);
    expect(await client.get(ENERGY, 3, 2)).toEqual(m.meter.values.get(`3/${ENERGY}/2`));
    // The public association may not write or act: the misnumbered refusals are still taken as answers.
    const set = await client.set(CLOCK, 8, 2, m.meter.values.get(`8/${CLOCK}/2`)!).catch((e: unknown) => e);
    expect(set).toMatchObject({ code: DlmsErrorCode.AccessResult });
    const act = await client
      .action(DISCONNECT, 70, 1, { type: 'integer', value: 0 })
      .catch((e: unknown) => e);
    expect(act).toMatchObject({ code: DlmsErrorCode.AccessResult });
    expect(m.meter.outputState).toBe(true);
    expect(warnings.map((w) => w.code)).toEqual([
      'INVOKE_ID_MISMATCH',
      'INVOKE_ID_MISMATCH',
      'INVOKE_ID_MISMATCH',
    ]);
    expect(warnings[0]!.message).toMatch(/invoke-id \d+ accepted for request invoke-id \d+/);
    const requestIds = m.requests.filter((r) => r[0] === 0xc0).map((r) => r[2]! & 0x0f);
    expect(requestIds).toHaveLength(1);
  });
});
