import { defineConfig } from 'vitest/config';

// Shared by every workspace's vitest.config.ts.
// - The "development" export condition resolves workspace packages from their TypeScript sources, so tests never
//   run against a stale dist/.
// - Forked workers (not threads): tfjs keeps global backend state, and native addons are not worker-safe.
// - A JSON report per package lets .ci/run print one "N passed, N failed" line for the whole monorepo.
export default defineConfig({
  resolve: { conditions: ['development'] },
  ssr: { resolve: { conditions: ['development'] } },
  test: {
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    reporters: ['default', ['json', { outputFile: '.vitest/results.json' }]],
  },
});
