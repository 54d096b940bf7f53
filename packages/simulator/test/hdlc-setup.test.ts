import { DlmsClient } from '@openhes/transport';
import { describe, expect, it } from 'vitest';
import { startFleet } from '../src/fleet/fleet.ts';
import { type DeviceProfile, hdlcSetupOf, ProfileError, validateProfile } from '../src/profiles.ts';
import { clientOptions } from './client-helpers.ts';
import { PROFILES, START } from './helpers.ts';

const HDLC_SETUP = '0.0.22.0.0.255';
/** HDLC frame bytes around the information field: flags, format, addresses, control, HCS, FCS. */
const FRAME_OVERHEAD = 2 + 2 + 1 + 4 + 1 + 2 + 2;

function withHdlc(p: DeviceProfile, maxInfo: number): DeviceProfile {
  const q = structuredClone(p);
  const o = q.objects.find((x) => x.class === 23)!;
  o.hdlc = { ...o.hdlc!, maxInfoFieldLengthReceive: maxInfo, maxInfoFieldLengthTransmit: maxInfo };
  return validateProfile(q);
}

async function largestFrameIn(profiles: ReadonlyMap<string, DeviceProfile>) {
  const f = await startFleet({
    meters: 4,
    transformers: 1,
    seed: 5,
    startAt: START,
    port: 0,
    tickMs: 0,
    profiles,
    clock: () => START,
    mix: { commercial: 1 },
    background: false,
  });
  try {
    const meter = [0, 1, 2, 3].find((i) => f.truth.meter(i).profile.framing === 'hdlc')!;
    let largest = 0;
    const options = clientOptions(f, meter, 'reader');
    options.trace = (t) => {
      if (t.direction === 'in') largest = Math.max(largest, t.bytes.length);
    };
    const c = await DlmsClient.connect(options);
    try {
      const attrs = [];
      for (let a = 2; a <= 9; a++) attrs.push(await c.get(HDLC_SETUP, 23, a));
      await c.get('0.0.40.0.2.255', 15, 2);
      return { attrs, largest, profile: f.truth.meter(meter).profile };
    } finally {
      await c.end();
    }
  } finally {
    await f.close();
  }
}

describe('IEC HDLC setup from the profile', () => {
  it('serves the declared attribute values and negotiates the declared information field length', async () => {
    const small = new Map(PROFILES);
    small.set('is15959-3ph', withHdlc(PROFILES.get('is15959-3ph')!, 64));
    const r = await largestFrameIn(small);
    const h = hdlcSetupOf(r.profile)!;
    expect(r.attrs).toEqual([
      { type: 'enum', value: h.commSpeed },
      { type: 'unsigned', value: h.windowSizeTransmit },
      { type: 'unsigned', value: h.windowSizeReceive },
      { type: 'long-unsigned', value: 64 },
      { type: 'long-unsigned', value: 64 },
      { type: 'long-unsigned', value: h.interOctetTimeOut },
      { type: 'long-unsigned', value: h.inactivityTimeOut },
      { type: 'long-unsigned', value: h.deviceAddress },
    ]);
    expect(r.largest).toBeLessThanOrEqual(64 + FRAME_OVERHEAD);
    const full = await largestFrameIn(PROFILES);
    expect(full.largest).toBeGreaterThan(64 + FRAME_OVERHEAD);
    expect(full.largest).toBeLessThanOrEqual(
      hdlcSetupOf(full.profile)!.maxInfoFieldLengthReceive + FRAME_OVERHEAD,
    );
  });

  it('rejects an HDLC setup without values or with a window out of 1..7', () => {
    const p = structuredClone(PROFILES.get('is15959-3ph')!);
    const o = p.objects.find((x) => x.class === 23)!;
    o.hdlc!.windowSizeReceive = 9;
    expect(() => validateProfile(p)).toThrow(ProfileError);
    delete o.hdlc;
    expect(() => validateProfile(p)).toThrow(ProfileError);
  });
});
