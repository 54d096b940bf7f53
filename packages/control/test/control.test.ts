import { loadDriverProfiles, type MeterDriver } from '@openhes/drivers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createControl } from '../src/control.ts';
import type { MeterSessions } from '../src/index.ts';
import { addMeter, alice, type TestStore, testStore } from './runner-fakes.ts';

/** A disconnector in mode 2 (remote reconnect connects directly) that counts the methods it executed. */
class Relay {
  controlState = 1;
  disconnects = 0;
  reconnects = 0;
  state() {
    const outputState = this.controlState === 1;
    return { outputState, controlState: this.controlState, controlMode: 2, armed: false };
  }
}

function sessionsOn(relays: Map<number, Relay>): MeterSessions {
  return {
    async withMeter(meterId, _options, work) {
      const r = relays.get(meterId)!;
      const driver = {
        meterId,
        stats: { requests: 0, bytesIn: 0, bytesOut: 0 },
        open: async () => {},
        close: async () => {},
        readRegisters: async () => [],
        supply: {
          readDisconnector: async () => r.state(),
          // As the driver's: the state read first, nothing sent when the relay is already there.
          disconnect: async () => {
            if (r.controlState === 0) return { ...r.state(), sent: false };
            r.disconnects++;
            r.controlState = 0;
            return { ...r.state(), sent: true };
          },
          reconnect: async () => {
            if (r.controlState === 1) return { ...r.state(), sent: false };
            r.reconnects++;
            r.controlState = 1;
            return { ...r.state(), sent: true };
          },
        },
      } as unknown as MeterDriver;
      return work(driver);
    },
  };
}

let t: TestStore;
beforeEach(async () => {
  t = await testStore();
});
afterEach(async () => {
  await t.close();
});

describe('createControl with the operations', () => {
  it('a disconnect then a connect through the runner leave the relay where asked, each method executed once', async () => {
    const meterId = await addMeter(t.store);
    const relays = new Map([[meterId, new Relay()]]);
    const control = createControl({
      store: t.store,
      vault: {} as never,
      sessions: sessionsOn(relays),
      clock: t.clock,
    });
    const d = await control.service.requestCommand(
      { kind: 'disconnect', meterId, reason: 'non-payment' },
      alice,
    );
    await control.runner.drain();
    expect(await t.store.commands.get(d.id)).toMatchObject({
      state: 'confirmed',
      result: { outputState: false, controlState: 0 },
    });
    const c = await control.service.requestCommand(
      { kind: 'connect', meterId, reason: 'reinstatement' },
      alice,
    );
    await control.runner.drain();
    expect(await t.store.commands.get(c.id)).toMatchObject({
      state: 'confirmed',
      result: { outputState: true },
    });
    expect([relays.get(meterId)!.disconnects, relays.get(meterId)!.reconnects]).toEqual([1, 1]);
  });

  it('with the device profiles, a meter whose model has no disconnector is refused at request time', async () => {
    const ct = await addMeter(t.store, { deviceProfile: 'is15959-ct' });
    const ph = await addMeter(t.store, { deviceProfile: 'is15959-1ph' });
    const relays = new Map([[ph, new Relay()]]);
    const control = createControl({
      store: t.store,
      vault: {} as never,
      sessions: sessionsOn(relays),
      clock: t.clock,
      profiles: loadDriverProfiles(),
    });
    await expect(
      control.service.requestCommand({ kind: 'disconnect', meterId: ct, reason: 'test' }, alice),
    ).rejects.toMatchObject({ code: 'CONTROL_UNSUPPORTED' });
    await control.service.requestCommand({ kind: 'disconnect', meterId: ph, reason: 'test' }, alice);
    await control.runner.drain();
    expect(relays.get(ph)!.disconnects).toBe(1);
  });

  it('killed after remote_disconnect left: the restarted runner reads the relay and does not send it again', async () => {
    const meterId = await addMeter(t.store);
    const relay = new Relay();
    const relays = new Map([[meterId, relay]]);
    const first = createControl({
      store: t.store,
      vault: {} as never,
      sessions: sessionsOn(relays),
      clock: t.clock,
    });
    const cmd = await first.service.requestCommand(
      { kind: 'disconnect', meterId, reason: 'non-payment' },
      alice,
    );
    // What the killed process left: claimed, marker saved, the method executed by the meter.
    await t.store.commands.transition(cmd.id, 'queued', 'sending', 'control', { attempts: 1 });
    await t.store.commands.update(cmd.id, 'sending', { progress: { step: 'disconnect-sending' } });
    relay.disconnects = 1;
    relay.controlState = 0;

    const restarted = createControl({
      store: t.store,
      vault: {} as never,
      sessions: sessionsOn(relays),
      clock: t.clock,
    });
    // The killed runner beats no more: its command is resumed once its last beat is stale.
    t.clock.advance(30_001);
    expect(await restarted.runner.resume()).toBe(1);
    await restarted.runner.drain();
    expect(await t.store.commands.get(cmd.id)).toMatchObject({
      state: 'confirmed',
      attempts: 2,
      result: { outputState: false, sent: false, resumed: true },
    });
    expect(relay.disconnects).toBe(1);
  });
});
