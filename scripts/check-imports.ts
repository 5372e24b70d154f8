/**
 * The import rule of docs/contracts.md, checked: imports between the top-level parts go one way.
 *
 * - `contracts/` imports no part: it is what the parts agree on.
 * - `dispatcher/`, `tenant-template/` and `provisioner/` import only themselves and `contracts/`:
 *   the two Workers never import each other, the provisioner nor the local platform.
 * - `infra/` (the local platform) imports itself, `contracts/` and `dispatcher/`, whose unchanged
 *   code it runs behind its dispatch namespace shim.
 * - `scripts/` may import every part but `tests/`; `tests/` may import everything; nothing else
 *   imports `tests/`.
 *
 * Imports are read with esbuild's resolver, the one that bundles the Workers, rather than with a
 * regular expression: re-exports, `import type`, dynamic `import()` and `export * from` all count,
 * and a path is judged by the file it resolves to. Packages are left out (they are not parts).
 *
 * Usage: `npm run lint` (with Biome and the line-length check), or alone:
 *   node --import tsx scripts/check-imports.ts [--json]
 * Exit codes: 0 no violation, 1 violations (each printed as `file -> imported file: rule`).
 */
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { build } from "esbuild";

const PARTS = ["contracts", "dispatcher", "tenant-template", "provisioner", "infra", "scripts", "tests"] as const;
type Part = (typeof PARTS)[number];

/** What each part may import besides itself; undefined: anything. */
const ALLOWED: Record<Part, readonly Part[] | undefined> = {
  contracts: [],
  dispatcher: ["contracts"],
  "tenant-template": ["contracts"],
  provisioner: ["contracts"],
  infra: ["contracts", "dispatcher"],
  scripts: ["contracts", "dispatcher", "tenant-template", "provisioner", "infra"],
  tests: undefined,
};

export interface ImportViolation {
  from: string;
  to: string;
  rule: string;
}

function partOf(path: string): Part | undefined {
  const top = path.split("/")[0];
  return PARTS.find((part) => part === top);
}

/**
 * Every import between parts that the rule forbids, in the TypeScript files git knows (tracked,
 * or new and not ignored).
 *
 * @example
 *   await findImportViolations("/repo") // [{ from: "dispatcher/src/x.ts", to: "provisioner/src/y.ts", rule: "..." }]
 */
export async function findImportViolations(repoRoot: string): Promise<ImportViolation[]> {
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.ts", "*.mts"], {
    cwd: repoRoot,
    encoding: "utf8",
  })
    .split("\n")
    .filter((file) => file !== "" && partOf(file) !== undefined);
  // An import that does not resolve fails the build: that is reported as it is, with its place.
  const result = await build({
    absWorkingDir: repoRoot,
    entryPoints: files,
    bundle: true,
    write: false,
    metafile: true,
    outdir: resolve(repoRoot, ".tmp/check-imports"),
    packages: "external",
    external: ["cloudflare:*", "node:*"],
    platform: "neutral",
    format: "esm",
    logLevel: "silent",
  });
  const violations: ImportViolation[] = [];
  for (const [from, input] of Object.entries(result.metafile.inputs)) {
    const source = partOf(from);
    if (source === undefined) continue;
    const allowed = ALLOWED[source];
    for (const imported of input.imports) {
      if (imported.external) continue;
      const target = partOf(imported.path);
      if (target === undefined || target === source) continue;
      if (target === "tests") {
        violations.push({
          from,
          to: imported.path,
          rule: "nothing imports tests/ (move what is shared to scripts/lib)",
        });
      } else if (allowed !== undefined && !allowed.includes(target)) {
        const may = allowed.length === 0 ? "no other part" : allowed.map((part) => `${part}/`).join(", ");
        violations.push({ from, to: imported.path, rule: `${source}/ may import ${may}` });
      }
    }
  }
  return violations;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const repoRoot = resolve(import.meta.dirname, "..");
  const violations = await findImportViolations(repoRoot).catch((error: Error) => {
    process.stderr.write(`imports: ${error.message}\n`);
    process.exit(1);
  });
  if (process.argv.includes("--json")) {
    process.stdout.write(`${JSON.stringify({ violations }, null, 2)}\n`);
  } else if (violations.length === 0) {
    process.stdout.write("imports: every import between parts goes one way (docs/contracts.md)\n");
  } else {
    for (const v of violations) process.stderr.write(`${v.from} -> ${v.to}: ${v.rule}\n`);
    process.stderr.write(`imports: ${violations.length} import(s) break the rule of docs/contracts.md\n`);
  }
  process.exitCode = violations.length === 0 ? 0 : 1;
}
