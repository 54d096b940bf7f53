import { describe, expect, it } from 'vitest';
import {
  canTransitionMeter,
  MeterStatus,
  meterTransitionProblem,
  meterTransitionsFrom,
  SCHEDULED_READ_STATUSES,
} from '../src/index.ts';

describe('meter lifecycle', () => {
  it('registered → commissioned/active → suspended ⇄ active → decommissioned', () => {
    expect(canTransitionMeter('registered', 'commissioned')).toBe(true);
    expect(canTransitionMeter('registered', 'active')).toBe(true);
    expect(canTransitionMeter('commissioned', 'active')).toBe(true);
    expect(canTransitionMeter('active', 'suspended')).toBe(true);
    expect(canTransitionMeter('suspended', 'active')).toBe(true);
    for (const s of ['registered', 'commissioned', 'active', 'suspended'] as const)
      expect(canTransitionMeter(s, 'decommissioned')).toBe(true);
  });

  it('refuses the rest, naming from, to and the allowed targets', () => {
    expect(canTransitionMeter('registered', 'suspended')).toBe(false);
    expect(canTransitionMeter('commissioned', 'registered')).toBe(false);
    expect(meterTransitionProblem('registered', 'suspended')).toBe(
      'a registered meter cannot become suspended (allowed from registered: commissioned, active, decommissioned)',
    );
    expect(meterTransitionProblem('decommissioned', 'active')).toContain('none, it is final');
    expect(meterTransitionProblem('active', 'active')).toBeUndefined();
    expect(meterTransitionProblem('active', 'suspended')).toBeUndefined();
  });

  it('the supply state is not a registry status; only active meters are read on schedule', () => {
    expect(Object.values(MeterStatus)).not.toContain('disconnected');
    expect(meterTransitionsFrom('disconnected' as MeterStatus)).toEqual([]);
    expect(SCHEDULED_READ_STATUSES).toEqual(['active']);
  });
});
