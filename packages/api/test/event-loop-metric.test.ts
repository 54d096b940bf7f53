import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startApi } from './helpers.ts';

describe('event-loop delay in /metrics', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startApi();
  });
  afterAll(async () => h.close());

  it('reports how late the loop ran since the previous scrape (p50, p99, max)', async () => {
    const token = await h.tokenFor('viewer');
    await h.call('GET', '/metrics', { token });
    // Something holds the loop for 150 ms (a long synchronous batch, say).
    await new Promise((r) => setTimeout(r, 30));
    const until = performance.now() + 150;
    while (performance.now() < until) {}
    await new Promise((r) => setTimeout(r, 30));
    const text = (await h.call('GET', '/metrics', { token })).text;
    const value = (q: string) =>
      Number(new RegExp(`^hes_event_loop_delay_seconds\\{quantile="${q}"\\} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('1')).toBeGreaterThanOrEqual(0.1);
    expect(value('0.5')).toBeGreaterThanOrEqual(0);
    expect(value('0.99')).toBeGreaterThanOrEqual(value('0.5'));
    // The window restarts at each scrape: a quiet interval reports a small maximum again.
    await new Promise((r) => setTimeout(r, 50));
    const quiet = (await h.call('GET', '/metrics', { token })).text;
    const max = Number(/^hes_event_loop_delay_seconds\{quantile="1"\} (\S+)$/m.exec(quiet)?.[1]);
    expect(max).toBeLessThan(0.1);
  });
});
