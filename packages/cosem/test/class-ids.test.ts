import { describe, expect, it } from 'vitest';
import {
  attributeDef,
  CLASS_NAMES,
  ClassId,
  DEMAND_REGISTER,
  EXTENDED_REGISTER,
  INTERFACE_CLASSES,
  REGISTER,
  scalerUnitAttribute,
} from '../src/index.ts';

describe('named class ids', () => {
  it('names every modelled class and the class tables use the same ids', () => {
    const named = new Set<number>(Object.values(ClassId));
    for (const c of INTERFACE_CLASSES) expect(named.has(c.classId)).toBe(true);
    for (const id of named) expect(CLASS_NAMES[id]).toBeDefined();
    expect(REGISTER.classId).toBe(ClassId.Register);
    expect([
      ClassId.Data,
      ClassId.Register,
      ClassId.ExtendedRegister,
      ClassId.DemandRegister,
      ClassId.ProfileGeneric,
      ClassId.Clock,
      ClassId.ScriptTable,
      ClassId.Schedule,
      ClassId.SpecialDaysTable,
      ClassId.AssociationSN,
      ClassId.AssociationLN,
      ClassId.ImageTransfer,
      ClassId.ActivityCalendar,
      ClassId.RegisterMonitor,
      ClassId.SingleActionSchedule,
      ClassId.IecHdlcSetup,
      ClassId.PushSetup,
      ClassId.SecuritySetup,
      ClassId.DisconnectControl,
      ClassId.Limiter,
    ]).toEqual([1, 3, 4, 5, 7, 8, 9, 10, 11, 12, 15, 18, 20, 21, 22, 23, 40, 64, 70, 71]);
  });
});

describe('scaler_unit attribute of a value attribute', () => {
  it('register and extended register: value 2 → scaler_unit 3', () => {
    expect(scalerUnitAttribute(ClassId.Register, 2)).toBe(3);
    expect(scalerUnitAttribute(ClassId.ExtendedRegister, 2)).toBe(3);
  });

  it('extended register attribute 3 is scaler_unit itself and 4, 5 (status, capture_time) are not scaled', () => {
    expect(scalerUnitAttribute(ClassId.ExtendedRegister, 3)).toBeUndefined();
    expect(scalerUnitAttribute(ClassId.ExtendedRegister, 4)).toBeUndefined();
    expect(scalerUnitAttribute(ClassId.ExtendedRegister, 5)).toBeUndefined();
  });

  it('demand register: current and last average value 2, 3 → scaler_unit 4, nothing else', () => {
    expect(scalerUnitAttribute(ClassId.DemandRegister, 2)).toBe(4);
    expect(scalerUnitAttribute(ClassId.DemandRegister, 3)).toBe(4);
    for (const a of [1, 4, 5, 6, 7, 8, 9])
      expect(scalerUnitAttribute(ClassId.DemandRegister, a)).toBeUndefined();
  });

  it('no scaler for other classes, register attribute 3 or unknown classes', () => {
    expect(scalerUnitAttribute(ClassId.Register, 3)).toBeUndefined();
    expect(scalerUnitAttribute(ClassId.Data, 2)).toBeUndefined();
    expect(scalerUnitAttribute(ClassId.ProfileGeneric, 2)).toBeUndefined();
    expect(scalerUnitAttribute(ClassId.Limiter, 3)).toBeUndefined();
    expect(scalerUnitAttribute(999, 2)).toBeUndefined();
  });

  it('is derived from the class tables: every scaledBy names a scal_unit_type attribute of its class', () => {
    let n = 0;
    for (const c of INTERFACE_CLASSES)
      for (const a of c.attributes) {
        const by = (a as { scaledBy?: number }).scaledBy;
        if (by === undefined) continue;
        n++;
        const target = attributeDef(c.classId, by);
        expect(target?.name).toBe('scaler_unit');
        expect(target?.codec).toBe('scal_unit_type');
        expect(scalerUnitAttribute(c.classId, a.index)).toBe(by);
      }
    expect(n).toBe(4);
    expect(EXTENDED_REGISTER.attributes[2].name).toBe('scaler_unit');
    expect(DEMAND_REGISTER.attributes[3].name).toBe('scaler_unit');
  });
});
