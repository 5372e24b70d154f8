/**
 * `npm run conformance [-- --json] [--suite <dir>] [--file <name.feature>]... [--platforms <n>]
 *   [--tenants <n>] [--failures] [--rerun <report.json>] [--no-bookmarks]`
 *
 * `--no-bookmarks` plays every request without an `x-d1-bookmark` header, as a plain Confluent
 * client does (so the Worker's schema id cache answers as it would for them); by default each
 * scenario's requests carry one from `first-primary` on. The report says which.
 *
 * `--rerun` plays only the scenarios that did not pass in an earlier `--json` report (iterating on
 * failures without replaying the two thousand that pass); the rate it prints covers those alone.
 *
 * Plays the confluent-bdd core features against fresh tenant registries on a local platform and
 * prints the pass rate per file and in total (docs/conformance.md). The pass rate is a figure,
 * not a verdict: exit 0 whenever the run completed, 1 only when the runner could not run.
 */
import { readFileSync } from "node:fs";
import { formatReport, runConformance, RunnerError } from "./conformance/conformance-runner.ts";

const args = process.argv.slice(2);
const json = args.includes("--json");
const failures = args.includes("--failures");
const bookmarks = !args.includes("--no-bookmarks");
const files: string[] = [];
let suiteDir: string | undefined;
let platforms = 1;
let tenants = 3;
let rerun: string | undefined;
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === "--file") files.push(args[++i] ?? "");
  else if (arg === "--suite") suiteDir = args[++i];
  else if (arg === "--platforms") platforms = Number(args[++i]);
  else if (arg === "--tenants") tenants = Number(args[++i]);
  else if (arg === "--rerun") rerun = args[++i];
  else if (arg !== "--json" && arg !== "--failures" && arg !== "--no-bookmarks") {
    process.stderr.write(`unknown argument ${arg}\n`);
    process.exit(2);
  }
}

// Workers' console output (Miniflare forwards it to stdout) would corrupt the report: while the
// run lasts, everything written to stdout goes to stderr, and the report alone goes to stdout.
const writeStdout = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean =>
  (process.stderr.write as (...a: unknown[]) => boolean)(chunk, ...rest)) as typeof process.stdout.write;

/** The scenarios (file:line) an earlier report did not pass. */
function notPassedIn(path: string): Set<string> {
  const text = readFileSync(path, "utf8");
  const earlier = JSON.parse(text.slice(text.indexOf("{"))) as {
    scenarios: { file: string; line: number; status: string }[];
  };
  return new Set(earlier.scenarios.filter((s) => s.status !== "passed").map((s) => `${s.file}:${s.line}`));
}

try {
  const again = rerun === undefined ? undefined : notPassedIn(rerun);
  const failedFiles =
    again === undefined ? [] : [...new Set([...again].map((key) => key.slice(0, key.lastIndexOf(":"))))];
  const report = await runConformance({
    ...(again === undefined
      ? {}
      : {
          only: (file: string, line: number) => again.has(`${file}:${line}`),
          ...(files.length === 0 ? { files: failedFiles } : {}),
        }),
    ...(suiteDir === undefined ? {} : { suiteDir }),
    ...(files.length === 0 ? {} : { files }),
    platforms: Number.isInteger(platforms) && platforms > 0 ? platforms : 1,
    tenants: Number.isInteger(tenants) && tenants > 0 ? tenants : 3,
    bookmarks,
    // Progress on stderr, so stdout stays one report (or one JSON object).
    onScenario: (_result, done, total) => {
      if (process.stderr.isTTY || done % 100 === 0 || done === total)
        process.stderr.write(`\r${done}/${total} scenarios`);
      if (done === total) process.stderr.write("\n");
    },
  });
  process.stdout.write = writeStdout;
  if (json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    process.stdout.write(`${formatReport(report)}\n`);
    if (failures) {
      process.stdout.write("\nFailures:\n");
      for (const r of report.scenarios.filter((s) => s.status === "failed" || s.status === "error"))
        process.stdout.write(`  ${r.file}:${r.line} ${r.name}\n    at: ${r.step ?? ""}\n    ${r.message ?? ""}\n`);
    }
  }
} catch (error) {
  const detail =
    error instanceof RunnerError
      ? error.message
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
  process.stderr.write(`conformance: ${detail}\n`);
  process.exit(1);
}
