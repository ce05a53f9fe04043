import { defineConfig } from 'vitest/config';

// Resolve workspace packages from their TypeScript sources (the "development" export condition),
// so tests never run against a stale dist/.
export default defineConfig({
  resolve: { conditions: ['development'] },
  ssr: { resolve: { conditions: ['development'] } },
  test: { testTimeout: 120_000, hookTimeout: 120_000, pool: 'forks' },
});
