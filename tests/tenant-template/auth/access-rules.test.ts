/**
 * The access table (tenant-template/src/auth/access-policy.ts) has a rule for every route the
 * tenant app serves, and none for a route it does not serve: a route added without its rule would
 * otherwise be open to unscoped admin keys only (fail closed) and refused to everyone else, silently.
 * The Confluent API's rules come from its route declarations (each route states its role, scope and
 * audit action beside it, confluent/routes/*.ts), so for it this holds by construction; /api's and
 * /health's are written in access-policy.ts. The app's own route table (`app.routes`) and the table
 * it serves are read in workerd from the template's code built as it is deployed
 * (../openapi/route-table.worker.ts).
 */
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WORKER_BUILD_OPTIONS } from "../../../contracts/worker-build-options.ts";

const ENTRY = fileURLToPath(new URL("../openapi/route-table.worker.ts", import.meta.url));
const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);

interface Rule {
  method: string;
  path: string;
  role: string;
  scope: string;
  action: string;
  audited: boolean;
}

let routes: { method: string; path: string }[];
let rules: Rule[];
let mf: Miniflare | undefined;

beforeAll(async () => {
  const result = await build({ ...WORKER_BUILD_OPTIONS, entryPoints: [ENTRY] });
  const script = result.outputFiles[0]?.text;
  if (script === undefined) throw new Error("esbuild produced no route table bundle");
  mf = new Miniflare({ modules: true, script, compatibilityDate: "2026-06-01" });
  ({ routes, rules } = (await (await mf.dispatchFetch("http://table/")).json()) as {
    routes: typeof routes;
    rules: Rule[];
  });
});
afterAll(async () => {
  await mf?.dispose();
});

/** Every `METHOD /path` the app answers with a handler (middleware and 405s are ALL or on wildcards). */
function served(): string[] {
  const operations = new Set<string>();
  for (const route of routes)
    if (METHODS.has(route.method) && !route.path.includes("*")) operations.add(`${route.method} ${route.path}`);
  return [...operations].sort();
}

const WHERE =
  "add its rule to ACCESS_RULES in tenant-template/src/auth/access-policy.ts " +
  "(a Confluent route: declare it with ConfluentResource.route, its `access` beside it, in confluent/routes/)";

describe("the access table", () => {
  it("has a rule for every route the app serves", () => {
    const ruled = new Set(rules.map((rule) => `${rule.method} ${rule.path}`));
    expect(
      served()
        .filter((operation) => !ruled.has(operation))
        .map((operation) => `${operation} is served without an access rule: ${WHERE}`),
    ).toEqual([]);
  });

  it("has no rule for a route the app does not serve, and one rule per route", () => {
    const operations = new Set(served());
    const keys = rules.map((rule) => `${rule.method} ${rule.path}`);
    expect(keys.filter((key) => !operations.has(key))).toEqual([]);
    expect(keys.filter((key, index) => keys.indexOf(key) !== index)).toEqual([]);
  });

  it("gives the Confluent routes under /contexts/{context} the rules they have at the root", () => {
    const byKey = new Map(rules.map((rule) => [`${rule.method} ${rule.path}`, rule]));
    const inContext = rules.filter((rule) => rule.path.startsWith("/contexts/:context/"));
    expect(inContext.length).toBeGreaterThan(30);
    const differing = inContext.filter((rule) => {
      const root = byKey.get(`${rule.method} ${rule.path.slice("/contexts/:context".length)}`);
      return root === undefined || JSON.stringify({ ...root, path: "" }) !== JSON.stringify({ ...rule, path: "" });
    });
    expect(differing.map((rule) => `${rule.method} ${rule.path}`)).toEqual([]);
  });

  it("records changes and the export in the audit log, and no read", () => {
    // docs/security.md, "Audit log": every mutation through either API, and the export; lookups
    // and compatibility checks are reads (POSTs that change nothing, with the read role).
    const audited = rules.filter((rule) => rule.audited).map((rule) => `${rule.method} ${rule.path}`);
    expect(audited).toContain("POST /subjects/:subject/versions");
    expect(audited).toContain("DELETE /contexts/:context/subjects/:subject");
    expect(audited).toContain("GET /api/export");
    expect(audited).not.toContain("POST /subjects/:subject");
    expect(audited).not.toContain("POST /compatibility/subjects/:subject/versions");
    expect(audited.filter((key) => key.startsWith("GET ") && key !== "GET /api/export")).toEqual([]);
  });
});
