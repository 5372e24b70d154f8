/**
 * The local platform answers every call the provisioner makes as the `cloudflare` SDK types it:
 * the provisioner's real flows (platform init on an empty account, then again; platform check;
 * tenant create for eu, uk, global and shared-cache tenants, an adopted database whose read
 * replication is set, a regional target moved to its region; re-runs, show, list, keys, delete) run
 * against a local platform through a recording fetch, and each answer is checked with tsc against
 * its row of tests/support/sdk-calls.ts (field names and types, the envelope, result_info for paged
 * lists, the error envelope). A call with no row fails, and so does
 * a row no flow answered, so neither the imitation nor the table can drift from the SDK unnoticed.
 */
import Cloudflare from "cloudflare";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalPlatform, type LocalPlatform } from "../../infra/local-platform/index.ts";
import { createCloudflareClient } from "../../provisioner/src/cloudflare-client.ts";
import { readTargetSettings, resolveAccount, resolveTarget, type Target } from "../../provisioner/src/config.ts";
import { checkPlatform } from "../../provisioner/src/platform-check.ts";
import { deleteTenant } from "../../provisioner/src/tenant.ts";
import { initPlatform } from "../../provisioner/src/platform-init.ts";
import { deleteRegionalHostname, regionalCnameTarget } from "../../provisioner/src/regional-hostname.ts";
import { findRoutedHostnames } from "../../provisioner/src/route-record-store.ts";
import { EXIT, runTenantCli } from "../../provisioner/src/tenant-cli.ts";
import { checkSdkContract } from "../support/check-sdk-contract.ts";
import { type RecordedCall, recordApiCalls } from "../support/record-api-calls.ts";
import { SDK_CALLS } from "../support/sdk-calls.ts";

let platform: LocalPlatform;
let stateDir: string;
let cf: Cloudflare;
const recorder = recordApiCalls("/client/v4");

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-sdk-contract-"));
  platform = await startLocalPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 100 });
  // Arranging only: this client's calls are not recorded.
  cf = new Cloudflare({ apiToken: "local", baseURL: platform.apiUrl, maxRetries: 0 });
});
afterAll(async () => {
  await platform?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

/** The provisioner's settings for this platform, as its CLIs read them. */
const settings = (env: Record<string, string> = {}) =>
  readTargetSettings({ CLOUDFLARE_API_BASE_URL: platform.apiUrl, WFP_API_MAX_ATTEMPTS: "1", ...env });

const recordingClient = () =>
  createCloudflareClient({
    baseURL: platform.apiUrl,
    apiToken: "local",
    retry: { maxAttempts: 1 },
    fetch: recorder.fetch,
  });

/** `npm run tenant -- <args>` with the recording client underneath. */
async function tenant(args: string[], env: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const code = await runTenantCli(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: { CLOUDFLARE_API_BASE_URL: platform.apiUrl, WFP_API_MAX_ATTEMPTS: "1", ...env },
    resolveTarget: (s) => resolveTarget(recordingClient(), s),
  });
  expect(code, `tenant ${args.join(" ")}\n${stdout}\n${stderr}`).toBe(EXIT.ok);
  return stdout;
}

describe("the local platform's answers match the cloudflare SDK's types", () => {
  it("for every call of the provisioner's flows", async () => {
    // platform init on the empty account (every create), then on the ready one (every read).
    for (let run = 0; run < 2; run++) await initPlatform(await resolveAccount(recordingClient(), settings()));
    // platform check: once discovering the account and zone, once given them.
    expect((await checkPlatform(recordingClient(), settings(), ["eu", "uk", "global"])).ready).toBe(true);
    const ids = { CLOUDFLARE_ACCOUNT_ID: platform.accountId, CLOUDFLARE_ZONE_ID: platform.zoneId };
    expect((await checkPlatform(recordingClient(), settings(ids), ["eu", "uk", "global"])).ready).toBe(true);

    // An eu tenant adopting a replicated database, and an eu target in the wrong region: both corrected.
    await cf.d1.database.create({
      account_id: platform.accountId,
      name: "wfp-tenant-contract-eu",
      jurisdiction: "eu",
      read_replication: { mode: "auto" },
    });
    const euTarget = regionalCnameTarget("eu", platform.zoneName);
    await cf.addressing.regionalHostnames.edit(euTarget, { zone_id: platform.zoneId, region_key: "us" });
    const eu = ["create", "contract-eu", "--domain", "registry.contract-eu.localhost", "--residency", "eu"];
    expect(await tenant(eu)).toContain("read replication set to disabled");
    expect(await tenant(eu)).not.toContain("read replication set to");
    await tenant(["create", "contract-uk", "--domain", "registry.contract-uk.localhost", "--residency", "uk"]);
    await tenant(["create", "contract-global", "--domain", "registry.contract-global.localhost"]);
    // A shared-cache tenant, with a cached entry for delete to remove (the keys list and bulk delete).
    await tenant(["create", "contract-shared", "--domain", "registry.contract-shared.localhost", "--kv", "shared"]);
    const namespaces = await cf.kv.namespaces.list({ account_id: platform.accountId, per_page: 100 });
    const shared = namespaces.result.find((n) => n.title === "wfp-cache-shared")!;
    const key = encodeURIComponent("t/contract-shared/x/doc");
    await cf.put(`/accounts/${platform.accountId}/storage/kv/namespaces/${shared.id}/values/${key}`, {
      body: "cached",
    });
    await tenant(["delete", "contract-shared", "--yes"]);

    // Given the zone, the provisioner reads its name (GET /zones/:id).
    await tenant(["show", "contract-eu"], { CLOUDFLARE_ZONE_ID: platform.zoneId });
    await tenant(["list"]);
    const created = await tenant(["keys", "create", "contract-global", "--role", "read", "--json"]);
    const keyId = (JSON.parse(created) as { record: { id: string } }).record.id;
    await tenant(["keys", "list", "contract-global"]);
    await tenant(["keys", "revoke", "contract-global", keyId]);

    for (const id of ["contract-uk", "contract-global"]) await tenant(["delete", id, "--yes"]);

    // What no CLI flow reaches today: a record-less tenant's hostnames, a legacy regional hostname.
    const target: Target = await resolveTarget(recordingClient(), settings());
    // Everything already gone: the 404s (the CLI answers "no such tenant" before trying them).
    await deleteTenant("contract-global", { target });
    expect(await findRoutedHostnames(target, "contract-eu")).toEqual(["registry.contract-eu.localhost"]);
    expect(await deleteRegionalHostname(target, euTarget)).toBe("deleted");
    expect(await deleteRegionalHostname(target, euTarget)).toBe("already gone");

    const problems = await checkSdkContract(recorder.calls, SDK_CALLS);
    expect(problems, problems.join("\n")).toEqual([]);
  });
});

describe("the contract check itself", () => {
  const call = (method: string, path: string, status: number, body: unknown): RecordedCall => ({
    method,
    path,
    query: "",
    status,
    contentType: "application/json",
    body: JSON.stringify(body),
  });
  const envelope = (result: unknown) => ({ success: true, errors: [], messages: [], result });
  const d1Get = SDK_CALLS.filter((row) => row.sdk === "client.d1.database.get");

  it("names the call whose answer has a field the SDK does not know, or a field of the wrong type", async () => {
    const problems = await checkSdkContract(
      [
        call("GET", "/accounts/a1/d1/database/db-extra", 200, envelope({ uuid: "u", name: "n", shard: 3 })),
        call("GET", "/accounts/a1/d1/database/db-type", 200, envelope({ uuid: "u", num_tables: "3" })),
        call("GET", "/accounts/a1/d1/database/db-fine", 200, envelope({ uuid: "u", name: "n", num_tables: 3 })),
      ],
      d1Get,
    );
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(
      /^GET \/accounts\/a1\/d1\/database\/db-extra -> 200 \(client\.d1\.database\.get\): .*'"shard"'/,
    );
    expect(problems[1]).toMatch(/^GET \/accounts\/a1\/d1\/database\/db-type -> 200 .*TS2322/);
  });

  it("checks error answers against Cloudflare's error envelope", async () => {
    const problems = await checkSdkContract(
      [
        call("GET", "/accounts/a1/d1/database/gone", 404, { success: false, errors: [], messages: [], result: null }),
        call("GET", "/accounts/a1/d1/database/gone2", 404, {
          success: false,
          errors: [{ code: "7404" }],
          result: null,
        }),
        call("GET", "/accounts/a1/d1/database/ok", 200, envelope({ uuid: "u" })),
      ],
      d1Get,
    );
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^GET \/accounts\/a1\/d1\/database\/gone -> 404 /);
    expect(problems[1]).toMatch(/^GET \/accounts\/a1\/d1\/database\/gone2 -> 404 /);
  });

  it("fails a call with no row and a row no flow answered", async () => {
    const problems = await checkSdkContract([call("GET", "/accounts/a1/d1/database", 200, envelope([]))], d1Get);
    expect(problems).toEqual([
      expect.stringMatching(/^GET \/accounts\/a1\/d1\/database -> 200: no row in tests\/support\/sdk-calls\.ts/),
      expect.stringMatching(
        /^GET \/accounts\/:account_id\/d1\/database\/:database_id \(client\.d1\.database\.get\): never/,
      ),
    ]);
  });
});
