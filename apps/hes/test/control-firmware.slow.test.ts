import net from 'node:net';
import { activeFirmware, buildImage, imageBlockCounts, methodCount } from '@openhes/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlHarness, controlHarness } from './control-harness.ts';

const IMAGE = '0.0.44.0.0.255';
const METERS = 200;
/** Every tenth meter's link drops once, after this many bytes from the head end (mid-transfer). */
const CUT_AFTER = 2500;

/**
 * A TCP relay between the head end and the fleet that passes each meter's traffic to the same
 * meter address and drops the connection of some meters once, in the middle of the transfer.
 */
function dropProxy(fleetPort: number, cutOnce: (host: string) => boolean) {
  const cut = new Set<string>();
  const server = net.createServer((client) => {
    const host = (client.localAddress ?? '').replace(/^::ffff:/, '');
    const upstream = net.connect(fleetPort, host);
    let sent = 0;
    const doCut = cutOnce(host) && !cut.has(host);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (d) => {
      sent += d.length;
      upstream.write(d);
      if (doCut && sent > CUT_AFTER && !cut.has(host)) {
        cut.add(host);
        end();
      }
    });
    upstream.on('data', (d) => client.write(d));
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  return {
    cut,
    listen: () =>
      new Promise<number>((r) =>
        server.listen(0, '0.0.0.0', () => r((server.address() as net.AddressInfo).port)),
      ),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let h: ControlHarness;
let proxy: ReturnType<typeof dropProxy>;
beforeAll(async () => {
  h = await controlHarness(
    // 2 % of the meters' responses lost (link emulation); every meter single-phase (200-byte blocks).
    { meters: METERS, mix: { residential: 1 }, link: { loss: 0.02 } },
    {
      timeoutMs: 1000,
      concurrency: 256,
      control: { runner: { backoffMs: 100, maxBackoffMs: 1000, maxAttempts: 20 } },
      through: async (fleet) => {
        proxy = dropProxy(fleet.port, (host) => {
          const last = Number(host.split('.')[3]);
          return last % 10 === 3;
        });
        return { port: await proxy.listen(), close: proxy.close };
      },
    },
  );
}, 120_000);
afterAll(async () => {
  await h?.close();
});

describe('a firmware campaign over 200 meters with 2 % frame loss and links dropping mid-transfer', () => {
  it('every meter ends on the new firmware; interrupted transfers resume (never initiated twice, blocks sent ≤ image blocks + lost); a corrupted image fails verification and leaves the old firmware', async () => {
    const version = 'OS1P-03.00';
    const bytes = buildImage(version, 4000);
    const blocks = Math.ceil(bytes.length / 200);
    const image = await h.control.uploadImage(
      { identifier: version, version, deviceProfiles: ['is15959-1ph'] },
      bytes,
      h.alice,
    );
    const consumers = Array.from({ length: METERS }, (_, i) => i);
    const campaign = await h.control.requestCampaign(
      {
        name: 'fw 3.00',
        kind: 'firmware-update',
        target: { meterIds: consumers.map(h.idOf) },
        parameters: { imageId: image.id },
        reason: 'maintenance',
        throttle: { maxInFlight: 200, perSegment: 200 },
      },
      h.alice,
    );
    expect(campaign.state).toBe('awaiting-approval');
    await expect(h.control.approveCampaign(campaign.id, h.alice)).rejects.toMatchObject({
      code: 'CONTROL_APPROVAL_REFUSED',
    });
    await h.control.approveCampaign(campaign.id, h.bob);
    const commands = (await h.wired.store.commands.list({ campaignId: campaign.id, limit: 1000 })).items;
    expect(commands.length).toBe(METERS);
    const done = await Promise.all(commands.map((c) => h.settled(c.id, 240_000)));
    const failed = done.filter((c) => c.state !== 'confirmed');
    expect(failed.map((c) => ({ meter: c.meterId, state: c.state, error: c.error }))).toEqual([]);

    const now = h.fleet.now();
    let duplicates = 0;
    let resumed = 0;
    for (const i of consumers) {
      expect(activeFirmware(h.fleet.truth, i, now)).toBe(version);
      // image_transfer_initiate once per meter, whatever happened to the link.
      expect({ meter: i, initiate: methodCount(h.fleet.truth, i, 18, IMAGE, 1) }).toEqual({
        meter: i,
        initiate: 1,
      });
      const b = imageBlockCounts(h.fleet.truth, i);
      expect(b.received - b.duplicates).toBe(blocks);
      duplicates += b.duplicates;
      if (done.find((c) => c.meterId === h.idOf(i))!.attempts > 1) resumed++;
    }
    const stats = h.fleet.stats();
    // Blocks sent beyond the image's: only those whose answer was lost or whose link was cut.
    expect(duplicates).toBeLessThanOrEqual(stats.link.dropped + proxy.cut.size);
    expect(proxy.cut.size).toBeGreaterThanOrEqual(15);
    expect(resumed).toBeGreaterThanOrEqual(proxy.cut.size);
    expect((await h.wired.store.meters.get(h.idOf(0)))?.firmwareVersion).toBe(version);

    // A corrupted image: verification fails, the meter stays on its firmware, nothing activated.
    const bad = buildImage('OS1P-04.00', 4000);
    bad[100] = (bad[100]! ^ 0xff) & 0xff;
    const badImage = await h.control.uploadImage(
      { identifier: 'OS1P-04.00', version: 'OS1P-04.00', deviceProfiles: ['is15959-1ph'] },
      bad,
      h.alice,
    );
    let c = await h.control.requestCommand(
      { kind: 'firmware-update', meterId: h.idOf(5), parameters: { imageId: badImage.id }, reason: 'test' },
      h.alice,
    );
    if (c.state === 'awaiting-approval') c = await h.control.approveCommand(c.id, h.bob);
    const end = await h.settled(c.id, 120_000);
    expect(end.state).toBe('failed');
    // Reported as a failed verification: image_verify refused (other-reason) or status 4 read back.
    expect(
      end.error?.code === 'CONTROL_VERIFY_FAILED' ||
        (end.error?.code === 'CONTROL_METER_REFUSED' &&
          end.error.message.includes('18/0.0.44.0.0.255 method 3')),
    ).toBe(true);
    expect(h.fleet.truth.state(5)?.image?.status).toBe(4);
    expect(activeFirmware(h.fleet.truth, 5, h.fleet.now())).toBe(version);
    expect(methodCount(h.fleet.truth, 5, 18, IMAGE, 4)).toBe(1);
    expect((await h.wired.store.meters.get(h.idOf(5)))?.firmwareVersion).toBe(version);
  }, 300_000);
});
