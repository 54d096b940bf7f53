import { describe, expect, it } from 'vitest';
import { knownObisNames, obisName } from '../src/obis-names.ts';

describe('obisName: the DOMAIN.md (IS 15959) table', () => {
  it.each([
    ['0.0.1.0.0.255', 'Clock'],
    ['0.0.96.1.0.255', 'Meter serial number'],
    ['0.0.96.1.1.255', 'Manufacturer name'],
    ['1.0.0.2.0.255', 'Active firmware identifier (firmware version)'],
    ['0.0.94.91.10.255', 'Nameplate profile'],
    ['1.0.94.91.0.255', 'Instantaneous profile'],
    ['1.0.99.1.0.255', 'Block load profile'],
    ['1.0.99.2.0.255', 'Daily load profile'],
    ['1.0.98.1.0.255', 'Billing profile (data of billing periods)'],
    ['1.0.94.91.3.255', 'Scaler profile: instantaneous'],
    ['1.0.94.91.4.255', 'Scaler profile: block load'],
    ['1.0.94.91.5.255', 'Scaler profile: daily load'],
    ['1.0.94.91.6.255', 'Scaler profile: billing'],
    ['1.0.94.91.7.255', 'Scaler profile: event logs'],
    ['0.0.99.98.0.255', 'Voltage related events log'],
    ['0.0.99.98.1.255', 'Current related events log'],
    ['0.0.99.98.2.255', 'Power failure events log'],
    ['0.0.99.98.3.255', 'Transaction events log'],
    ['0.0.99.98.4.255', 'Other (tamper) events log'],
    ['0.0.99.98.5.255', 'Non-rollover events log'],
    ['0.0.99.98.6.255', 'Control events log'],
    ['0.0.96.11.0.255', 'Event code: voltage related'],
    ['0.0.96.11.6.255', 'Event code: control'],
    ['0.0.94.91.0.255', 'Cumulative tamper count'],
    ['0.0.96.7.0.255', 'Number of power failures in any phase'],
    ['1.0.32.7.0.255', 'Voltage L1'],
    ['1.0.52.7.0.255', 'Voltage L2'],
    ['1.0.72.7.0.255', 'Voltage L3'],
    ['1.0.31.7.0.255', 'Current L1'],
    ['1.0.51.7.0.255', 'Current L2'],
    ['1.0.71.7.0.255', 'Current L3'],
    ['1.0.13.7.0.255', 'Power factor'],
    ['1.0.14.7.0.255', 'Frequency'],
    ['1.0.1.7.0.255', 'Active power import (+P)'],
    ['1.0.9.7.0.255', 'Apparent power import (+S)'],
    ['1.0.1.8.0.255', 'Active energy import (+A)'],
    ['1.0.2.8.0.255', 'Active energy export (-A)'],
    ['1.0.9.8.0.255', 'Apparent energy import'],
    ['1.0.5.8.0.255', 'Reactive energy QI (+Ri)'],
    ['1.0.8.8.0.255', 'Reactive energy QIV (-Rc)'],
    ['1.0.1.8.1.255', 'Active energy import (+A) rate 1'],
    ['1.0.1.8.8.255', 'Active energy import (+A) rate 8'],
    ['1.0.1.6.0.255', 'Maximum demand active power import (+P)'],
    ['1.0.9.6.0.255', 'Maximum demand apparent power import (+S)'],
    ['1.0.1.29.0.255', 'Block active energy import (+A)'],
    ['1.0.9.29.0.255', 'Block apparent energy import'],
    ['0.0.96.3.10.255', 'Disconnect control'],
    ['0.0.17.0.0.255', 'Limiter'],
    ['0.0.13.0.0.255', 'Activity calendar'],
    ['0.0.15.0.0.255', 'Single action schedule: billing dates'],
    ['0.0.25.9.0.255', 'Push setup: instantaneous'],
    ['0.4.25.9.0.255', 'Push setup: alert (ESW)'],
    ['0.0.43.0.3.255', 'Security setup: utility settings (HLS)'],
    ['0.0.44.0.0.255', 'Image transfer'],
    ['0.0.40.0.2.255', 'Association LN: meter reader'],
  ])('%s → %s', (code, name) => {
    expect(obisName(code, 'is15959')).toBe(name);
  });
});

describe('obisName: Blue Book names and patterns', () => {
  it.each([
    ['0.0.42.0.0.255', 'COSEM logical device name'],
    ['0.0.40.0.0.255', 'Current association (Association LN)'],
    ['0.0.40.0.3.255', 'Association LN 3'],
    ['0.0.43.0.7.255', 'Security setup 7'],
    ['0.0.43.1.3.255', 'Invocation counter (security setup 3)'],
    ['0.0.99.98.4.255', 'Event log 4'],
    ['0.0.96.11.2.255', 'Event code 2'],
    ['0.9.25.9.0.255', 'Push setup 9'],
    ['0.0.15.0.0.255', 'Single action schedule: end of billing period'],
    ['1.0.1.8.5.255', 'Active energy import (+A) rate 5'],
    ['1.0.1.8.17.255', 'Active energy import (+A) rate 17'],
    ['1.0.2.8.2.255', 'Active energy export (-A) rate 2'],
    ['1.0.1.8.0.3', 'Active energy import (+A) (billing period 3)'],
    ['1.0.12.27.0.255', 'Average voltage (current average 5)'],
    ['1.0.32.27.0.255', 'Average voltage L1 (current average 5)'],
    ['1.0.33.7.0.255', 'Power factor L1'],
    ['1.0.13.0.0.255', 'Average power factor for the billing period'],
    ['1.0.91.7.0.255', 'Neutral current'],
    ['1.0.16.8.0.255', 'Active energy net (|+A|-|-A|)'],
    ['1.0.3.7.0.255', 'Reactive power import (+Q)'],
    ['1.0.21.7.0.255', 'Active power import (+P) L1'],
    ['1.0.1.6.1.255', 'Maximum demand active power import (+P) rate 1'],
    ['1.0.32.32.0.255', 'Voltage L1, under limit occurrence counter'],
    ['0.0.96.1.1.255', 'Device ID 2 (manufacturer name / equipment identifier)'],
  ])('%s → %s', (code, name) => {
    expect(obisName(code)).toBe(name);
  });

  it('companion specifications name the same event log differently', () => {
    expect(obisName('0.0.99.98.4.255', 'idis')).toBe('Power quality log');
    expect(obisName('0.0.99.98.4.255', 'dsmr')).toBe('Communication session log');
    expect(obisName('0.0.99.98.5.255', 'dsmr')).toBe('Power quality event log');
  });

  it('accepts tuples and returns undefined for unknown codes', () => {
    expect(obisName([0, 0, 1, 0, 0, 255])).toBe('Clock');
    expect(obisName('7.0.3.8.0.255')).toBeUndefined();
    expect(obisName('1.0.200.8.0.255')).toBeUndefined();
  });

  it('lists exact names, with the companion overlay', () => {
    expect(knownObisNames().get('0.0.1.0.0.255')).toBe('Clock');
    expect(knownObisNames('is15959').get('1.0.99.1.0.255')).toBe('Block load profile');
  });
});
