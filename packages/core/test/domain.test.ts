import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CampaignState,
  CommandState,
  canTransitionCampaign,
  canTransitionCommand,
  isTerminalCampaignState,
  isTerminalCommandState,
} from '../src/domain/command.ts';
import { canTransitionMeter, MeterStatus } from '../src/domain/meter.ts';
import { bucketStart } from '../src/domain/reading.ts';

describe('bucketStart', () => {
  it('puts an interval ending at midnight into the previous day', () => {
    expect(bucketStart(Date.UTC(2025, 2, 2), 'day')).toBe(Date.UTC(2025, 2, 1));
    expect(bucketStart(Date.UTC(2025, 2, 2, 0, 15), 'day')).toBe(Date.UTC(2025, 2, 2));
    expect(bucketStart(Date.UTC(2025, 2, 1), 'month')).toBe(Date.UTC(2025, 1, 1));
    expect(bucketStart(Date.UTC(2025, 2, 1, 0, 15), 'month')).toBe(Date.UTC(2025, 2, 1));
    expect(bucketStart(Date.UTC(2025, 2, 1, 1, 0), 'hour')).toBe(Date.UTC(2025, 2, 1, 0));
    expect(bucketStart(Date.UTC(2025, 2, 1, 1, 15), '15m')).toBe(Date.UTC(2025, 2, 1, 1));
  });

  it('always returns a start at or before ts - 1 and within one bucket of it', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 0, 1) }), (ts) => {
        for (const b of ['15m', 'hour', 'day', 'month'] as const) {
          const s = bucketStart(ts, b);
          expect(s).toBeLessThan(ts);
          expect(ts - s).toBeLessThanOrEqual(31 * 86_400_000);
        }
      }),
    );
  });
});

describe('lifecycles', () => {
  it('never leaves decommissioned and never moves back to registered', () => {
    for (const s of Object.values(MeterStatus)) {
      expect(canTransitionMeter('decommissioned', s)).toBe(false);
      expect(canTransitionMeter(s, 'registered')).toBe(false);
    }
    expect(canTransitionMeter('active', 'suspended')).toBe(true);
    expect(canTransitionMeter('suspended', 'active')).toBe(true);
  });

  it('terminal command states have no way out', () => {
    for (const from of Object.values(CommandState)) {
      for (const to of Object.values(CommandState)) {
        if (isTerminalCommandState(from)) expect(canTransitionCommand(from, to)).toBe(false);
      }
    }
    expect(canTransitionCommand('queued', 'sending')).toBe(true);
    expect(canTransitionCommand('sending', 'queued')).toBe(true);
    expect(canTransitionCommand('confirmed', 'queued')).toBe(false);
    // Cancelling a command mid-send is not allowed: the meter may be acting on it.
    expect(canTransitionCommand('sending', 'cancelled')).toBe(false);
    expect(canTransitionCommand('awaiting-approval', 'queued')).toBe(true);
    expect(canTransitionCommand('awaiting-approval', 'sending')).toBe(false);
  });

  it('campaigns: terminal states have no way out; paused resumes; completed only from running', () => {
    for (const from of Object.values(CampaignState)) {
      for (const to of Object.values(CampaignState)) {
        if (isTerminalCampaignState(from)) expect(canTransitionCampaign(from, to)).toBe(false);
      }
    }
    expect(canTransitionCampaign('paused', 'running')).toBe(true);
    expect(canTransitionCampaign('paused', 'completed')).toBe(false);
    expect(canTransitionCampaign('awaiting-approval', 'running')).toBe(true);
  });
});
