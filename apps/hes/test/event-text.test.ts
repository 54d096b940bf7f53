import { eventTextLookup } from '@openhes/api';
import { loadDriverProfiles } from '@openhes/drivers';
import { describe, expect, it } from 'vitest';

// The API names events with the text their device profile gives the code; here the lookup is
// fed the bundled profiles as the head end loads them (apps/hes/src/services/api.ts).
describe('event texts from the bundled device profiles', () => {
  it('the lookup takes the profiles as loaded (code tables by log OBIS code)', () => {
    const text = eventTextLookup(loadDriverProfiles());
    expect(text('is15959-1ph', '0.0.99.98.2.255', 101)).toBe('Power failure');
    expect(text('is15959-1ph', '0.0.99.98.6.255', 301)).toBe('Load disconnected');
    expect(text('is15959-1ph', '0.0.99.98.2.255', 1)).toBeUndefined();
    expect(text('no-such-profile', '0.0.99.98.2.255', 101)).toBeUndefined();
    expect(text('is15959-1ph', '0.0.99.98.2.255', Number.NaN)).toBeUndefined();
  });
});
