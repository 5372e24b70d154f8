/**
 * The mutation list (`npm run test:mutations`) stays true to the code: each mutation still applies
 * exactly once and names test files that exist, so a refactor cannot silently retire a check.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { applyMutation } from "../../scripts/mutations/apply-mutation.ts";
import { MUTATIONS } from "../../scripts/mutations/mutation-list.ts";

const root = resolve(import.meta.dirname, "../..");

describe("the mutation list", () => {
  it.each(MUTATIONS.map((m) => [m.name, m] as const))("%s applies once and names existing tests", (_name, m) => {
    const text = readFileSync(join(root, m.file), "utf8");
    const changed = applyMutation(text, m);
    expect(changed).not.toBe(text);
    expect(m.tests.length).toBeGreaterThan(0);
    for (const test of m.tests) expect(existsSync(join(root, test)), test).toBe(true);
  });

  it("has one entry per name, each a product file (never a test)", () => {
    expect(new Set(MUTATIONS.map((m) => m.name)).size).toBe(MUTATIONS.length);
    for (const m of MUTATIONS) expect(m.file).toMatch(/^(contracts|dispatcher|tenant-template|provisioner|infra)\//);
  });
});

describe("applyMutation", () => {
  const base = { name: "n", file: "f.ts" };
  it("replaces the one occurrence", () => {
    expect(applyMutation("a(); b();", { ...base, from: "b()", to: "c()" })).toBe("a(); c();");
  });
  it("refuses text that is missing or occurs twice", () => {
    expect(() => applyMutation("a();", { ...base, from: "b()", to: "c()" })).toThrow(/no longer contains/);
    expect(() => applyMutation("b(); b();", { ...base, from: "b()", to: "c()" })).toThrow(/more than once/);
  });
});
