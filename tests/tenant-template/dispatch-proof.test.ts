/**
 * The tenant Worker refuses what the dispatcher did not route to it: the template in real workerd,
 * called over real HTTP on its own socket (as anything bypassing the dispatcher would), with and
 * without the dispatch proof, and with no DISPATCH_PROOF binding at all.
 */
import { Miniflare } from "miniflare";
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { bundleTenantTemplate } from "../../scripts/lib/worker-bundles.ts";
import { TEST_DISPATCH_PROOF, tenantRequestHeaders, tenantSecretBindings } from "../support/tenant-credentials.ts";

let mf: Miniflare;
const sockets: Record<string, URL> = {};

beforeAll(async () => {
  const code = await bundleTenantTemplate();
  const worker = (name: string, secrets: Record<string, string>) => ({
    name,
    modules: true,
    script: code,
    compatibilityDate: "2026-06-01",
    d1Databases: { DB: `wfp-${name}` },
    kvNamespaces: { CACHE: `wfp-${name}-cache` },
    bindings: {
      TENANT_ID: "proofed",
      TEMPLATE_VERSION: "tpl-proof",
      RESIDENCY: "global",
      CACHE_MODE: "off",
      ...secrets,
    },
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  });
  const { DISPATCH_PROOF: _unbound, ...withoutProof } = tenantSecretBindings();
  mf = new Miniflare({
    workers: [worker("tenant-proofed", tenantSecretBindings()), worker("tenant-unbound", withoutProof)],
  });
  await mf.ready;
  for (const name of ["tenant-proofed", "tenant-unbound"]) sockets[name] = await mf.unsafeGetDirectURL(name);
});

afterAll(async () => {
  await mf?.dispose();
});

/** One real HTTP request to a Worker's own socket. */
function send(worker: string, method: string, path: string, headers: Record<string, string>, body?: string) {
  const url = sockets[worker]!;
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: { ...headers, ...(body ? { "content-type": "application/json" } : {}) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("dispatch proof", () => {
  const admin = tenantRequestHeaders();
  const { "x-wfp-proof": _proof, ...adminWithoutProof } = admin;

  test.each([
    ["no proof", adminWithoutProof],
    ["a wrong proof", { ...adminWithoutProof, "x-wfp-proof": "not-the-proof" }],
    [
      "the proof with one character changed",
      { ...adminWithoutProof, "x-wfp-proof": `${TEST_DISPATCH_PROOF.slice(0, -1)}X` },
    ],
    ["a prefix of the proof", { ...adminWithoutProof, "x-wfp-proof": TEST_DISPATCH_PROOF.slice(0, 10) }],
    ["an empty proof", { ...adminWithoutProof, "x-wfp-proof": "" }],
  ])("%s: 403 not_routed on every path, naming no tenant", async (_label, headers) => {
    for (const [method, path, body] of [
      ["GET", "/health", undefined],
      ["GET", "/api/products", undefined],
      ["GET", "/subjects", undefined],
      ["POST", "/api/products", JSON.stringify({ name: "x" })],
    ] as const) {
      const res = await send("tenant-proofed", method, path, headers, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      const parsed = JSON.parse(res.body) as { error: { code: string; message: string; requestId: string } };
      expect(parsed.error.code).toBe("not_routed");
      expect(res.body).not.toMatch(/proofed|tpl-proof/);
    }
  });

  test("with the proof the request is served", async () => {
    const res = await send("tenant-proofed", "GET", "/health", admin);
    expect(res.status, res.body).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ tenantId: "proofed" });
  });

  test("a Worker without a DISPATCH_PROOF binding refuses everything, even a request carrying a proof", async () => {
    for (const headers of [admin, adminWithoutProof, { ...adminWithoutProof, "x-wfp-proof": "" }]) {
      const res = await send("tenant-unbound", "GET", "/health", headers);
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: "not_routed" } });
    }
  });
});
