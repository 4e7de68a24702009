// Benchmarks run as vitest files (for TypeScript and imports) but print figures; they are not part of `npm test`.
import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['test/bench/**/*.bench.ts'],
    testTimeout: 1_800_000,
    hookTimeout: 600_000,
    fileParallelism: false,
    reporters: ['verbose'],
    disableConsoleIntercept: true,
  },
});
