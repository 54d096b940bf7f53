import { describe, expect, it } from 'vitest';
import { cronProblem } from '../src/domain/plan.ts';

// Steps larger than the field's count of values are refused, as the scheduler (croner) does; a
// random property test found `*/8` in the weekday field let through.
describe('cron steps', () => {
  it('refuses a step larger than the field holds, accepts one equal to it', () => {
    expect(cronProblem('* * * * */8')).toMatch(/step must be at most 7/);
    expect(cronProblem('* * * * 1-5/8')).toMatch(/step must be at most 7/);
    expect(cronProblem('* * * * */7')).toBeNull();
    expect(cronProblem('*/61 * * * *')).toMatch(/step must be at most 60/);
    expect(cronProblem('*/60 * * * *')).toBeNull();
    expect(cronProblem('* */25 * * *')).toMatch(/at most 24/);
    expect(cronProblem('* * */32 * *')).toMatch(/at most 31/);
    expect(cronProblem('* * * */13 *')).toMatch(/at most 12/);
  });
});
