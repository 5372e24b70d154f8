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
 * Every import form counts: `import`, `import type`, `export ... from`, side-effect `import "x"` and
 * dynamic `import("x")`; a relative path is judged by the file it resolves to, and one that does
 * not resolve is reported too. Package imports are left out (they are not parts). A plain reader
 * rather than a bundler: esbuild, for one, erases `import type` before resolving anything.
 *
 * Usage: `npm run lint` (with Biome and the line-length check), or alone:
 *   node --import tsx scripts/check-imports.ts [--json]
 * Exit codes: 0 no violation, 1 violations (each printed as `file -> imported file: rule`).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";

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

// Read from the source with comments blanked and string contents masked (same offsets), so an
// import written in a comment or inside a string is not taken for one. Statements start a line
// and end at a semicolon (Biome formats them so); dynamic imports can stand anywhere.
const STATIC_IMPORT = /^\s*(?:import|export)\b[^;]*?\bfrom\s*(["'])( *)\1|^\s*import\s*(["'])( *)\3/dgm;
const DYNAMIC_IMPORT = /\bimport\(\s*(["'])( *)\1\s*\)/dg;
// After these a "/" starts a regular expression, not a division.
const BEFORE_REGEX = new Set([..."(,=:[!&|?{};+-*%<>~^"]);

/**
 * The source with comments turned to spaces and the characters inside string, template and
 * regular-expression literals turned to spaces, keeping every offset.
 */
function maskSource(source: string): string {
  const out = source.split("");
  const blank = (from: number, to: number) => {
    for (let i = from; i < to; i += 1) if (out[i] !== "\n") out[i] = " ";
  };
  let previous = ""; // the last character of code that was not whitespace
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      const end = source.indexOf("\n", i);
      const stop = end === -1 ? source.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end === -1 ? source.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === '"' || c === "'" || c === "`" || (c === "/" && (previous === "" || BEFORE_REGEX.has(previous)))) {
      let j = i + 1;
      let inClass = false;
      while (j < source.length) {
        const d = source[j]!;
        if (d === "\\") j += 1;
        else if (c === "/" && d === "[") inClass = true;
        else if (c === "/" && d === "]") inClass = false;
        else if (d === c && !inClass) break;
        else if (d === "\n" && c !== "`") break; // an unterminated literal ends with its line
        j += 1;
      }
      blank(i + 1, Math.min(j, source.length));
      previous = c;
      i = j + 1;
    } else {
      if (c.trim() !== "") previous = c;
      i += 1;
    }
  }
  return out.join("");
}

/**
 * The specifiers a TypeScript file imports, in every form, in the order they appear per form.
 *
 * @example
 *   importSpecifiers('import type { A } from "./a.ts";\nconst b = import("./b.ts");') // ["./a.ts", "./b.ts"]
 */
export function importSpecifiers(source: string): string[] {
  const masked = maskSource(source);
  const specifiers: string[] = [];
  for (const pattern of [STATIC_IMPORT, DYNAMIC_IMPORT]) {
    for (const match of masked.matchAll(pattern)) {
      const span = match.indices?.[2] ?? match.indices?.[4];
      if (span !== undefined) specifiers.push(source.slice(span[0], span[1]));
    }
  }
  return specifiers;
}

/**
 * Every import between parts that the rule forbids, and every relative import that does not
 * resolve, in the TypeScript files git knows (tracked, or new and not ignored).
 *
 * @example
 *   findImportViolations("/repo") // [{ from: "dispatcher/src/x.ts", to: "provisioner/src/y.ts", rule: "..." }]
 */
export function findImportViolations(repoRoot: string): ImportViolation[] {
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.ts", "*.mts"], {
    cwd: repoRoot,
    encoding: "utf8",
  })
    .split("\n")
    .filter((file) => file !== "" && partOf(file) !== undefined && existsSync(resolve(repoRoot, file)));
  const violations: ImportViolation[] = [];
  for (const from of files) {
    const source = partOf(from)!;
    const allowed = ALLOWED[source];
    for (const specifier of importSpecifiers(readFileSync(resolve(repoRoot, from), "utf8"))) {
      if (!specifier.startsWith(".")) continue; // a package, or a runtime module (node:, cloudflare:)
      const absolute = resolve(repoRoot, dirname(from), specifier);
      const to = relative(repoRoot, absolute);
      if (!existsSync(absolute)) {
        violations.push({ from, to, rule: `'${specifier}' does not resolve to a file` });
        continue;
      }
      const target = partOf(to);
      if (target === undefined || target === source) continue;
      if (target === "tests") {
        violations.push({ from, to, rule: "nothing imports tests/ (move what is shared to scripts/lib)" });
      } else if (allowed !== undefined && !allowed.includes(target)) {
        const may = allowed.length === 0 ? "no other part" : allowed.map((part) => `${part}/`).join(", ");
        violations.push({ from, to, rule: `${source}/ may import ${may}` });
      }
    }
  }
  return violations;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const repoRoot = resolve(import.meta.dirname, "..");
  const violations = findImportViolations(repoRoot);
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
