/**
 * The console as the tenant Worker serves it (tenant-template/src/console), in real workerd: the
 * page and its files need no key, come with a strict CSP and as gzip; the committed client is what
 * scripts/generate-console-assets.ts builds from tenant-template/console/ (no drift); and
 * `GET /api/whoami`, which the page signs in with, tells each key its own role and scopes.
 */
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildConsoleAssets } from "../../../scripts/generate-console-assets.ts";
import { type ConsoleTenant, startConsoleTenant } from "../../../scripts/lib/console-tenant.ts";
import { CONSOLE_GZIP_BASE64 } from "../../../tenant-template/src/console/generated/console-assets.js";

let tenant: ConsoleTenant;

beforeAll(async () => {
  tenant = await startConsoleTenant("console-assets");
});

afterAll(async () => {
  await tenant?.dispose();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${tenant.origin}${path}`, { headers });

describe("the generated client", () => {
  test("is what scripts/generate-console-assets.ts builds from tenant-template/console/ (else run it)", async () => {
    // Compared by digest: a minified bundle as a diff helps nobody; the fix is to run the generator.
    const digest = (text: string) => createHash("sha256").update(text).digest("hex");
    const built = Object.entries(await buildConsoleAssets()).map(([name, text]) => [name, digest(text)]);
    const committed = Object.entries(CONSOLE_GZIP_BASE64).map(([name, base64]) => [
      name,
      digest(gunzipSync(Buffer.from(base64, "base64")).toString("utf8")),
    ]);
    expect(Object.fromEntries(committed)).toEqual(Object.fromEntries(built));
  });

  test("loads nothing from another origin", () => {
    const js = gunzipSync(Buffer.from(CONSOLE_GZIP_BASE64["console.js"]!, "base64")).toString("utf8");
    expect(js).not.toMatch(/https?:\/\/(?!www\.w3\.org\/)/);
  });
});

describe("GET /ui", () => {
  test("is public and served with a strict Content-Security-Policy", async () => {
    const page = await get("/ui");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    const html = await page.text();
    expect(html).toContain('src="ui/console.js"');
    // No inline script: every <script> has a src.
    expect(html.match(/<script(?![^>]*\bsrc=)[^>]*>/g)).toBeNull();
  });

  test("/ui/ redirects to /ui (relatively, for the local platform's path form), without a key", async () => {
    const answer = await fetch(`${tenant.origin}/ui/`, { redirect: "manual" });
    expect(answer.status).toBe(308);
    expect(answer.headers.get("location")).toBe("../ui");
  });

  test("its files are public, gzip to a browser, plain text to a client without gzip, 404 for others", async () => {
    const gz = await fetch(`${tenant.origin}/ui/console.js`, {
      headers: { "accept-encoding": "gzip" },
      decompress: false,
    } as RequestInit);
    expect(gz.status).toBe(200);
    expect(gz.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const plain = await get("/ui/console.css", { "accept-encoding": "identity" });
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(await plain.text()).toContain(":focus-visible");
    expect(await (await get("/ui/console-licenses.txt")).text()).toMatch(/preact [\d.]+ \(MIT\)[\s\S]*diff [\d.]+/);
    expect((await get("/ui/nothing.js")).status).toBe(404);
  });
});

describe("GET /api/whoami", () => {
  test("tells each key its own id, role and scopes, and nothing secret", async () => {
    expect(await tenant.call("GET", "/api/whoami")).toEqual({
      keyId: "admin",
      role: "admin",
      productId: null,
      subjectPrefix: null,
    });
    const created = await tenant.call<{ id: string; key: string }>("POST", "/api/keys", {
      role: "write",
      subjectPrefix: "whoami-",
    });
    expect(await tenant.call("GET", "/api/whoami", undefined, created.key)).toEqual({
      keyId: created.id,
      role: "write",
      productId: null,
      subjectPrefix: "whoami-",
    });
  });

  test("refuses a wrong key with the API's 401", async () => {
    const answer = await fetch(`${tenant.origin}/api/whoami`, { headers: { authorization: "Bearer wfp_nobody_x" } });
    expect(answer.status).toBe(401);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
  });

  test("is in the OpenAPI document", async () => {
    const document = await tenant.call<{ paths: Record<string, { get?: { summary?: string } }> }>(
      "GET",
      "/api/openapi.json",
    );
    expect(document.paths["/api/whoami"]?.get?.summary).toMatch(/role/);
  });
});
