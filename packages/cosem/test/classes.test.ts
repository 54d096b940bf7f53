import { describe, expect, it } from 'vitest';
import {
  attributeDef,
  attributeIndex,
  attributeName,
  CLASS_NAMES,
  className,
  getInterfaceClass,
  INTERFACE_CLASSES,
  methodIndex,
  methodName,
  VALUE_CODECS,
} from '../src/index.ts';

describe('interface classes as data', () => {
  it('models every class the head end needs', () => {
    const ids = INTERFACE_CLASSES.map((c) => c.classId);
    for (const id of [
      1, 3, 4, 5, 6, 7, 8, 9, 11, 15, 17, 18, 20, 21, 22, 23, 40, 41, 45, 47, 63, 64, 70, 71,
    ]) {
      expect(ids).toContain(id);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('numbers attributes 1..n and methods 1..m without gaps, logical_name first', () => {
    for (const c of INTERFACE_CLASSES) {
      expect(c.attributes.map((a) => a.index)).toEqual(c.attributes.map((_, i) => i + 1));
      expect(c.methods.map((m) => m.index)).toEqual(c.methods.map((_, i) => i + 1));
      expect(c.attributes[0]!.name).toBe('logical_name');
      for (const a of c.attributes) {
        if ('codec' in a && a.codec !== undefined) expect(VALUE_CODECS).toContain(a.codec);
      }
    }
  });

  it('looks up names by class and index', () => {
    expect(getInterfaceClass(7).name).toBe('Profile generic');
    expect(getInterfaceClass(999)).toBeUndefined();
    expect(attributeName(3, 3)).toBe('scaler_unit');
    expect(attributeName(7, 2)).toBe('buffer');
    expect(attributeName(8, 2)).toBe('time');
    expect(attributeName(15, 2)).toBe('object_list');
    expect(attributeName(70, 3)).toBe('control_state');
    expect(attributeName(71, 4)).toBe('threshold_normal');
    expect(attributeName(999, 1)).toBe('logical_name');
    expect(attributeName(3, 9)).toBeUndefined();
    expect(methodName(70, 1)).toBe('remote_disconnect');
    expect(methodName(70, 2)).toBe('remote_reconnect');
    expect(methodName(18, 1)).toBe('image_transfer_initiate');
    expect(methodName(15, 1)).toBe('reply_to_HLS_authentication');
    expect(methodName(20, 1)).toBe('activate_passive_calendar');
    expect(methodName(1, 1)).toBeUndefined();
  });

  it('derives typed indexes from the data', () => {
    expect(attributeIndex(71, 'threshold_active')).toBe(3);
    expect(attributeIndex(40, 'push_object_list')).toBe(2);
    expect(methodIndex(64, 'key_transfer')).toBe(2);
    expect(attributeDef(5, 6)?.type).toBe('date-time');
  });

  it('names classes it does not model attribute by attribute', () => {
    expect(className(12)).toBe('Association SN');
    expect(className(70)).toBe('Disconnect control');
    expect(CLASS_NAMES[72]).toBe('M-Bus client');
  });
});
