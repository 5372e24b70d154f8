/**
 * The import rule's check (scripts/check-imports.ts) on a small repository of its own: it must
 * find each kind of forbidden import, by the file an import resolves to, and nothing else.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findImportViolations, importSpecifiers } from "../../scripts/check-imports.ts";
import { findLongLines, MAX_LINE_LENGTH } from "../../scripts/check-line-length.ts";

let repo: string;

function write(path: string, text: string): void {
  mkdirSync(dirname(join(repo, path)), { recursive: true });
  writeFileSync(join(repo, path), text);
}

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), "wfp-imports-"));
  execFileSync("git", ["init", "-q"], { cwd: repo });
  write("contracts/shape.ts", "export const SHAPE = 1;\n");
  write("provisioner/src/plan.ts", 'export { SHAPE } from "../../contracts/shape.ts";\n');
  write("tests/support/helper.ts", "export const HELPER = 1;\n");
  // Allowed: a Worker and the local platform on contracts; infra runs the dispatcher; tests anything.
  write("dispatcher/src/ok.ts", 'import { SHAPE } from "../../contracts/shape.ts";\nexport const A = SHAPE;\n');
  write("infra/runs-dispatcher.ts", 'export * from "../dispatcher/src/ok.ts";\n');
  write("tests/uses-all.test.ts", 'import "../provisioner/src/plan.ts";\nimport "./support/helper.ts";\n');
  // Forbidden, one of each kind.
  write(
    "dispatcher/src/bad.ts",
    'import type { SHAPE } from "../../provisioner/src/plan.ts";\nexport type B = typeof SHAPE;\n',
  );
  write("tenant-template/src/bad.ts", 'export const load = () => import("../../dispatcher/src/ok.ts");\n');
  write("contracts/bad.ts", 'export * from "../provisioner/src/plan.ts";\n');
  write("scripts/bad.ts", 'import { HELPER } from "../tests/support/helper.ts";\nexport const C = HELPER;\n');
});

afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe("check-imports", () => {
  it("finds every forbidden import (type-only, dynamic, re-export, into tests/) and nothing allowed", () => {
    const violations = findImportViolations(repo);
    expect(violations.map((v) => `${v.from} -> ${v.to}`).sort()).toEqual([
      "contracts/bad.ts -> provisioner/src/plan.ts",
      "dispatcher/src/bad.ts -> provisioner/src/plan.ts",
      "scripts/bad.ts -> tests/support/helper.ts",
      "tenant-template/src/bad.ts -> dispatcher/src/ok.ts",
    ]);
    expect(violations.find((v) => v.from === "contracts/bad.ts")?.rule).toBe("contracts/ may import no other part");
  });

  it("reports an import that does not resolve, naming it", () => {
    write("provisioner/src/broken.ts", 'import "./missing.ts";\n');
    try {
      expect(findImportViolations(repo)).toContainEqual({
        from: "provisioner/src/broken.ts",
        to: "provisioner/src/missing.ts",
        rule: "'./missing.ts' does not resolve to a file",
      });
    } finally {
      rmSync(join(repo, "provisioner/src/broken.ts"));
    }
  });
});

describe("importSpecifiers", () => {
  it("reads every form, across lines, and not examples in doc comments", () => {
    const source = [
      "/**",
      ' *   import { x } from "./in-a-comment.ts";',
      " */",
      'import { a,\n  b } from "./multi-line.ts";',
      'import type { T } from "./types.ts";',
      'export * from "./re-export.ts";',
      'import "./side-effect.ts";',
      'const lazy = () => import("./dynamic.ts");',
      'const text = "not an import from \\"./string.ts\\"";',
    ].join("\n");
    expect(importSpecifiers(source)).toEqual([
      "./multi-line.ts",
      "./types.ts",
      "./re-export.ts",
      "./side-effect.ts",
      "./dynamic.ts",
    ]);
  });
});

describe("check-line-length", () => {
  it("reports lines of code over the limit, and ignores fixtures and prose", () => {
    write("provisioner/src/long.ts", `export const X = "${"x".repeat(MAX_LINE_LENGTH)}";\nexport const Y = 1;\n`);
    write("tests/fixtures/long.json", `"${"x".repeat(200)}"\n`);
    write("docs/long.md", `${"word ".repeat(60)}\n`);
    expect(findLongLines(repo)).toEqual([{ file: "provisioner/src/long.ts", line: 1, length: MAX_LINE_LENGTH + 20 }]);
  });
});
