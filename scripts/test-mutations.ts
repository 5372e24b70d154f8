/**
 * `npm run test:mutations`: applies each one-line mutation of scripts/mutations/mutation-list.ts to
 * a copy of the repository, runs the tests that guard its claim, and fails if any mutation
 * survives (its tests still pass). The copy lives in the system's temp folder, so the checkout is
 * never left mutated, even when the run is interrupted.
 *
 *   npm run test:mutations                                   # every mutation
 *   npm run test:mutations -- --only bookmark-read-your-writes,revoked-keys-refused
 *   npm run test:mutations -- --list | --json
 *
 * Exit codes: 0 every mutation killed; 1 at least one survived; 2 bad usage, or the unmutated
 * tests do not pass (then no mutation result would mean anything).
 */
import { spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { execFileSync } from "node:child_process";
import { applyMutation } from "./mutations/apply-mutation.ts";
import { MUTATIONS, type Mutation } from "./mutations/mutation-list.ts";

const usage = `Usage: npm run test:mutations -- [--only <name,name>] [--list] [--json]

Applies one-line mutations of product code, each attacking one documented claim, and runs the
tests that guard that claim against each; fails if any mutation survives.
  --only <names>  only these mutations (comma-separated names; see --list)
  --list          print the mutations and exit (with --json: as one JSON array)
  --json          print one JSON document with every result instead of progress lines

Exit codes: 0 every mutation killed; 1 at least one survived; 2 bad usage (an unknown name), a
mutation that no longer applies, or guarding tests that fail unmutated.`;

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function parse() {
  try {
    return parseArgs({
      options: {
        only: { type: "string" },
        list: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
}

const args = parse();
if (args.help) {
  console.log(usage);
  process.exit(0);
}
if (args.list) {
  if (args.json) console.log(JSON.stringify(MUTATIONS));
  else for (const m of MUTATIONS) console.log(`${m.name}\n  claim: ${m.claim}\n  ${m.file}: ${m.from} -> ${m.to}\n`);
  process.exit(0);
}
let selected: readonly Mutation[] = MUTATIONS;
if (args.only !== undefined) {
  const names = args.only
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n !== "");
  if (names.length === 0) {
    console.error("--only needs at least one mutation name; see npm run test:mutations -- --list");
    process.exit(2);
  }
  const unknown = names.filter((n) => !MUTATIONS.some((m) => m.name === n));
  if (unknown.length > 0) {
    console.error(`No mutation named ${unknown.join(", ")}; see npm run test:mutations -- --list`);
    process.exit(2);
  }
  selected = MUTATIONS.filter((m) => names.includes(m.name));
}

// Fail before any work when a mutation no longer applies.
const mutated = new Map<Mutation, string>();
try {
  for (const m of selected) mutated.set(m, applyMutation(readFileSync(join(root, m.file), "utf8"), m));
} catch (error) {
  console.error(`${(error as Error).message}\nUpdate scripts/mutations/mutation-list.ts.`);
  process.exit(2);
}

const progress = (line: string) => {
  if (!args.json) console.log(line);
};

/** The working tree (tracked and new files, not ignored ones) copied, node_modules linked. */
function copyRepository(): string {
  const copy = mkdtempSync(join(tmpdir(), "wfp-mutations-"));
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: root, encoding: "utf8" })
    .split("\0")
    .filter((f) => f !== "");
  for (const file of files) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    try {
      cpSync(join(root, file), join(copy, file));
    } catch {
      // A file deleted in the working tree but still tracked: nothing to copy.
    }
  }
  symlinkSync(join(root, "node_modules"), join(copy, "node_modules"), "dir");
  return copy;
}

/**
 * Kills what a run left behind in the copy. A mutant often fails a suite before its Miniflare is
 * disposed, and that workerd would outlive vitest (re-parented, still running): over 30 mutations
 * they pile up. They are found by their working folder, which they inherit from vitest. Linux only.
 */
function killLeftovers(copy: string): void {
  if (!existsSync("/proc/self/cwd")) return;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      // The copy itself, a folder in it, or either once deleted ("<path> (deleted)").
      const cwd = readlinkSync(`/proc/${entry}/cwd`).replace(/ \(deleted\)$/, "");
      if (cwd === copy || cwd.startsWith(`${copy}/`)) process.kill(Number(entry), "SIGKILL");
    } catch {
      // Gone already, or not ours to read.
    }
  }
}

/** Runs vitest on these files in the copy; true when every test passed. */
function testsPass(copy: string, tests: string[]): Promise<{ passed: boolean; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(copy, "node_modules/vitest/vitest.mjs"), "run", ...tests], {
      cwd: copy,
      env: { ...process.env, CI: "1", FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("close", (code) => {
      killLeftovers(copy);
      done({ passed: code === 0, output });
    });
  });
}

interface Result {
  name: string;
  claim: string;
  file: string;
  tests: string[];
  outcome: "killed" | "survived";
  seconds: number;
}

const copy = copyRepository();
let interrupted = false;
const cleanUp = () => {
  killLeftovers(copy);
  rmSync(copy, { recursive: true, force: true });
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    interrupted = true;
    cleanUp();
    process.exit(130);
  });
}

try {
  const guards = [...new Set(selected.flatMap((m) => m.tests))];
  progress(`Unmutated: ${guards.length} test file(s) must pass first ...`);
  const baseline = await testsPass(copy, guards);
  if (!baseline.passed) {
    console.error(`${baseline.output}\nThe guarding tests fail without any mutation; fix them first.`);
    process.exit(2);
  }
  const results: Result[] = [];
  for (const [index, m] of selected.entries()) {
    const target = join(copy, m.file);
    const original = readFileSync(target, "utf8");
    writeFileSync(target, mutated.get(m)!);
    const started = performance.now();
    const run = await testsPass(copy, m.tests);
    writeFileSync(target, original);
    const result: Result = {
      name: m.name,
      claim: m.claim,
      file: m.file,
      tests: m.tests,
      outcome: run.passed ? "survived" : "killed",
      seconds: Math.round((performance.now() - started) / 100) / 10,
    };
    results.push(result);
    progress(`[${index + 1}/${selected.length}] ${m.name}: ${result.outcome} (${result.seconds} s)`);
  }
  const survivors = results.filter((r) => r.outcome === "survived");
  if (args.json) console.log(JSON.stringify({ mutations: results.length, survived: survivors.length, results }));
  else {
    console.log(`\n${results.length - survivors.length} of ${results.length} mutations killed.`);
    for (const s of survivors) console.log(`SURVIVED ${s.name}: ${s.claim}\n  no test in ${s.tests.join(", ")} failed`);
  }
  process.exitCode = survivors.length === 0 ? 0 : 1;
} finally {
  if (!interrupted) cleanUp();
}
