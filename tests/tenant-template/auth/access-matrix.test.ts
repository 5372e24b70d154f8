/**
 * Every endpoint x every kind of key (issue 5, section 7). The route list is the app's own
 * (`app.routes`, read in workerd from the template as built), so a route added without an access
 * rule fails the first test, and every served route is then called with no key, an expired and a
 * revoked key, read / write / admin keys, a product-scoped and a subject-prefix-scoped key: the
 * answer must be 401, 403 or "let through" (anything else) exactly as the rule says.
 */
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WORKER_BUILD_OPTIONS } from "../../../contracts/worker-build-options.ts";
import { startAuthHarness, type AuthHarness } from "./auth-harness.ts";

const ENTRY = fileURLToPath(new URL("./access-rules.worker.ts", import.meta.url));
const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);
const ROLE_RANK = { read: 0, write: 1, admin: 2 } as const;
type Role = keyof typeof ROLE_RANK;

interface Rule {
  method: string;
  path: string;
  role: Role | "public";
  scope: "public" | "none" | "tenant" | "product" | "subject" | "subjects" | "schema-id";
  action: string;
  audited: boolean;
}

interface Principal {
  name: string;
  /** Null: no Authorization header. */
  key: string | null;
  /** Null: the key must be refused with 401. */
  role: Role | null;
  productId?: string;
  subjectPrefix?: string;
}

/** Hono's `/subjects/:subject{.+}` and `/subjects/:subject` are the same route for a rule. */
const normalized = (path: string) => path.replace(/:(\w+)\{[^}]*\}/g, ":$1").replace(/\?$/, "");

let routes: { method: string; path: string }[];
let rules: Rule[];
let h: AuthHarness;
const ids: Record<string, string> = {};
const principals: Principal[] = [];
const PREFIX = "orders-";

beforeAll(async () => {
  const result = await build({ ...WORKER_BUILD_OPTIONS, entryPoints: [ENTRY] });
  const mf = new Miniflare({ modules: true, script: result.outputFiles[0]!.text, compatibilityDate: "2026-06-01" });
  ({ routes, rules } = (await (await mf.dispatchFetch("http://table/")).json()) as {
    routes: typeof routes;
    rules: Rule[];
  });
  await mf.dispose();

  h = await startAuthHarness("matrix");
  const post = async (path: string, body: unknown) => {
    const reply = await h.call<{ id: string }>("POST", path, { body });
    expect(reply.status, `${path}: ${reply.text}`).toBeLessThan(300);
    return reply.json;
  };
  ids.productId = (await post("/api/products", { name: "Scoped" })).id;
  ids.domainId = (await post(`/api/products/${ids.productId}/domains`, { name: "D" })).id;
  ids.contextId = (await post(`/api/domains/${ids.domainId}/contexts`, { name: "C" })).id;
  ids.schemaId = (
    await post(`/api/contexts/${ids.contextId}/schemas`, { name: "S", schemaTypeCategory: "Data", scope: "Public" })
  ).id;
  ids.versionId = (
    await post(`/api/schemas/${ids.schemaId}/versions`, {
      semanticVersion: "1.0.0",
      format: "JSON",
      specification: "{}",
    })
  ).id;
  const register = async (subject: string, name: string) =>
    String(
      (
        (await post(`/subjects/${subject}/versions`, {
          schema: JSON.stringify({ type: "record", name, fields: [] }),
        })) as unknown as { id: number }
      ).id,
    );
  ids.id = await register("orders-value", "Order");
  ids.otherSchemaId = await register("users-value", "User");
  Object.assign(ids, {
    subject: "orders-value",
    version: "1",
    keyId: "nosuchkey",
    context: "ctx",
    guid: "00000000-0000-4000-8000-000000000000",
  });

  const key = async (body: Record<string, unknown>) =>
    (await post("/api/keys", body)) as unknown as { id: string; key: string };
  const expired = await key({ role: "admin" });
  await (await h.d1())
    .prepare("UPDATE api_keys SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?")
    .bind(expired.id)
    .run();
  const revoked = await key({ role: "admin" });
  expect((await h.call("DELETE", `/api/keys/${revoked.id}`)).status).toBe(200);
  principals.push(
    { name: "no key", key: null, role: null },
    { name: "expired admin key", key: expired.key, role: null },
    { name: "revoked admin key", key: revoked.key, role: null },
    { name: "read", key: (await key({ role: "read" })).key, role: "read" },
    {
      name: "subject-prefix write",
      key: (await key({ role: "write", subjectPrefix: PREFIX })).key,
      role: "write",
      subjectPrefix: PREFIX,
    },
    // Before the unscoped keys: their DELETEs remove the documents the scoped key's requests resolve.
    {
      name: "product write",
      key: (await key({ role: "write", productId: ids.productId })).key,
      role: "write",
      productId: ids.productId,
    },
    { name: "write", key: (await key({ role: "write" })).key, role: "write" },
    { name: "admin", key: (await key({ role: "admin" })).key, role: "admin" },
  );
}, 120_000);
afterAll(async () => {
  await h?.dispose();
});

function servedOperations(): { method: string; path: string }[] {
  const seen = new Map<string, { method: string; path: string }>();
  for (const route of routes) {
    if (!METHODS.has(route.method) || route.path.includes("*")) continue;
    const path = normalized(route.path);
    seen.set(`${route.method} ${path}`, { method: route.method, path });
  }
  return [...seen.values()];
}

function ruleFor(method: string, path: string): Rule | undefined {
  return rules.find((rule) => rule.method === method && rule.path === path);
}

function qualifiedSubject(params: Record<string, string>, path: string): string {
  const subject = params.subject!;
  return path.includes(":context") && !subject.startsWith(":.") ? `:.${params.context}:${subject}` : subject;
}

/** What the rule says this principal gets: 401, 403 or through. */
function expected(rule: Rule, principal: Principal, path: string): 401 | 403 | "through" {
  if (rule.role === "public") return "through";
  if (principal.role === null) return 401;
  if (ROLE_RANK[principal.role] < ROLE_RANK[rule.role]) return 403;
  const scoped = principal.productId !== undefined || principal.subjectPrefix !== undefined;
  if (!scoped) return "through";
  switch (rule.scope) {
    case "public":
    case "none":
      return "through";
    case "tenant":
      return 403;
    case "product":
      return principal.productId !== undefined ? "through" : 403;
    case "subject":
      return principal.subjectPrefix !== undefined && qualifiedSubject(ids, path).startsWith(principal.subjectPrefix)
        ? "through"
        : 403;
    case "subjects":
    case "schema-id":
      return principal.subjectPrefix !== undefined ? "through" : 403;
  }
}

/** DELETEs last, deepest level first, so every earlier request still finds its documents. */
function order(operation: { method: string; path: string }): number {
  if (operation.method !== "DELETE") return 0;
  const levels = ["versions", "schemas", "contexts", "domains", "products"];
  const level = levels.findIndex(
    (plural) => operation.path.startsWith(`/api/${plural}/`) || operation.path.includes(`/${plural}/:`),
  );
  return 1 + (level < 0 ? 0 : level + 1);
}

describe("access rules", () => {
  it("every route the app serves has a rule (add one to tenant-template/src/auth/access-policy.ts)", () => {
    const missing = servedOperations()
      .filter((operation) => ruleFor(operation.method, operation.path) === undefined)
      .map((operation) => `${operation.method} ${operation.path}`);
    expect(missing).toEqual([]);
  });

  it("every /api rule names a route the app serves", () => {
    const served = new Set(servedOperations().map((operation) => `${operation.method} ${operation.path}`));
    const stale = rules
      .filter((rule) => rule.path.startsWith("/api") && !served.has(`${rule.method} ${rule.path}`))
      .map((rule) => `${rule.method} ${rule.path}`);
    expect(stale).toEqual([]);
  });

  it("every mutation is audited, and /health is the only public route", () => {
    expect(rules.filter((rule) => rule.role === "public").map((rule) => rule.path)).toEqual(["/health"]);
    const unaudited = rules
      .filter((rule) => rule.method !== "GET" && rule.role !== "read" && !rule.audited)
      .map((rule) => `${rule.method} ${rule.path}`);
    expect(unaudited).toEqual([]);
  });
});

describe("every endpoint x every kind of key", () => {
  it("answers 401, 403 or lets the request through exactly as its rule says", async () => {
    const operations = servedOperations().sort((a, b) => order(a) - order(b));
    const wrong: string[] = [];
    let checked = 0;
    for (const operation of operations) {
      const rule = ruleFor(operation.method, operation.path);
      if (rule === undefined) continue; // reported by the first test
      const url = operation.path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(ids[name] ?? "x"));
      for (const principal of principals) {
        const want = expected(rule, principal, operation.path);
        const reply = await h.call(operation.method, url, {
          key: principal.key,
          ...(["POST", "PUT", "PATCH"].includes(operation.method) ? { body: {} } : {}),
        });
        const got = reply.status === 401 || reply.status === 403 ? reply.status : "through";
        checked += 1;
        if (got !== want)
          wrong.push(
            `${operation.method} ${operation.path} as ${principal.name}: ` +
              `expected ${want}, got ${reply.status} ${reply.text.slice(0, 120)}`,
          );
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(300);
  }, 180_000);
});
