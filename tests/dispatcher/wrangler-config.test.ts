/**
 * The Workers' wrangler configs must build and deploy as written: `wrangler deploy --dry-run`
 * bundles the Worker and validates every binding without contacting Cloudflare.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { REPO_ROOT } from "../../scripts/lib/worker-bundles.ts";

let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "wfp-wrangler-"));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Runs wrangler offline: Node 22 from node_modules first in PATH, no metrics, no account, a private config home. */
function dryRun(config: string, outdir: string): Promise<{ code: number | null; output: string }> {
  const bin = join(REPO_ROOT, "node_modules", ".bin");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${bin}${delimiter}${process.env.PATH ?? ""}`,
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    WRANGLER_LOG_PATH: join(scratch, "logs"),
    XDG_CONFIG_HOME: join(scratch, "config"),
    CI: "true",
    NO_COLOR: "1",
  };
  delete env.CLOUDFLARE_API_TOKEN;
  delete env.CLOUDFLARE_ACCOUNT_ID;
  return new Promise((resolve, reject) => {
    const child = spawn(join(bin, "wrangler"), ["deploy", "--dry-run", "--config", config, "--outdir", outdir], {
      cwd: REPO_ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("wrangler deploy --dry-run", () => {
  test("dispatcher/wrangler.jsonc: builds, with the routing store, the dispatch namespace and PLATFORM_HOSTS", {
    timeout: 60_000,
  }, async () => {
    const outdir = join(scratch, "dispatcher");
    const { code, output } = await dryRun("dispatcher/wrangler.jsonc", outdir);
    expect(code, output).toBe(0);
    expect(output).toMatch(/env\.ROUTES\b.*KV Namespace/);
    expect(output).toMatch(/env\.DISPATCHER \(tenants\)\s+Dispatch Namespace/);
    expect(output).toMatch(/env\.PLATFORM_HOSTS\b/);
    expect(await readFile(join(outdir, "index.js"), "utf8")).toContain("tenant_suspended");
  });

  test("tenant-template/wrangler.jsonc: builds, with DB, CACHE and the tenant vars", { timeout: 60_000 }, async () => {
    const outdir = join(scratch, "tenant-template");
    const { code, output } = await dryRun("tenant-template/wrangler.jsonc", outdir);
    expect(code, output).toBe(0);
    for (const binding of ["DB", "CACHE", "TENANT_ID", "TEMPLATE_VERSION", "RESIDENCY", "CACHE_MODE"]) {
      expect(output).toMatch(new RegExp(`env\\.${binding}\\b`));
    }
  });
});
