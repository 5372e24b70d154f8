/**
 * Checks recorded API answers against the `cloudflare` SDK's response types, with the TypeScript
 * compiler itself: each answer becomes an object literal followed by `satisfies <its SDK type>` in
 * a generated file, so a field the SDK does not know (an excess property) or of another type fails
 * `tsc`, and tsc's message is mapped back to the call that produced the answer. TypeScript 7 (the
 * native tsc) has no compiler API, so this runs `node_modules/.bin/tsc` on a generated project.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { RecordedCall } from "./record-api-calls.ts";
import type { SdkCall } from "./sdk-calls.ts";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * The envelopes, written in the generated file once. Successful answers: Cloudflare's v4 envelope
 * with what the SDK's page class reads in `result_info` (core/pagination.d.ts) plus the fields
 * Cloudflare documents there; failed ones: `{ success: false, errors: [{ code, message }], … }`.
 */
const PRELUDE = `import type {
  CursorLimitPaginationResponse,
  V4PagePaginationArrayResponse,
} from "cloudflare/core/pagination";
import type { ResponseInfo } from "cloudflare/resources/shared";

/** What Cloudflare's docs list in a page's result_info, beyond what the SDK's page classes read. */
type DocumentedResultInfo = {
  page?: number;
  per_page?: number;
  count?: number;
  total_count?: number;
  total_pages?: number;
};
type Ok<R> = { success: true; errors: ResponseInfo[]; messages: ResponseInfo[]; result: R };
type V4PagePaginationArray<I> = Ok<I[]> & {
  result_info: Required<V4PagePaginationArrayResponse.ResultInfo> & DocumentedResultInfo;
};
type CursorLimitPagination<I> = Ok<I[]> & { result_info: CursorLimitPaginationResponse.ResultInfo };
type SinglePage<I> = Ok<I[]> & { result_info?: DocumentedResultInfo };
type Failed = { success: false; errors: [ResponseInfo, ...ResponseInfo[]]; messages: ResponseInfo[]; result: null };
`;

/** The row a call belongs to: the matching pattern with the fewest `:params` (`fallback_origin` over `:id`). */
export function rowFor(table: readonly SdkCall[], call: Pick<RecordedCall, "method" | "path">): SdkCall | undefined {
  const params = (row: SdkCall) => row.path.split("/").filter((s) => s.startsWith(":")).length;
  return table
    .filter((row) => row.method === call.method && pathPattern(row.path).test(call.path))
    .sort((a, b) => params(a) - params(b))[0];
}

function pathPattern(path: string): RegExp {
  const segments = path.split("/").map((s) => (s.startsWith(":") ? "[^/]+" : s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  return new RegExp(`^${segments.join("/")}/?$`);
}

function describeCall(call: RecordedCall, row?: SdkCall): string {
  return `${call.method} ${call.path}${call.query} -> ${call.status}${row ? ` (${row.sdk})` : ""}`;
}

/**
 * Every way the answers differ from the SDK: calls with no row, rows never answered with success,
 * answers that are not JSON envelopes, and tsc's errors, each line naming the call.
 *
 * @example
 *   const problems = await checkSdkContract(recorder.calls, SDK_CALLS);
 *   expect(problems).toEqual([]);
 */
export async function checkSdkContract(
  calls: readonly RecordedCall[],
  table: readonly SdkCall[],
  { requireEveryRow = true } = {},
): Promise<string[]> {
  const problems: string[] = [];
  const answered = new Set<SdkCall>();
  let source = PRELUDE;
  let line = source.split("\n").length;
  const spans: Array<{ from: number; to: number; what: string; row: SdkCall }> = [];
  const seen = new Set<string>();

  for (const call of calls) {
    const row = rowFor(table, call);
    if (!row) {
      problems.push(`${describeCall(call)}: no row in tests/support/sdk-calls.ts names this call's SDK type`);
      continue;
    }
    const success = call.status >= 200 && call.status < 300;
    if (success) answered.add(row);
    if (success && row.envelope === "raw") continue;
    let body: unknown;
    try {
      body = JSON.parse(call.body);
    } catch {
      problems.push(
        `${describeCall(call, row)}: the answer is not JSON (${call.contentType}): ${call.body.slice(0, 80)}`,
      );
      continue;
    }
    const type = !success
      ? "Failed"
      : row.envelope === "object"
        ? `Ok<${row.type}>`
        : row.envelope === "body"
          ? row.type
          : `${row.envelope}<${row.type}>`;
    const literal = JSON.stringify(body, null, 2);
    const key = `${type}\n${literal}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const statement =
      `// ${describeCall(call, row)}\n` + `export const answer${spans.length} = ${literal} satisfies ${type};\n`;
    spans.push({ from: line, to: line + statement.split("\n").length - 1, what: describeCall(call, row), row });
    source += statement;
    line += statement.split("\n").length - 1;
  }

  if (requireEveryRow) {
    for (const row of table) {
      if (!answered.has(row)) {
        problems.push(
          `${row.method} ${row.path} (${row.sdk}): never answered with success by the flows; cover it or drop the row`,
        );
      }
    }
  }

  // One line per drift: the first call showing it, and how many more answers of the row show it too.
  const drifts = new Map<string, { first: string; more: number }>();
  for (const error of await typecheck(source)) {
    const span = spans.find((s) => error.line >= s.from && error.line <= s.to);
    const key = `${span?.row.sdk ?? ""} ${error.message}`;
    const known = drifts.get(key);
    if (known) known.more++;
    else drifts.set(key, { first: `${span?.what ?? `line ${error.line}`}: ${error.message}`, more: 0 });
  }
  for (const { first, more } of drifts.values())
    problems.push(more === 0 ? first : `${first} (and ${more} more answers)`);
  return problems;
}

interface TscError {
  line: number;
  message: string;
}

/** Run tsc on the generated file in a folder inside the repo (so `cloudflare` resolves), then remove it. */
async function typecheck(source: string): Promise<TscError[]> {
  mkdirSync(join(REPO_ROOT, ".tmp"), { recursive: true });
  const dir = mkdtempSync(join(REPO_ROOT, ".tmp", "sdk-contract-"));
  try {
    writeFileSync(join(dir, "answers.ts"), source);
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          target: "ES2023",
          module: "ESNext",
          moduleResolution: "Bundler",
          lib: ["ES2023", "DOM"],
          types: [],
          skipLibCheck: true,
          noEmit: true,
        },
        files: ["answers.ts"],
      }),
    );
    const tsc = join(REPO_ROOT, "node_modules", ".bin", "tsc");
    const output = await promisify(execFile)(tsc, ["--noEmit", "--pretty", "false", "-p", join(dir, "tsconfig.json")], {
      cwd: REPO_ROOT,
      maxBuffer: 64 * 1024 * 1024,
    }).then(
      (r) => r.stdout,
      (error: { stdout?: string; stderr?: string; message: string }) => {
        if (!error.stdout) throw new Error(`tsc failed without a diagnostic: ${error.stderr ?? error.message}`);
        return error.stdout;
      },
    );
    const errors: TscError[] = [];
    for (const text of output.split("\n")) {
      const match = /^.*?answers\.ts\((\d+),\d+\): error (TS\d+: .*)$/.exec(text);
      if (match) errors.push({ line: Number(match[1]), message: match[2]! });
      else if (text.startsWith(" ") && errors.length > 0) errors.at(-1)!.message += ` ${text.trim()}`;
      else if (text.trim() !== "") errors.push({ line: 0, message: text });
    }
    return errors;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
