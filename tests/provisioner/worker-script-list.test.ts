/**
 * Listing a dispatch namespace's scripts by tag reads Cloudflare's shape (each item's fields under
 * `script`) and follows `result_info.cursor` page by page to the end; the local platform answers
 * in that shape and paging, with `limit` bounded as Cloudflare bounds it.
 */
import Cloudflare, { BadRequestError } from "cloudflare";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { createCloudflareClient } from "../../provisioner/src/cloudflare-client.ts";
import { readTargetSettings, resolveTarget, type Target } from "../../provisioner/src/config.ts";
import { FaultPlanSchema } from "../../infra/local-platform/faults.ts";
import { tenantNames } from "../../provisioner/src/tenant-names.ts";
import { listWorkerScriptsByTag, MAX_SCRIPT_TAGS, uploadWorkerScript } from "../../provisioner/src/worker-script.ts";

let platform: LocalPlatform;
let stateDir: string;
let target: Target;
let cf: Cloudflare;
const TAG = "list-test";
const NAMES = ["list-a", "list-b", "list-c", "list-d", "list-e"];

function upload(name: string, tags: string[]) {
  const form = new FormData();
  form.append("metadata", JSON.stringify({ main_module: "index.js", compatibility_date: "2026-06-01", tags }));
  form.append(
    "index.js",
    new File(["export default { fetch: () => new Response('') }"], "index.js", {
      type: "application/javascript+module",
    }),
  );
  return cf.put(
    `/accounts/${platform.accountId}/workers/dispatch/namespaces/${platform.dispatchNamespace}/scripts/${name}`,
    { body: form },
  );
}

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "wfp-script-list-"));
  platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir });
  cf = new Cloudflare({ apiToken: "local", baseURL: platform.apiUrl, maxRetries: 0 });
  const settings = readTargetSettings({ CLOUDFLARE_API_BASE_URL: platform.apiUrl });
  target = await resolveTarget(createCloudflareClient(settings), settings);
  for (const name of [...NAMES].reverse()) await upload(name, [TAG]);
  await upload("list-untagged", ["other"]);
});
afterAll(async () => {
  await platform?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const calls = async () =>
  ((await (await fetch(`${new URL(platform.apiUrl).origin}/__platform/faults`)).json()) as { calls: number }).calls;

describe("listing a dispatch namespace's scripts by tag", () => {
  it("returns every tagged script's name across pages, and only those", async () => {
    await fetch(`${new URL(platform.apiUrl).origin}/__platform/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(await listWorkerScriptsByTag(target, TAG, 2)).toEqual(NAMES);
    expect(await calls()).toBe(3);
    expect(await listWorkerScriptsByTag(target, TAG)).toEqual(NAMES);
    expect(await listWorkerScriptsByTag(target, "no-such-tag")).toEqual([]);
  });

  it("answers in Cloudflare's shape: the script under `script`, a cursor until the last page", async () => {
    const path = `/accounts/${platform.accountId}/workers/dispatch/namespaces/${platform.dispatchNamespace}/scripts`;
    type Page = {
      result: { dispatch_namespace: string; created_on: string; script: { id: string; tags: string[] } }[];
      result_info: { cursor: string; count: number };
    };
    const first = await cf.get<Page>(path, { query: { tags: `${TAG}:yes`, limit: 3 } });
    expect(first.result.map((item) => item.script.id)).toEqual(NAMES.slice(0, 3));
    expect(first.result[0]).toMatchObject({ dispatch_namespace: platform.dispatchNamespace, script: { tags: [TAG] } });
    expect(first.result_info).toMatchObject({ count: 3, cursor: expect.stringMatching(/.+/) });
    const last = await cf.get<Page>(path, {
      query: { tags: `${TAG}:yes`, limit: 3, cursor: first.result_info.cursor },
    });
    expect(last.result.map((item) => item.script.id)).toEqual(NAMES.slice(3));
    expect(last.result_info.cursor).toBe("");
    for (const limit of [0, 1001, 1.5]) {
      await expect(cf.get(path, { query: { limit } })).rejects.toBeInstanceOf(BadRequestError);
    }
  });

  it("a tenant's tags fit Cloudflare's 8, and an upload past them is refused by name before any call", async () => {
    const build = { mainModule: "index.js", code: "export default { fetch: () => new Response('') }" };
    const names = tenantNames("tags");
    expect([...names.scriptTags, "tpl-0123456789ab"].length).toBeLessThanOrEqual(MAX_SCRIPT_TAGS);
    const tags = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];
    platform.faults.set(FaultPlanSchema.parse({}));
    const refused = await uploadWorkerScript(target, "tags-nine", build, {
      main_module: "index.js",
      tags,
    }).catch((e: unknown) => e as Error);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toBe(
      "Worker script 'tags-nine' would carry 9 tags (1, 2, 3, 4, 5, 6, 7, 8, 9), but Cloudflare allows at most 8 per " +
        "script: the platform's tags must leave room, so this is a platform bug to report.",
    );
    expect(platform.faults.status().calls).toBe(0);
    // Eight go through, as on Cloudflare.
    await uploadWorkerScript(target, "tags-eight", build, { main_module: "index.js", tags: tags.slice(0, 8) });
    platform.faults.clear();
  });
});
