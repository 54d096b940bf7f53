import { describe, expect, it } from 'vitest';
import { CosemError } from '../../src/errors.ts';
import {
  ControlState,
  decodeControlMode,
  decodeControlState,
  decodeDisconnectControl,
  decodeEmergencyProfile,
  decodeImageToActivateInfo,
  decodeImageTransferStatus,
  decodeLimiter,
  decodeRegisterMonitor,
  encodeControlMode,
  encodeEmergencyProfile,
  encodeLimiterActions,
  encodeThreshold,
  encodeThresholds,
} from '../../src/index.ts';
import { D, dt, dtOctets } from '../fixtures.ts';

describe('Disconnect control', () => {
  it('decodes output_state, control_state and control_mode with names', () => {
    const d = decodeDisconnectControl([D.bool(false), D.enum(2), D.enum(1)]);
    expect(d.outputState).toBe(false);
    expect(d.controlState).toEqual({
      value: ControlState.readyForReconnection,
      name: 'ready_for_reconnection',
    });
    expect(d.controlMode.value).toBe(1);
    expect(decodeControlState(D.enum(0)).name).toBe('disconnected');
    expect(decodeControlState(D.enum(1)).name).toBe('connected');
    for (let m = 0; m <= 6; m++) expect(decodeControlMode(D.enum(m)).name).toBeDefined();
    expect(decodeControlMode(D.enum(7)).name).toBeUndefined();
    expect(encodeControlMode(4)).toEqual(D.enum(4));
    expect(() => encodeControlMode(7)).toThrow(CosemError);
  });

  it('rejects an output_state that is not a boolean', () => {
    try {
      decodeDisconnectControl([D.u8(1), D.enum(1), D.enum(1)]);
      expect.fail('expected CosemError');
    } catch (e) {
      expect((e as CosemError).code).toBe('COSEM_SHAPE');
      expect((e as CosemError).path).toBe('disconnect_control.output_state');
    }
  });
});

describe('Limiter', () => {
  // Provenance: IS 15959 load limiter 0.0.17.0.0.255 monitoring active power 1.0.1.7.0.255,
  // layout per device-profiles.md §2.6; values hand-made.
  const emergency = D.struct(D.u16(1), dtOctets(2025, 6, 1, 18, 0), D.u32(3600));
  const actions = D.struct(
    D.struct(D.ln('0.0.10.0.106.255'), D.u16(1)),
    D.struct(D.ln('0.0.10.0.106.255'), D.u16(2)),
  );
  const attrs = [
    D.struct(D.u16(3), D.ln('1.0.1.7.0.255'), D.i8(2)),
    D.u32(5000),
    D.u32(5000),
    D.u32(2000),
    D.u32(60),
    D.u32(30),
    emergency,
    D.array(D.u16(1), D.u16(7)),
    D.bool(false),
    actions,
  ];

  it('decodes attributes 2..11', () => {
    const l = decodeLimiter(attrs);
    expect(l.monitoredValue).toEqual({ classId: 3, logicalName: [1, 0, 1, 7, 0, 255], attributeIndex: 2 });
    expect([l.thresholdActive, l.thresholdNormal, l.thresholdEmergency]).toEqual([5000, 5000, 2000]);
    expect([l.minOverThresholdDuration, l.minUnderThresholdDuration]).toEqual([60, 30]);
    expect(l.emergencyProfile).toEqual({ id: 1, activationTime: dt(2025, 6, 1, 18, 0), duration: 3600 });
    expect(l.emergencyProfileGroupIdList).toEqual([1, 7]);
    expect(l.emergencyProfileActive).toBe(false);
    expect(l.actions.actionUnderThreshold.scriptSelector).toBe(2);
  });

  it('encodes thresholds in the monitored value type, emergency profile and actions', () => {
    expect(encodeThreshold(5000)).toEqual(D.u32(5000));
    expect(encodeThreshold(5000, 'long-unsigned')).toEqual(D.u16(5000));
    expect(encodeThreshold(2.5, 'float32')).toEqual(D.f32(2.5));
    expect(encodeThreshold(5n, 'long64-unsigned')).toEqual({ type: 'long64-unsigned', value: 5n });
    expect(encodeThresholds([1, 2], 'unsigned')).toEqual(D.array(D.u8(1), D.u8(2)));
    expect(encodeEmergencyProfile(decodeEmergencyProfile(emergency))).toEqual(emergency);
    expect(encodeLimiterActions(decodeLimiter(attrs).actions)).toEqual(actions);
    for (const [v, t] of [
      [70000, 'long-unsigned'],
      [-1, 'double-long-unsigned'],
      [1.5, 'double-long'],
      [-1, 'long64-unsigned'],
    ] as const) {
      try {
        encodeThreshold(v, t);
        expect.fail('expected CosemError');
      } catch (e) {
        expect((e as CosemError).code).toBe('COSEM_ENCODE');
      }
    }
  });

  it('reports the path of a bad emergency profile', () => {
    const bad = [...attrs];
    bad[6] = D.struct(D.u16(1), D.u32(0), D.u32(3600));
    try {
      decodeLimiter(bad);
      expect.fail('expected CosemError');
    } catch (e) {
      expect((e as CosemError).path).toBe('limiter.emergency_profile.emergency_activation_time');
    }
  });
});

describe('Register monitor and image transfer', () => {
  it('register monitor thresholds, monitored value and actions', () => {
    const r = decodeRegisterMonitor([
      D.array(D.u16(25300), D.u16(20700)),
      D.struct(D.u16(3), D.ln('1.0.32.7.0.255'), D.i8(2)),
      D.array(
        D.struct(D.struct(D.ln('0.0.10.0.0.255'), D.u16(1)), D.struct(D.ln('0.0.10.0.0.255'), D.u16(2))),
        D.struct(D.struct(D.ln('0.0.10.0.0.255'), D.u16(3)), D.struct(D.ln('0.0.10.0.0.255'), D.u16(4))),
      ),
    ]);
    expect(r.thresholds).toEqual([25300, 20700]);
    expect(r.monitoredValue.logicalName).toEqual([1, 0, 32, 7, 0, 255]);
    expect(r.actions[1]!.actionDown.scriptSelector).toBe(4);
  });

  it('image transfer status names and image_to_activate_info', () => {
    expect(decodeImageTransferStatus(D.enum(6))).toEqual({ value: 6, name: 'image_activation_successful' });
    expect(decodeImageTransferStatus(D.enum(1)).name).toBe('image_transfer_initiated');
    const info = decodeImageToActivateInfo(
      D.array(D.struct(D.u32(123456), D.text('FW-2.1'), D.octets(0xaa))),
    );
    expect(info).toEqual([
      {
        size: 123456,
        identification: Uint8Array.from('FW-2.1', (c) => c.charCodeAt(0)),
        signature: Uint8Array.of(0xaa),
      },
    ]);
    expect(() => decodeImageToActivateInfo(D.array(D.struct(D.u32(1), D.text('x'))))).toThrow(CosemError);
  });
});
