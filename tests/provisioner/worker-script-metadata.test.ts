/**
 * The tenant Worker's upload metadata binds D1 as Cloudflare's multipart metadata docs and wrangler
 * do: `{ type: "d1", name, id }` (the SDK's type says `database_id`; only `id` is sent).
 */
import { describe, expect, it } from "vitest";
import { tenantScriptMetadata } from "../../provisioner/src/worker-script.ts";
import type { TemplateBuild } from "../../provisioner/src/template-build.ts";

const build = {
  mainModule: "index.js",
  compatibilityDate: "2026-06-01",
  compatibilityFlags: [],
  version: "0.1.0+abc",
} as unknown as TemplateBuild;

describe("the tenant Worker's upload metadata", () => {
  it("binds D1 by `id` alone, and KV by namespace_id", () => {
    const metadata = tenantScriptMetadata(
      build,
      {
        d1DatabaseId: "db-uuid",
        kvNamespaceId: "kv-id",
        tenantId: "acme",
        templateVersion: "0.1.0+abc",
        residency: "eu",
        cacheMode: "off",
        adminKeyHash: "0".repeat(64),
        dispatchProof: "proof",
      },
      ["wfp-tenant"],
    );
    const d1 = metadata.bindings?.filter((b) => b.type === "d1");
    expect(d1).toEqual([{ type: "d1", name: "DB", id: "db-uuid" }]);
    expect(metadata.bindings?.find((b) => b.type === "kv_namespace")).toMatchObject({ namespace_id: "kv-id" });
  });
});
