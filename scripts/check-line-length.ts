/**
 * Lines of code are at most 120 characters (Biome's lineWidth). Biome's formatter keeps code to
 * that width but cannot split a long string or comment, so this check covers what it leaves.
 * Generated files, fixtures and the lockfile are what Biome ignores too (biome.json).
 *
 * Usage: `npm run lint`, or `node --import tsx scripts/check-line-length.ts`.
 * Exit codes: 0 every line fits, 1 some do not (each printed as `file:line: N characters`).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

export const MAX_LINE_LENGTH = 120;
const CODE = /\.(ts|mts|js|mjs|json|jsonc)$/;
const IGNORED = [/^package-lock\.json$/, /\/generated\//, /\/fixtures\//];

export interface LongLine {
  file: string;
  line: number;
  length: number;
}

/**
 * Every line of code longer than {@link MAX_LINE_LENGTH} in the files git knows (tracked, or new
 * and not ignored), counted in characters (code points).
 *
 * @example
 *   findLongLines("/repo") // [{ file: "scripts/x.ts", line: 12, length: 131 }]
 */
export function findLongLines(repoRoot: string): LongLine[] {
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
    cwd: repoRoot,
    encoding: "utf8",
  })
    .split("\n")
    .filter((file) => CODE.test(file) && !IGNORED.some((pattern) => pattern.test(file)));
  const long: LongLine[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(resolve(repoRoot, file), "utf8");
    } catch {
      continue; // deleted in the work tree, not yet in the index
    }
    text.split("\n").forEach((line, index) => {
      const length = [...line].length;
      if (length > MAX_LINE_LENGTH) long.push({ file, line: index + 1, length });
    });
  }
  return long;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const long = findLongLines(resolve(import.meta.dirname, ".."));
  for (const { file, line, length } of long) process.stderr.write(`${file}:${line}: ${length} characters\n`);
  if (long.length > 0) {
    process.stderr.write(`line length: ${long.length} line(s) over ${MAX_LINE_LENGTH} characters; split them\n`);
  }
  process.exitCode = long.length === 0 ? 0 : 1;
}
