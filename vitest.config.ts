import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    testTimeout: 20_000,
    pool: 'forks',
    setupFiles: ['scripts/vitest-setup.ts'],
  },
});
