/**
 * wrangler is the other client the local platform must satisfy: real wrangler commands against
 * the local API, including `d1 migrations` against a tenant database the provisioner migrated
 * (which proves the provisioner tracks migrations in `d1_migrations` exactly as wrangler does).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Cloudflare from "cloudflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { EXIT } from "../../provisioner/src/tenant-cli.ts";
import { runTenant } from "../../scripts/lib/tenant-traffic.ts";

const execFileAsync = promisify(execFile);
const repo = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(repo, "node_modules", ".bin");

let platform: LocalPlatform;
let stateDir: string;
let workDir: string;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-wrangler-"));
  workDir = mkdtempSync(join(tmpdir(), "wfp-wrangler-cwd-"));
  platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir });
});
afterAll(async () => {
  await platform?.close();
  rmSync(stateDir, { recursive: true, force: true });
  rmSync(workDir, { recursive: true, force: true });
});

/** Runs wrangler (on the repository's Node 22) against the local platform; offline, no metrics. */
async function wrangler(args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(join(bin, "wrangler"), args, {
    cwd: workDir,
    env: {
      ...process.env,
      PATH: `${bin}${delimiter}${process.env.PATH ?? ""}`,
      CLOUDFLARE_API_BASE_URL: platform.apiUrl,
      CLOUDFLARE_API_TOKEN: "local",
      CLOUDFLARE_ACCOUNT_ID: platform.accountId,
      WRANGLER_SEND_METRICS: "false",
      CI: "true",
    },
    timeout: 60_000,
  });
  return stdout;
}

describe("wrangler against the local platform", () => {
  it("creates, lists and queries D1 databases", async () => {
    await wrangler(["d1", "create", "wrangler-made-db"]);
    const list = JSON.parse(await wrangler(["d1", "list", "--json"])) as { name: string }[];
    expect(list.map((d) => d.name)).toContain("wrangler-made-db");
    const out = JSON.parse(
      await wrangler([
        "d1",
        "execute",
        "wrangler-made-db",
        "--remote",
        "--json",
        "--command",
        "CREATE TABLE t(x); INSERT INTO t VALUES (41), (1); SELECT sum(x) AS total FROM t",
      ]),
    ) as { results: unknown[] }[];
    expect(out.at(-1)?.results).toEqual([{ total: 42 }]);
  });

  it("writes and reads KV values", async () => {
    await wrangler(["kv", "namespace", "create", "wrangler-made-kv"]);
    const namespaces = JSON.parse(await wrangler(["kv", "namespace", "list"])) as { id: string; title: string }[];
    const ns = namespaces.find((n) => n.title === "wrangler-made-kv");
    expect(ns).toBeDefined();
    await wrangler(["kv", "key", "put", "--namespace-id", ns!.id, "--remote", "greeting", "hello"]);
    expect((await wrangler(["kv", "key", "get", "--namespace-id", ns!.id, "--remote", "greeting"])).trim()).toBe(
      "hello",
    );
  });

  it("sees a provisioned tenant's database as fully migrated", async () => {
    const { code, stderr } = await runTenant(platform.apiUrl, [
      "create",
      "wrangled",
      "--domain",
      "registry.wrangled.localhost",
    ]);
    expect(code, stderr).toBe(EXIT.ok);
    const cf = new Cloudflare({ apiToken: "local", baseURL: platform.apiUrl, maxRetries: 0 });
    const [db] = (await cf.d1.database.list({ account_id: platform.accountId, name: "wfp-tenant-wrangled" })).result;
    writeFileSync(
      join(workDir, "wrangler.json"),
      JSON.stringify({
        name: "wrangled",
        compatibility_date: "2026-06-01",
        d1_databases: [
          {
            binding: "DB",
            database_name: "wfp-tenant-wrangled",
            database_id: db!.uuid,
            migrations_dir: join(repo, "tenant-template", "migrations"),
          },
        ],
      }),
    );
    try {
      expect(await wrangler(["d1", "migrations", "list", "DB", "--remote"])).toContain("No migrations to apply");
    } finally {
      rmSync(join(workDir, "wrangler.json"));
    }
  });
});
