/**
 * The path form `http://127.0.0.1:<port>/_tenant/<hostname>/...` (contracts/local-tenant-url.ts):
 * how a URL is read (infra/local-platform/tenant-path.ts), and end to end on a real local platform
 * with one tenant made by the CLI: `create` and `show` print the URL beside the hostname (text and
 * --json), and that URL alone (plain fetch, no Host header, no resolver) reaches the tenant with the
 * method, headers, body and query string as sent and the prefix gone; Location headers come back
 * in the path form; a hostname without a route record is the dispatcher's 404 `unknown_host` (no
 * tenant code runs), a malformed one a 400 `bad_host`; the prefix means nothing on a tenant's host.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../infra/local-platform/index.ts";
import { startInitialisedPlatform } from "../../scripts/lib/initialised-platform.ts";
import { resolveTenantPath, tenantPathLocation } from "../../infra/local-platform/tenant-path.ts";
import { EXIT } from "../../provisioner/src/tenant-cli.ts";
import { requestTenant, runTenant } from "../../scripts/lib/tenant-traffic.ts";

const HOSTS = ["localhost", "127.0.0.1"];

describe("reading the path form", () => {
  it("maps a platform host's /_tenant/<hostname>/<rest> to the hostname, keeping port, rest and query", () => {
    expect(
      resolveTenantPath("http://127.0.0.1:8787/_tenant/Registry.Acme.localhost/subjects?deleted=true", HOSTS),
    ).toMatchInlineSnapshot(`
      {
        "authority": "registry.acme.localhost:8787",
        "hostname": "registry.acme.localhost",
        "kind": "tenant",
        "pathOrigin": "http://127.0.0.1:8787/_tenant/registry.acme.localhost",
        "url": "http://registry.acme.localhost:8787/subjects?deleted=true",
      }
    `);
    expect(resolveTenantPath("http://localhost/_tenant/registry.acme.localhost", HOSTS)).toMatchObject({
      url: "http://registry.acme.localhost/",
    });
    // A rest that looks like another authority stays a path of the tenant's hostname.
    expect(resolveTenantPath("http://127.0.0.1:8787/_tenant/a.localhost//evil.example/x", HOSTS)).toMatchObject({
      url: "http://a.localhost:8787//evil.example/x",
    });
  });

  it("leaves every other request alone: other paths, and /_tenant/ on a tenant's own host", () => {
    expect(resolveTenantPath("http://127.0.0.1:8787/health", HOSTS)).toEqual({ kind: "pass" });
    expect(resolveTenantPath("http://127.0.0.1:8787/_tenantx/a.localhost/", HOSTS)).toEqual({ kind: "pass" });
    expect(resolveTenantPath("http://registry.acme.localhost:8787/_tenant/b.localhost/", HOSTS)).toEqual({
      kind: "pass",
    });
  });

  it.each([
    ["empty", "/_tenant//subjects"],
    ["nothing after the prefix", "/_tenant/"],
    ["user info", "/_tenant/evil@registry.acme.localhost/subjects"],
    ["a port", "/_tenant/registry.acme.localhost:8787/subjects"],
    ["an IPv6 literal", "/_tenant/[::1]/subjects"],
    ["an escape", "/_tenant/registry%2eacme.localhost/subjects"],
    ["an empty label", "/_tenant/registry..acme.localhost/subjects"],
    ["a label ending in a hyphen", "/_tenant/registry-.acme.localhost/subjects"],
    ["a label over 63 characters", `/_tenant/${"a".repeat(64)}.localhost/subjects`],
  ])("refuses a hostname with %s as bad_host", (_what, path) => {
    expect(resolveTenantPath(`http://127.0.0.1:8787${path}`, HOSTS)).toEqual({ kind: "bad_host" });
  });

  it("writes the tenant's Location headers back into the path form", () => {
    const target = resolveTenantPath("http://127.0.0.1:8787/_tenant/registry.acme.localhost/api/keys", HOSTS);
    if (target.kind !== "tenant") throw new Error("not read as the path form");
    expect(tenantPathLocation("/api/keys/k1", target)).toBe("/_tenant/registry.acme.localhost/api/keys/k1");
    expect(tenantPathLocation("http://registry.acme.localhost:8787/api/keys/k1?x=1", target)).toBe(
      "http://127.0.0.1:8787/_tenant/registry.acme.localhost/api/keys/k1?x=1",
    );
    expect(tenantPathLocation("k1", target)).toBe("k1");
    expect(tenantPathLocation("https://elsewhere.example/x", target)).toBe("https://elsewhere.example/x");
    expect(tenantPathLocation("//elsewhere.example/x", target)).toBe("//elsewhere.example/x");
  });
});

describe("the path form on the local platform", () => {
  let platform: LocalPlatform;
  let stateDir: string;
  let adminKey: string;
  /** The URL `create --json` printed for the tenant's hostname. */
  let baseUrl: string;
  const hostname = "registry.pathform.localhost";
  const tenant = (args: string[]) => runTenant(platform.apiUrl, args);
  const auth = () => ({ authorization: `Bearer ${adminKey}` });

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "wfp-tenant-path-"));
    platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir, hostnameActivationMs: 200 });
    const created = await tenant(["create", "pathform", "--domain", hostname, "--residency", "global", "--json"]);
    expect(created.code, created.stderr).toBe(EXIT.ok);
    const result = JSON.parse(created.stdout) as {
      adminKey: string;
      resources: { routes: Array<{ hostname: string; localUrl?: string }> };
    };
    adminKey = result.adminKey;
    expect(result.resources.routes).toMatchObject([{ hostname, localUrl: expect.any(String) }]);
    baseUrl = result.resources.routes[0]!.localUrl!;
  });
  afterAll(async () => {
    await platform?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("create and show print the URL beside the hostname, in text and --json", async () => {
    const port = new URL(platform.trafficUrl).port;
    expect(baseUrl).toBe(`http://127.0.0.1:${port}/_tenant/${hostname}`);
    const again = await tenant(["create", "pathform", "--domain", hostname]);
    expect(again.code, again.stderr).toBe(EXIT.ok);
    // Beside the domain: the line right after the hostname's.
    const lines = again.stdout.split("\n");
    const at = lines.findIndex((line) => line.startsWith(`  ${hostname}  custom hostname`));
    expect(lines[at + 1]).toBe(`    local URL (no DNS needed): ${baseUrl}`);
    const show = (await tenant(["show", "pathform"])).stdout.split("\n");
    expect(show[show.findIndex((line) => line.startsWith(`  ${hostname}  `)) + 1]).toBe(
      `    local URL (no DNS needed): ${baseUrl}`,
    );
    const showJson = JSON.parse((await tenant(["show", "pathform", "--json"])).stdout) as {
      resources: { routes: Array<{ hostname: string; localUrl?: string }> };
    };
    expect(showJson.resources.routes).toMatchObject([{ hostname, localUrl: baseUrl }]);
  });

  it("reaches the tenant with the URL alone: method, headers, body and query string kept, prefix gone", async () => {
    const register = async (subject: string) => {
      const reply = await fetch(`${baseUrl}/subjects/${subject}/versions`, {
        method: "POST",
        headers: {
          ...auth(),
          "content-type": "application/vnd.schemaregistry.v1+json",
          "x-request-id": `path-form-${subject}`,
        },
        body: JSON.stringify({ schema: JSON.stringify({ type: "record", name: "R", fields: [] }) }),
      });
      // The tenant saw /subjects/..., not /_tenant/...: it would not route the latter.
      expect(reply.status, await reply.clone().text()).toBe(200);
      expect(reply.headers.get("x-request-id")).toBe(`path-form-${subject}`);
      expect(reply.headers.get("x-ratelimit-limit")).not.toBeNull(); // a tenant's answer
      return (await reply.json()) as { id: number };
    };
    expect((await register("alpha-value")).id).toBeGreaterThan(0);
    await register("beta-value");
    const listed = await fetch(`${baseUrl}/subjects?subjectPrefix=alpha`, { headers: auth() });
    expect(await listed.json()).toEqual(["alpha-value"]);
    const health = await fetch(`${baseUrl}/health`);
    expect(await health.json()).toMatchObject({ status: "ok", tenantId: "pathform" });
  });

  it("answers Location in the path form, so a client can follow it", async () => {
    const created = await fetch(`${baseUrl}/api/keys`, {
      method: "POST",
      headers: { ...auth(), "content-type": "application/json" },
      body: JSON.stringify({ role: "read", description: "path form" }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const location = created.headers.get("location");
    expect(location).toBe(`${new URL(baseUrl).pathname}/api/keys/${id}`);
    const followed = await fetch(new URL(location!, `${baseUrl}/api/keys`), { headers: auth() });
    expect(followed.status).toBe(200);
    expect(await followed.json()).toMatchObject({ id, role: "read" });
  });

  it("fails closed: a hostname without a route record is the dispatcher's 404 unknown_host", async () => {
    for (const unrouted of ["schemas.pathform.localhost", "tenant-pathform", "pathform"]) {
      const reply = await fetch(`${new URL(platform.trafficUrl).origin}/_tenant/${unrouted}/health`, {
        headers: auth(),
      });
      expect(reply.status).toBe(404);
      const body = (await reply.json()) as { error: { code: string; requestId: string } };
      expect(body.error.code).toBe("unknown_host");
      expect(reply.headers.get("x-request-id")).toBe(body.error.requestId);
      // Every answer of a tenant's code carries its rate limit; the dispatcher's refusal does not.
      expect(reply.headers.get("x-ratelimit-limit")).toBeNull();
    }
  });

  it("refuses a malformed hostname with 400 bad_host in the dispatcher's error shape", async () => {
    for (const path of ["/_tenant//health", "/_tenant/evil@registry.pathform.localhost/health", "/_tenant/a:1/x"]) {
      const reply = await fetch(`${new URL(platform.trafficUrl).origin}${path}`, {
        method: "POST",
        headers: { ...auth(), "x-request-id": "bad-host-1" },
        body: "ignored",
      });
      expect(reply.status, path).toBe(400);
      expect(await reply.json()).toEqual({
        error: { code: "bad_host", message: expect.any(String), requestId: "bad-host-1" },
      });
      expect(reply.headers.get("x-request-id")).toBe("bad-host-1");
    }
  });

  it("reads the prefix only on the platform's hosts: on a tenant's host it is the tenant's own path", async () => {
    const reply = await requestTenant(platform.trafficUrl, hostname, "GET", `/_tenant/${hostname}/health`, {
      headers: auth(),
    });
    expect(reply.headers["x-ratelimit-limit"]).toBeDefined(); // the tenant answered
    expect(reply.status).toBe(404);
    expect(reply.json()).not.toHaveProperty("status", "ok");
  });
});
