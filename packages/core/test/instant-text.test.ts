import { describe, expect, it } from 'vitest';
import { INSTANT_TEXT_PATTERN, parseInstantText, ValidationError } from '../src/index.ts';

describe('instants written as text', () => {
  const ok: [string, string][] = [
    ['2025-01-31', '2025-01-31T00:00:00.000Z'],
    ['2025-01-31T10:00:00Z', '2025-01-31T10:00:00.000Z'],
    ['2025-01-31T10:00Z', '2025-01-31T10:00:00.000Z'],
    ['2025-01-31t10:00:00z', '2025-01-31T10:00:00.000Z'],
    ['2025-01-31T15:30:00+05:30', '2025-01-31T10:00:00.000Z'],
    ['2025-01-31T15:30:00+0530', '2025-01-31T10:00:00.000Z'],
    // An unescaped + in a URL query arrives as a space.
    ['2025-01-31T15:30:00 05:30', '2025-01-31T10:00:00.000Z'],
    ['2025-01-31T05:00:00-05:00', '2025-01-31T10:00:00.000Z'],
    ['2025-01-31T10:00:00.123456Z', '2025-01-31T10:00:00.123Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2025-01-01T02:00:00+05:30', '2024-12-31T20:30:00.000Z'],
  ];
  it.each(ok)('%s is %s', (text, iso) => {
    expect(new RegExp(INSTANT_TEXT_PATTERN).test(text)).toBe(true);
    expect(new Date(parseInstantText('from', text)).toISOString()).toBe(iso);
  });

  it('agrees with Date.parse on every form but the space offset', () => {
    for (const [text] of ok) {
      if (text.includes(' ')) continue;
      expect(parseInstantText('t', text)).toBe(Date.parse(text));
    }
  });

  const bad: [string, RegExp][] = [
    ['2025-01-31T10:00:00', /has no time zone/],
    ['2025-01-31 10:00', /has no time zone/],
    ['yesterday', /is not an instant/],
    ['2025-02-30', /not a calendar date/],
    ['2025-13-01T00:00:00Z', /not a calendar date/],
    ['2025-01-31T24:00:00Z', /not a calendar date/],
    ['2025-01-31T10:00:00+25:00', /offset out of range/],
    ['2025-01-31T10:00:00+05', /is not an instant/],
  ];
  it.each(bad)('%s is refused naming the field', (text, why) => {
    let err: unknown;
    try {
      parseInstantText('query.from', text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe('query.from');
    expect((err as Error).message).toMatch(why);
    expect((err as Error).message).toContain('2025-01-31T15:30:00+05:30');
  });
});
