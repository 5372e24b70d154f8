import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // Suites start real workerd processes and platforms: generous, but bounded.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: more parallel workerd processes only slow each other down.
    maxWorkers: 2,
    reporters: ["default", "./tests/support/plain-summary-reporter.ts"],
  },
});
