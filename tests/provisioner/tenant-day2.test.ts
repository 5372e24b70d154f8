/**
 * The day-2 tenant commands through the CLI, against the real local platform (real workerd, the
 * dispatcher, D1, KV): suspend / resume, keys rotate-admin, domains add / remove, update, and
 * delete's confirmation, --backup and "no such tenant". Each tenant is this file's own.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Cloudflare from "cloudflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { EXIT, runTenantCli } from "../../provisioner/src/tenant-cli.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { requestTenant, runTenant, untilStatus } from "../../scripts/lib/tenant-traffic.ts";

let platform: LocalPlatform;
let stateDir: string;
let cf: Cloudflare;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-day2-"));
  platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 300 });
  cf = new Cloudflare({ apiToken: "local", baseURL: platform.apiUrl, maxRetries: 0 });
});
afterAll(async () => {
  await platform?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const tenant = (args: string[]) => runTenant(platform.apiUrl, args);

/** Creates a tenant with one hostname; its admin key. */
async function created(id: string): Promise<string> {
  const result = await tenant(["create", id, "--domain", `registry.${id}.localhost`, "--json"]);
  expect(result.code, result.stdout).toBe(EXIT.ok);
  return (JSON.parse(result.stdout) as { adminKey: string }).adminKey;
}

const withKey = (host: string, path: string, key: string) =>
  requestTenant(platform.trafficUrl, host, "GET", path, { headers: { authorization: `Bearer ${key}` } });

async function tagsOf(id: string): Promise<string[]> {
  const page = await cf.workersForPlatforms.dispatch.namespaces.scripts.tags.list(`tenant-${id}`, {
    account_id: platform.accountId,
    dispatch_namespace: "tenants",
  });
  return page.getPaginatedItems();
}

describe("suspend and resume", () => {
  it("403 tenant_suspended, tagged, kept by a re-run of create; resume serves the same data", async () => {
    const host = "registry.pause.localhost";
    const adminKey = await created("pause");
    const before = await withKey(host, "/api/export", adminKey);
    expect(before.status).toBe(200);

    const suspended = await tenant(["suspend", "pause", "--reason", "unpaid invoice", "--json"]);
    expect(suspended.code, suspended.stdout).toBe(EXIT.ok);
    expect(JSON.parse(suspended.stdout)).toMatchObject({ ok: true, status: "suspended", reason: "unpaid invoice" });
    const refused = await untilStatus(platform.trafficUrl, host, "/health", 403);
    expect(refused.status).toBe(403);
    expect(refused.json()).toMatchObject({ error: { code: "tenant_suspended" } });
    expect(await tagsOf("pause")).toContain("suspended");

    // Idempotent, and a re-run of create (even one that uploads) keeps the suspension and the tag.
    expect(JSON.parse((await tenant(["suspend", "pause", "--json"])).stdout)).toMatchObject({
      changed: false,
      reason: "unpaid invoice",
    });
    expect((await tenant(["create", "pause", "--domain", host])).code).toBe(EXIT.ok);
    expect((await requestTenant(platform.trafficUrl, host, "GET", "/health")).status).toBe(403);
    expect(await tagsOf("pause")).toContain("suspended");
    expect((await tenant(["show", "pause"])).stdout).toContain("is suspended");

    const resumed = await tenant(["resume", "pause", "--json"]);
    expect(resumed.code, resumed.stdout).toBe(EXIT.ok);
    expect((await untilStatus(platform.trafficUrl, host, "/health", 200)).status).toBe(200);
    expect(await tagsOf("pause")).not.toContain("suspended");
    const after = await withKey(host, "/api/export", adminKey);
    expect(after.body).toBe(before.body);
    expect(JSON.parse((await tenant(["resume", "pause", "--json"])).stdout)).toMatchObject({ changed: false });
  });

  it("exits 4 for a tenant that does not exist", async () => {
    expect((await tenant(["suspend", "nobody"])).code).toBe(EXIT.notFound);
    expect((await tenant(["resume", "nobody"])).code).toBe(EXIT.notFound);
  });
});

describe("keys rotate-admin", () => {
  it("prints a new key once; the old one is refused at once, the new one works", async () => {
    const host = "registry.rotor.localhost";
    const oldKey = await created("rotor");
    expect((await withKey(host, "/api/keys", oldKey)).status).toBe(200);
    const rotated = await tenant(["keys", "rotate-admin", "rotor", "--json"]);
    expect(rotated.code, rotated.stdout).toBe(EXIT.ok);
    const newKey = (JSON.parse(rotated.stdout) as { adminKey: string }).adminKey;
    expect(newKey).not.toBe(oldKey);
    expect((await withKey(host, "/api/keys", oldKey)).status).toBe(401);
    expect((await withKey(host, "/api/keys", newKey)).status).toBe(200);
    // A re-run of create keeps the new key (the record holds its hash), not the old one.
    expect((await tenant(["create", "rotor", "--domain", host])).code).toBe(EXIT.ok);
    expect((await withKey(host, "/api/keys", newKey)).status).toBe(200);
    expect((await withKey(host, "/api/keys", oldKey)).status).toBe(401);
    // keys revoke admin now points here.
    expect((await tenant(["keys", "revoke", "rotor", "admin"])).stderr).toContain("keys rotate-admin");
  });
});

describe("domains add and remove", () => {
  it("adds a reachable hostname, refuses to remove the last, removes one (unreachable)", async () => {
    await created("hosts");
    const extra = "api.hosts.localhost";
    expect((await requestTenant(platform.trafficUrl, extra, "GET", "/health")).status).toBe(404);
    const added = await tenant(["domains", "add", "hosts", extra, "--json"]);
    expect(added.code, added.stdout).toBe(EXIT.ok);
    expect(JSON.parse(added.stdout)).toMatchObject({ changed: true, domains: ["registry.hosts.localhost", extra] });
    expect((await untilStatus(platform.trafficUrl, extra, "/health", 200)).status).toBe(200);
    expect(JSON.parse((await tenant(["domains", "add", "hosts", extra, "--json"])).stdout)).toMatchObject({
      changed: false,
    });
    // create with the tenant's domains now is a no-op re-run.
    const again = await tenant(["create", "hosts", "--domain", "registry.hosts.localhost", "--domain", extra]);
    expect(again.code, again.stderr).toBe(EXIT.ok);

    // Another tenant cannot take it.
    await created("other");
    expect((await tenant(["domains", "add", "other", extra])).code).toBe(EXIT.conflict);

    const removed = await tenant(["domains", "remove", "hosts", "registry.hosts.localhost", "--json"]);
    expect(removed.code, removed.stdout).toBe(EXIT.ok);
    expect((await untilStatus(platform.trafficUrl, "registry.hosts.localhost", "/health", 404)).status).toBe(404);
    expect((await requestTenant(platform.trafficUrl, extra, "GET", "/health")).status).toBe(200);
    const last = await tenant(["domains", "remove", "hosts", extra]);
    expect(last.code).toBe(EXIT.usage);
    expect(last.stderr).toMatch(/only domain of tenant 'hosts'.*domains add/s);
    expect((await requestTenant(platform.trafficUrl, extra, "GET", "/health")).status).toBe(200);
    expect(JSON.parse((await tenant(["show", "hosts", "--json"])).stdout)).toMatchObject({
      complete: true,
      spec: { domains: [extra] },
    });
  });
});

describe("update", () => {
  it("changes the rate limit (429 sooner) and the plan, and nothing else", async () => {
    const host = "registry.limits.localhost";
    await created("limits");
    const first = await requestTenant(platform.trafficUrl, host, "GET", "/health");
    expect(first.headers["x-ratelimit-limit"]).toBe("6000");
    const updated = await tenant(["update", "limits", "--rate-limit", "3/min", "--plan", "pro", "--json"]);
    expect(updated.code, updated.stdout).toBe(EXIT.ok);
    expect(JSON.parse(updated.stdout)).toMatchObject({
      changed: true,
      spec: { plan: "pro", requestsPerMinute: 3, domains: [host], cacheMode: "on" },
    });
    expect((await untilStatus(platform.trafficUrl, host, "/health", 429)).status).toBe(429);
    const show = JSON.parse((await tenant(["show", "limits", "--json"])).stdout) as {
      resources: { routes: Array<{ record: { plan: string; rateLimit: { requestsPerMinute: number } } }> };
    };
    expect(show.resources.routes[0]!.record).toMatchObject({ plan: "pro", rateLimit: { requestsPerMinute: 3 } });
    expect(JSON.parse((await tenant(["update", "limits", "--plan", "pro", "--json"])).stdout)).toMatchObject({
      changed: false,
    });
  });
});

describe("delete", () => {
  async function runWith(args: string[], io: { interactive: boolean; ask?: (q: string) => Promise<string> }) {
    let stdout = "";
    let stderr = "";
    const code = await runTenantCli(args, {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      env: { CLOUDFLARE_API_BASE_URL: platform.apiUrl },
      ...io,
    });
    return { code, stdout, stderr };
  }

  it("refuses without --yes when nothing can be asked, asks on a terminal, exits 4 for a missing id", async () => {
    await created("doomed");
    const refused = await runWith(["delete", "doomed"], { interactive: false });
    expect(refused.code).toBe(EXIT.usage);
    expect(refused.stderr).toContain("add --yes");
    expect((await tenant(["show", "doomed"])).code).toBe(EXIT.ok);

    const questions: string[] = [];
    const wrong = await runWith(["delete", "doomed"], {
      interactive: true,
      ask: async (q) => {
        questions.push(q);
        return "no";
      },
    });
    expect(wrong.code).toBe(EXIT.usage);
    expect(questions[0]).toContain("Type the tenant id");
    expect((await tenant(["show", "doomed"])).code).toBe(EXIT.ok);

    const confirmed = await runWith(["delete", "doomed"], { interactive: true, ask: async () => "doomed" });
    expect(confirmed.code, confirmed.stderr).toBe(EXIT.ok);
    expect((await tenant(["show", "doomed"])).code).toBe(EXIT.notFound);

    const missing = await runWith(["delete", "doomed"], { interactive: true, ask: async () => "doomed" });
    expect(missing.code).toBe(EXIT.notFound);
    expect((await tenant(["delete", "doomed", "--yes"])).code).toBe(EXIT.notFound);
  });

  it("--backup saves the export first; the tenant is gone after", async () => {
    const host = "registry.saved.localhost";
    const adminKey = await created("saved");
    const expected = (await withKey(host, "/api/export", adminKey)).body;
    const file = join(stateDir, "saved-backup.json");
    const deleted = await tenant(["delete", "saved", "--yes", "--backup", file]);
    expect(deleted.code, deleted.stderr).toBe(EXIT.ok);
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, "utf8")).toBe(expected);
    expect((await tenant(["show", "saved"])).code).toBe(EXIT.notFound);
    // An existing file is refused before anything is deleted.
    await created("kept");
    expect((await tenant(["delete", "kept", "--yes", "--backup", file])).code).toBe(EXIT.usage);
    expect((await tenant(["show", "kept"])).code).toBe(EXIT.ok);
  });
});
