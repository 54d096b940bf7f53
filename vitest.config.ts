import { configDefaults, defineConfig } from 'vitest/config';

const TESTS = ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'scripts/**/*.test.ts'];

/**
 * The end-to-end tests: child processes, real sockets for many meters, a simulated day,
 * PostgreSQL. They run in the `slow` project; `npm run test:fast` leaves them out and
 * `npm test` runs both. Measured with `vitest run --reporter=json` on this machine: the
 * files below take 2–75 s each, every other file well under 2 s. A new end-to-end test is
 * named `*.slow.test.ts` or listed here.
 */
const SLOW = [
  '**/*.slow.test.ts',
  'packages/acquisition/test/simulated-day.test.ts',
  'packages/acquisition/test/kill.test.ts',
  'packages/acquisition/test/push-latency.test.ts',
  'packages/storage/test/postgres.test.ts',
  'packages/storage/test/pg-*.test.ts',
  'packages/storage/test/kill.test.ts',
  'packages/simulator/test/fleet-client.test.ts',
  'packages/simulator/test/ground-truth-client.test.ts',
  'packages/testkit/test/harnesses.test.ts',
  'apps/hes/test/start-demo.test.ts',
  'apps/hes/test/start.test.ts',
  'apps/hes/test/simulate.test.ts',
  'apps/hes/test/acquisition.test.ts',
  'apps/hes/test/two-processes.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    pool: 'forks',
    setupFiles: ['scripts/vitest-setup.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'fast', include: TESTS, exclude: [...configDefaults.exclude, ...SLOW] },
      },
      {
        extends: true,
        test: { name: 'slow', include: SLOW },
      },
    ],
  },
});
