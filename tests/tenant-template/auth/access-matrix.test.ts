/**
 * Every route x every kind of key, against expectations written down here, from the docs
 * (docs/security.md "API keys and roles", docs/registry-api.md, docs/confluent-api.md) and not from
 * the product's own access rules: ACCESS_TABLE gives each route its weakest role, what a
 * product-scoped and a subject-prefix-scoped key get, and the exact status of a request that works.
 *
 * Each route is called by no key, an expired and a revoked key (401), read / write / admin keys, and
 * product-, prefix- and doubly-scoped keys, on a resource inside the scoped keys' scope and on one
 * outside it: another product's documents; a subject outside the prefix, at the root or in another
 * context (`/contexts/.team/subjects/orders-value` is `:.team:orders-value`, outside `orders-`); a
 * schema id only such subjects use. The data is set up so the request succeeds: "allowed" is the
 * route's own success status, never a 404 or a 5xx; "refused" is 403 (401 for a key not accepted) in
 * the error shape of the API asked; listings a prefix key may call must answer only its subjects.
 * The route list is the app's own (`app.routes`, read in workerd from the template as built), so a
 * route added without a row here fails the first test.
 *
 * One Miniflare instance; the requests go in batches through a driver Worker beside the tenant
 * (auth-harness.ts), each destructive request on data of its own so they can run concurrently.
 */
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WORKER_BUILD_OPTIONS } from "../../../contracts/worker-build-options.ts";
import { startAuthHarness, type AuthHarness, type BatchRequest, type Reply } from "./auth-harness.ts";

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
type Role = "read" | "write" | "admin";

/**
 * What a scoped key gets on a route (docs/security.md, the "a scoped key" column):
 * - `own`: allowed on a resource inside its scope (its product's documents, a subject or schema id
 *   in its prefix), 403 on one outside;
 * - `refused`: 403 whatever it names (tenant-wide endpoints, and the API its scope is not for);
 * - `any`: allowed whatever its scope: the route shows nothing of the registry's documents or
 *   subjects (API descriptions, schema types, server metadata, the global or a context's level);
 * - `cut`: a listing, allowed, answering only the subjects inside its prefix;
 * - `own-cut`: a schema id's listing: 403 unless a subject inside the prefix uses the id, and then
 *   answering only those subjects.
 */
type ScopeRule = "own" | "refused" | "any" | "cut" | "own-cut";

interface Row {
  method: Method;
  /** As the app's route table spells it (`:param`), e.g. `/api/domains/:domainId`. */
  path: string;
  /** The weakest role allowed; `public` needs no key. */
  role: Role | "public";
  /** A key scoped to a product (for /api). */
  product: ScopeRule;
  /** A key scoped to a subject prefix (for the Confluent API). */
  prefix: ScopeRule;
  /** The status of a request that works (the data is set up for it). */
  ok: number;
}

const row = (method: Method, path: string, role: Role | "public", product: ScopeRule, prefix: ScopeRule, ok: number) =>
  ({ method, path, role, product, prefix, ok }) satisfies Row;
/** Every Confluent route is served at the root and under `/contexts/{ctx}` (docs/confluent-api.md, "Endpoints"). */
const confluent = (method: Method, path: string, role: Role, product: ScopeRule, prefix: ScopeRule, ok: number) => [
  row(method, path, role, product, prefix, ok),
  row(method, `/contexts/:context${path}`, role, product, prefix, ok),
];

const ACCESS_TABLE: readonly Row[] = [
  // row(method, path, weakest role, a product-scoped key, a prefix-scoped key, success status)
  row("GET", "/health", "public", "any", "any", 200),
  row("GET", "/health/live", "public", "any", "any", 200),
  row("GET", "/health/ready", "public", "any", "any", 200),
  row("GET", "/health/startup", "public", "any", "any", 200),
  // The console's page and files (docs/console.md): no tenant data, so no key.
  row("GET", "/ui", "public", "any", "any", 200),
  // A 308 to /ui, which the harness follows (the redirect itself: console/console-assets.test.ts).
  row("GET", "/ui/", "public", "any", "any", 200),
  row("GET", "/ui/:asset", "public", "any", "any", 200),

  // /api (docs/registry-api.md, "URL shape"): reads need read, creates/updates/deletes write; a
  // product-scoped key reaches only its product's subtree, never the list of all products or a new product.
  row("GET", "/api/products", "read", "refused", "refused", 200),
  row("POST", "/api/products", "write", "refused", "refused", 201),
  row("GET", "/api/products/:productId", "read", "own", "refused", 200),
  row("PATCH", "/api/products/:productId", "write", "own", "refused", 200),
  row("DELETE", "/api/products/:productId", "write", "own", "refused", 200),
  row("GET", "/api/products/:productId/domains", "read", "own", "refused", 200),
  row("POST", "/api/products/:productId/domains", "write", "own", "refused", 201),
  row("GET", "/api/domains/:domainId", "read", "own", "refused", 200),
  row("PATCH", "/api/domains/:domainId", "write", "own", "refused", 200),
  row("DELETE", "/api/domains/:domainId", "write", "own", "refused", 200),
  row("GET", "/api/domains/:domainId/contexts", "read", "own", "refused", 200),
  row("POST", "/api/domains/:domainId/contexts", "write", "own", "refused", 201),
  row("GET", "/api/contexts/:contextId", "read", "own", "refused", 200),
  row("PATCH", "/api/contexts/:contextId", "write", "own", "refused", 200),
  row("DELETE", "/api/contexts/:contextId", "write", "own", "refused", 200),
  row("GET", "/api/contexts/:contextId/schemas", "read", "own", "refused", 200),
  row("POST", "/api/contexts/:contextId/schemas", "write", "own", "refused", 201),
  row("GET", "/api/schemas/:schemaId", "read", "own", "refused", 200),
  row("PATCH", "/api/schemas/:schemaId", "write", "own", "refused", 200),
  row("DELETE", "/api/schemas/:schemaId", "write", "own", "refused", 200),
  row("GET", "/api/schemas/:schemaId/versions", "read", "own", "refused", 200),
  row("POST", "/api/schemas/:schemaId/versions", "write", "own", "refused", 201),
  row("GET", "/api/schemas/:schemaId/versions/:versionId", "read", "own", "refused", 200),
  row("PATCH", "/api/schemas/:schemaId/versions/:versionId", "write", "own", "refused", 200),
  row("DELETE", "/api/schemas/:schemaId/versions/:versionId", "write", "own", "refused", 200),
  row("GET", "/api/stats", "read", "refused", "refused", 200),
  // Impact analysis reads only, but names subjects across the registry: unscoped keys.
  row("POST", "/api/impact", "read", "refused", "refused", 200),
  ...confluent("POST", "/impact/subjects/:subject", "read", "refused", "refused", 200),
  // Any key may learn its own role and scopes.
  row("GET", "/api/whoami", "read", "any", "any", 200),
  row("GET", "/api/openapi.json", "read", "any", "any", 200),
  row("GET", "/api/docs", "read", "any", "any", 200),
  // Tenant-wide, admin (admin keys cannot be scoped).
  row("GET", "/api/export", "admin", "refused", "refused", 200),
  row("POST", "/api/import", "admin", "refused", "refused", 201),
  row("GET", "/api/keys", "admin", "refused", "refused", 200),
  row("POST", "/api/keys", "admin", "refused", "refused", 201),
  row("GET", "/api/keys/:keyId", "admin", "refused", "refused", 200),
  row("DELETE", "/api/keys/:keyId", "admin", "refused", "refused", 200),
  row("GET", "/api/audit", "admin", "refused", "refused", 200),
  row("GET", "/api/usage", "admin", "refused", "refused", 200),
  row("GET", "/api/settings", "admin", "refused", "refused", 200),
  row("PUT", "/api/settings", "admin", "refused", "refused", 200),
  row("GET", "/api/webhooks", "admin", "refused", "refused", 200),
  row("POST", "/api/webhooks", "admin", "refused", "refused", 201),
  row("GET", "/api/webhooks/:webhookId", "admin", "refused", "refused", 200),
  row("DELETE", "/api/webhooks/:webhookId", "admin", "refused", "refused", 204),
  row("POST", "/api/webhooks/:webhookId/rotate-secret", "admin", "refused", "refused", 200),
  row("POST", "/api/webhooks/:webhookId/test", "admin", "refused", "refused", 200),
  row("GET", "/api/webhooks/:webhookId/deliveries", "admin", "refused", "refused", 200),

  // The Confluent API (docs/confluent-api.md, "Endpoints"): a prefix-scoped key reaches subjects
  // whose qualified name starts with its prefix; lookups and compatibility checks are reads.
  row("GET", "/", "read", "any", "any", 200),
  row("GET", "/openapi.json", "read", "any", "any", 200),
  row("GET", "/openapi.yaml", "read", "any", "any", 200),
  row("GET", "/docs", "read", "any", "any", 200),
  row("GET", "/docs/:asset", "read", "any", "any", 200),
  row("GET", "/v1/metadata/id", "read", "any", "any", 200),
  row("GET", "/v1/metadata/version", "read", "any", "any", 200),
  row("GET", "/contexts", "read", "refused", "refused", 200),
  ...confluent("GET", "/subjects", "read", "refused", "cut", 200),
  ...confluent("POST", "/subjects/:subject/versions", "write", "refused", "own", 200),
  ...confluent("POST", "/subjects/:subject", "read", "refused", "own", 200),
  ...confluent("GET", "/subjects/:subject/versions", "read", "refused", "own", 200),
  ...confluent("GET", "/subjects/:subject/versions/:version", "read", "refused", "own", 200),
  ...confluent("GET", "/subjects/:subject/versions/:version/schema", "read", "refused", "own", 200),
  ...confluent("GET", "/subjects/:subject/versions/:version/referencedby", "read", "refused", "own", 200),
  ...confluent("GET", "/subjects/:subject/metadata", "read", "refused", "own", 200),
  ...confluent("DELETE", "/subjects/:subject", "write", "refused", "own", 200),
  ...confluent("DELETE", "/subjects/:subject/versions/:version", "write", "refused", "own", 200),
  ...confluent("POST", "/compatibility/subjects/:subject/versions/:version", "read", "refused", "own", 200),
  ...confluent("POST", "/compatibility/subjects/:subject/versions", "read", "refused", "own", 200),
  ...confluent("GET", "/config/:subject", "read", "refused", "own", 200),
  ...confluent("PUT", "/config/:subject", "write", "refused", "own", 200),
  ...confluent("DELETE", "/config/:subject", "write", "refused", "own", 200),
  ...confluent("GET", "/mode/:subject", "read", "refused", "own", 200),
  ...confluent("PUT", "/mode/:subject", "write", "refused", "own", 200),
  ...confluent("DELETE", "/mode/:subject", "write", "refused", "own", 200),
  ...confluent("GET", "/schemas", "read", "refused", "cut", 200),
  ...confluent("GET", "/schemas/types", "read", "any", "any", 200),
  // A guid names a schema, not a subject: no scope can be shown.
  ...confluent("GET", "/schemas/guids/:guid", "read", "refused", "refused", 200),
  // An id: some subject in the prefix must use it.
  ...confluent("GET", "/schemas/ids/:id", "read", "refused", "own", 200),
  ...confluent("GET", "/schemas/ids/:id/schema", "read", "refused", "own", 200),
  ...confluent("GET", "/schemas/ids/:id/subjects", "read", "refused", "own-cut", 200),
  ...confluent("GET", "/schemas/ids/:id/versions", "read", "refused", "own-cut", 200),
  // The global (or a context's) level: read by any key with read; changed by an unscoped admin only.
  ...confluent("GET", "/config", "read", "any", "any", 200),
  ...confluent("PUT", "/config", "admin", "refused", "refused", 200),
  ...confluent("DELETE", "/config", "admin", "refused", "refused", 200),
  ...confluent("GET", "/mode", "read", "any", "any", 200),
  ...confluent("PUT", "/mode", "admin", "refused", "refused", 200),
  ...confluent("DELETE", "/mode", "admin", "refused", "refused", 200),
  // The bulk import names its subjects in the body: tenant-wide, no scoped key.
  row("POST", "/import/schemas", "write", "refused", "refused", 200),
];

/** POSTs that change nothing (docs/security.md: reads, and not audited). */
const READS_BY_POST = new Set([
  "POST /api/impact",
  "POST /impact/subjects/:subject",
  "POST /subjects/:subject",
  "POST /compatibility/subjects/:subject/versions/:version",
  "POST /compatibility/subjects/:subject/versions",
]);

/** Whether a successful request is recorded in the audit log: every mutation, and the export. */
function audited(route: Row): boolean {
  if (route.path === "/api/export") return true;
  return (
    route.method !== "GET" && !READS_BY_POST.has(`${route.method} ${route.path.replace(/^\/contexts\/:context/, "")}`)
  );
}

interface Principal {
  name: string;
  /** Null: the key is not accepted (401). */
  role: Role | null;
  /** Scoped to the product IN (or to one a case makes for it). */
  product: boolean;
  /** Scoped to the subject prefix PREFIX. */
  prefix: boolean;
}

const PRINCIPALS: readonly Principal[] = [
  { name: "no key", role: null, product: false, prefix: false },
  { name: "expired admin key", role: null, product: false, prefix: false },
  { name: "revoked admin key", role: null, product: false, prefix: false },
  { name: "read", role: "read", product: false, prefix: false },
  { name: "write", role: "write", product: false, prefix: false },
  { name: "admin", role: "admin", product: false, prefix: false },
  { name: "read, product-scoped", role: "read", product: true, prefix: false },
  { name: "write, product-scoped", role: "write", product: true, prefix: false },
  { name: "read, prefix-scoped", role: "read", product: false, prefix: true },
  { name: "write, prefix-scoped", role: "write", product: false, prefix: true },
  { name: "write, product- and prefix-scoped", role: "write", product: true, prefix: true },
];
const isScoped = (who: Principal) => who.product || who.prefix;
const RANK: Record<Role, number> = { read: 0, write: 1, admin: 2 };
const PREFIX = "orders-";

/** `in`: a resource inside the scoped keys' scope; `out`: the same kind of resource outside it. */
type Variant = "in" | "out";

interface Expected {
  status: number;
  /** A listing that must hold only the key's subjects. */
  cut: boolean;
}

function expectedFor(route: Row, who: Principal, variant: Variant): Expected {
  const ok = { status: route.ok, cut: false };
  const refused = { status: 403, cut: false };
  if (route.role === "public") return ok;
  if (who.role === null) return { status: 401, cut: false };
  if (RANK[who.role] < RANK[route.role]) return refused;
  if (!who.product && !who.prefix) return ok;
  const under = (rule: ScopeRule): Expected => {
    switch (rule) {
      case "any":
        return ok;
      case "refused":
        return refused;
      case "own":
        return variant === "in" ? ok : refused;
      case "cut":
        return { status: route.ok, cut: true };
      case "own-cut":
        return variant === "in" ? { status: route.ok, cut: true } : refused;
    }
  };
  // A key with both scopes gets what either scope allows (each is for its own API).
  const byPrefix = who.prefix ? under(route.prefix) : refused;
  return byPrefix.status !== 403 ? byPrefix : who.product ? under(route.product) : refused;
}

/** Routes whose scoped-key answer depends on the resource named: tried inside and outside the scope. */
function variantsOf(route: Row): Variant[] {
  const resourceScoped = (rule: ScopeRule) => rule === "own" || rule === "cut" || rule === "own-cut";
  return resourceScoped(route.product) || resourceScoped(route.prefix) ? ["in", "out"] : ["in"];
}

/**
 * Who is tried where: everyone on the resource inside the scope; outside it, the scoped keys, and
 * the admin key to show that the request works there for a key the scope does not limit.
 */
function principalsFor(variant: Variant): readonly Principal[] {
  return variant === "in" ? PRINCIPALS : PRINCIPALS.filter((who) => isScoped(who) || who.name === "admin");
}

/**
 * Requests beyond the table, each principal's status written out: what no route serves (docs/security.md:
 * "anything without a rule: unscoped admin only"), and a prefix key against aliases ("a subject whose
 * config alias points outside the prefix is refused, and such an alias cannot be set").
 */
interface ExtraRequest {
  label: string;
  method: string;
  /** Per principal (its index), for a request that changes something of its own. */
  path: (index: number) => string;
  body?: unknown;
  status: (who: Principal) => number;
}
const EXTRA: readonly ExtraRequest[] = [
  {
    label: "a path no route serves",
    method: "GET",
    path: () => "/api/no-such-route",
    status: (who) => (who.role === null ? 401 : who.role === "admin" && !isScoped(who) ? 404 : 403),
  },
  {
    label: "a method a Confluent route does not serve",
    method: "PUT",
    path: () => "/subjects",
    body: {},
    status: (who) => (who.role === null ? 401 : who.role === "admin" && !isScoped(who) ? 405 : 403),
  },
  {
    label: "a subject in the prefix whose alias points outside it",
    method: "GET",
    path: () => "/subjects/orders-alias/versions",
    status: (who) => (who.role === null ? 401 : isScoped(who) ? 403 : 200),
  },
  {
    label: "setting an alias that points outside the prefix",
    method: "PUT",
    path: (index) => `/config/orders-alias-out-${index}`,
    body: { alias: "users-value" },
    status: (who) => (who.role === null ? 401 : who.role === "read" || isScoped(who) ? 403 : 200),
  },
  {
    label: "setting an alias that points inside the prefix",
    method: "PUT",
    path: (index) => `/config/orders-alias-in-${index}`,
    body: { alias: "orders-value" },
    status: (who) => (who.role === null ? 401 : who.role === "read" || (who.product && !who.prefix) ? 403 : 200),
  },
];

/**
 * A key whose prefix names a context (`:.team`): the prefix is matched against the qualified name,
 * so a subject in another context whose plain name merely starts with `:.team` is outside it.
 */
const CONTEXT_PREFIX = ":.team";
const CONTEXT_PREFIX_REQUESTS: readonly {
  path: string;
  status: number;
  entries?: { has: string[]; lacks: string[] };
}[] = [
  { path: "/contexts/.team/subjects/orders-value/versions", status: 200 },
  { path: "/subjects/:.team:orders-value/versions", status: 200 },
  { path: "/subjects/orders-value/versions", status: 403 },
  { path: "/contexts/.other/subjects/:.team-x/versions", status: 403 },
  { path: "/subjects/:.other::.team-x/versions", status: 403 },
  { path: "/contexts/.other/subjects", status: 200, entries: { has: [], lacks: [":.team-x"] } },
  { path: "/contexts/.team/subjects", status: 200, entries: { has: ["orders-value"], lacks: [] } },
];

// ---- the data the requests name ------------------------------------------------------------------

const LEVELS = ["products", "domains", "contexts", "schemas", "versions"] as const;
type Level = (typeof LEVELS)[number];
type Tree = Record<Level, string>;

interface World {
  /** The product scoped keys are scoped to, with one document per level below it. */
  in: Tree;
  /** Another product, with the same. */
  out: Tree;
  /** Global ids: `orders-value`, `users-value`, `:.team:orders-value`, and `orders-shared` = `users-shared`. */
  ids: { orders: number; users: number; shared: number; team: number };
  guid: string;
  keyIds: Record<string, string>;
  exportDocument: unknown;
}

const avro = (name: string) => JSON.stringify({ type: "record", name, fields: [{ name: "id", type: "string" }] });
const ORDER = avro("Order");
const USER = avro("User");
const SHARED = avro("Shared");
const TEAM_ORDER = avro("TeamOrder");

/** How a case asks for its route: the path with its query, and what else the check needs. */
interface Made {
  path: string;
  body?: unknown;
  /** The product a product-scoped key must be scoped to (default: the world's `in` product). */
  keyProduct?: string;
  /** A listing's entries: those inside the prefix every allowed key sees, and those a scoped key must not. */
  listing?: { inScope: string[]; outOfScope: string[] };
}

interface Case {
  /** `/contexts/:.:` for `in` and `/contexts/.team` for `out` on a context route, else "". */
  base: string;
  variant: Variant;
  /** Unique per case, for names of the data a case makes for itself. */
  n: number;
}

type Builder = (c: Case) => Made | Promise<Made>;

let h: AuthHarness;
let w: World;
let served: { method: string; path: string }[];
/** Admin calls that make data, batched: every call made in one turn goes out in one batch. */
let setup: (method: string, path: string, body?: unknown) => Promise<Record<string, unknown>>;

const collectionPath = (level: Level, tree: Tree): string => {
  const index = LEVELS.indexOf(level);
  return index === 0 ? "/api/products" : `/api/${LEVELS[index - 1]}/${tree[LEVELS[index - 1]!]}/${level}`;
};
const itemPath = (level: Level, tree: Tree, id: string): string =>
  level === "versions" ? `/api/schemas/${tree.schemas}/versions/${id}` : `/api/${level}/${id}`;
const createBody = (level: Level, n: number): Record<string, unknown> => {
  switch (level) {
    case "schemas":
      return { name: `schema ${n}`, schemaTypeCategory: "Data", scope: "Public" };
    case "versions":
      return { semanticVersion: `1.0.${n}`, format: "JSON", specification: '{"type":"object"}' };
    default:
      return { name: `${level} ${n}` };
  }
};
/** A document of its own for a case that changes or deletes one, under the `in` or `out` tree. */
async function freshDocument(level: Level, c: Case): Promise<{ path: string; keyProduct?: string }> {
  const tree = c.variant === "in" ? w.in : w.out;
  const created = await setup("POST", collectionPath(level, tree), createBody(level, c.n));
  const id = String(created.id);
  // A product-scoped key acting on a product of its own: the key is scoped to this new product.
  return { path: itemPath(level, tree, id), ...(level === "products" && c.variant === "in" ? { keyProduct: id } : {}) };
}

/** The subject a Confluent case names: in the prefix, or not (at the root another name; in a context, `.team`). */
const subject = (c: Case, stem: string) => (c.variant === "in" || c.base !== "" ? `orders-${stem}` : `users-${stem}`);
const seededSchema = (c: Case) => (c.variant === "in" ? ORDER : c.base === "" ? USER : TEAM_ORDER);
const outOfScopeId = (c: Case) => (c.base === "" ? w.ids.users : w.ids.team);
/** The entries of a listing at `c.base` that belong to the out-of-prefix subjects seeded there. */
const listingOf = (c: Case, path: string): Made => {
  if (c.variant === "in")
    return { path: `${c.base}${path}`, listing: { inScope: ["orders-value"], outOfScope: ["users-value"] } };
  return c.base === ""
    ? { path: `${path}?subjectPrefix=:.team:`, listing: { inScope: [], outOfScope: [":.team:orders-value"] } }
    : { path: `${c.base}${path}`, listing: { inScope: [], outOfScope: ["orders-value"] } };
};
const idListing = (c: Case, path: string): Made =>
  c.variant === "in"
    ? {
        path: `${c.base}/schemas/ids/${w.ids.shared}${path}`,
        listing: { inScope: ["orders-shared"], outOfScope: ["users-shared"] },
      }
    : {
        path: `${c.base}/schemas/ids/${outOfScopeId(c)}${path}`,
        listing: { inScope: [], outOfScope: [c.base === "" ? "users-value" : "orders-value"] },
      };

/** How to make each route's request work, keyed by the route (Confluent ones without `/contexts/:context`). */
function builders(): Map<string, Builder> {
  const made = new Map<string, Builder>();
  const add = (method: Method, path: string, builder: Builder) => made.set(`${method} ${path}`, builder);
  const tree = (c: Case) => (c.variant === "in" ? w.in : w.out);
  for (const level of LEVELS) {
    const collection = level === "products" ? "/api/products" : collectionPath(level, PATTERN_TREE);
    const item = itemPath(level, PATTERN_TREE, `:${ID_PARAM[level]}`);
    add("GET", collection, (c) => ({ path: collectionPath(level, tree(c)) }));
    add("POST", collection, (c) => ({ path: collectionPath(level, tree(c)), body: createBody(level, c.n) }));
    add("GET", item, (c) => ({ path: itemPath(level, tree(c), tree(c)[level]) }));
    add("PATCH", item, async (c) => ({ ...(await freshDocument(level, c)), body: { description: `changed ${c.n}` } }));
    add("DELETE", item, (c) => freshDocument(level, c));
  }
  add("GET", "/health", () => ({ path: "/health" }));
  for (const probe of ["live", "ready", "startup"])
    add("GET", `/health/${probe}`, () => ({ path: `/health/${probe}` }));
  add("GET", "/api/stats", () => ({ path: "/api/stats" }));
  add("GET", "/api/whoami", () => ({ path: "/api/whoami" }));
  add("POST", "/api/impact", (c) => ({
    path: "/api/impact",
    body: { subject: `impact-${c.n}`, schema: avro(`M${c.n}`) },
  }));
  add("GET", "/ui", () => ({ path: "/ui" }));
  add("GET", "/ui/", () => ({ path: "/ui/" }));
  add("GET", "/ui/:asset", () => ({ path: "/ui/console.css" }));
  add("GET", "/api/openapi.json", () => ({ path: "/api/openapi.json" }));
  add("GET", "/api/docs", () => ({ path: "/api/docs" }));
  add("GET", "/api/export", () => ({ path: "/api/export" }));
  add("POST", "/api/import", () => ({ path: "/api/import", body: w.exportDocument }));
  add("GET", "/api/keys", () => ({ path: "/api/keys" }));
  add("POST", "/api/keys", (c) => ({ path: "/api/keys", body: { role: "read", description: `matrix ${c.n}` } }));
  add("GET", "/api/keys/:keyId", () => ({ path: `/api/keys/${w.keyIds.read}` }));
  add("DELETE", "/api/keys/:keyId", async () => ({
    path: `/api/keys/${(await setup("POST", "/api/keys", { role: "read" })).id}`,
  }));
  add("GET", "/api/audit", () => ({ path: "/api/audit" }));
  add("GET", "/api/usage", () => ({ path: "/api/usage" }));
  add("GET", "/api/settings", () => ({ path: "/api/settings" }));
  add("PUT", "/api/settings", () => ({ path: "/api/settings", body: { auditRetentionDays: 90 } }));
  // Port 9 on loopback: nothing listens, so a test delivery fails at once (the harness allows
  // loopback, as the local platform does).
  // One webhook for the reads and the test delivery; each delete case makes its own (the registry
  // may have 20: 11 principals' deletes and the creates stay under it).
  const hook = async () => String((await setup("POST", "/api/webhooks", { url: "http://127.0.0.1:9/hook" })).id);
  let shared: Promise<string> | undefined;
  const sharedHook = () => (shared ??= hook());
  add("GET", "/api/webhooks", () => ({ path: "/api/webhooks" }));
  add("POST", "/api/webhooks", (c) => ({ path: "/api/webhooks", body: { url: `https://hooks.example.com/m${c.n}` } }));
  add("GET", "/api/webhooks/:webhookId", async () => ({ path: `/api/webhooks/${await sharedHook()}` }));
  add("DELETE", "/api/webhooks/:webhookId", async () => ({ path: `/api/webhooks/${await hook()}` }));
  add("POST", "/api/webhooks/:webhookId/rotate-secret", async () => ({
    path: `/api/webhooks/${await sharedHook()}/rotate-secret`,
  }));
  add("POST", "/api/webhooks/:webhookId/test", async () => ({ path: `/api/webhooks/${await sharedHook()}/test` }));
  add("GET", "/api/webhooks/:webhookId/deliveries", async () => ({
    path: `/api/webhooks/${await sharedHook()}/deliveries`,
  }));

  add("GET", "/", () => ({ path: "/" }));
  add("GET", "/openapi.json", () => ({ path: "/openapi.json" }));
  add("GET", "/openapi.yaml", () => ({ path: "/openapi.yaml" }));
  add("GET", "/docs", () => ({ path: "/docs" }));
  add("GET", "/docs/:asset", () => ({ path: "/docs/swagger-initializer.js" }));
  add("GET", "/v1/metadata/id", () => ({ path: "/v1/metadata/id" }));
  add("GET", "/v1/metadata/version", () => ({ path: "/v1/metadata/version" }));
  add("GET", "/contexts", () => ({ path: "/contexts" }));
  add("POST", "/import/schemas", async (c) => {
    // Into a context of its own in IMPORT mode, so the rest of the matrix registers as usual.
    await setup("PUT", "/mode/:.mximport:?force=true", { mode: "IMPORT" });
    return {
      path: "/import/schemas",
      body: { schemas: [{ id: 5000 + c.n, subject: `:.mximport:s${c.n}`, version: 1, schema: avro(`I${c.n}`) }] },
    };
  });
  add("POST", "/impact/subjects/:subject", (c) => ({
    path: `${c.base}/impact/subjects/impact-${c.n}`,
    body: { schema: avro(`N${c.n}`) },
  }));
  add("GET", "/subjects", (c) => listingOf(c, "/subjects"));
  add("GET", "/schemas", (c) => listingOf(c, "/schemas"));
  add("POST", "/subjects/:subject/versions", (c) => ({
    path: `${c.base}/subjects/${subject(c, `w${c.n}`)}/versions`,
    body: { schema: avro(`W${c.n}`) },
  }));
  add("POST", "/subjects/:subject", (c) => ({
    path: `${c.base}/subjects/${subject(c, "value")}`,
    body: { schema: seededSchema(c) },
  }));
  for (const tail of ["/versions", "/versions/1", "/versions/1/schema", "/versions/1/referencedby", "/metadata"]) {
    const pattern = tail.replace("/1", "/:version");
    add("GET", `/subjects/:subject${pattern}`, (c) => ({ path: `${c.base}/subjects/${subject(c, "value")}${tail}` }));
  }
  add("DELETE", "/subjects/:subject", async (c) => {
    const name = subject(c, `d${c.n}`);
    await setup("POST", `${c.base}/subjects/${name}/versions`, { schema: avro(`D${c.n}`) });
    return { path: `${c.base}/subjects/${name}` };
  });
  add("DELETE", "/subjects/:subject/versions/:version", async (c) => {
    const name = subject(c, `d${c.n}`);
    await setup("POST", `${c.base}/subjects/${name}/versions`, { schema: avro(`D${c.n}`) });
    return { path: `${c.base}/subjects/${name}/versions/1` };
  });
  for (const tail of ["/versions/1", "/versions"]) {
    add("POST", `/compatibility/subjects/:subject${tail.replace("/1", "/:version")}`, (c) => ({
      path: `${c.base}/compatibility/subjects/${subject(c, "value")}${tail}`,
      body: { schema: seededSchema(c) },
    }));
  }
  for (const [kind, body] of [
    ["config", { compatibility: "NONE" }],
    ["mode", { mode: "READWRITE" }],
  ] as const) {
    add("GET", `/${kind}/:subject`, (c) => ({ path: `${c.base}/${kind}/${subject(c, "value")}` }));
    add("PUT", `/${kind}/:subject`, (c) => ({ path: `${c.base}/${kind}/${subject(c, `s${c.n}`)}`, body }));
    add("DELETE", `/${kind}/:subject`, async (c) => {
      const path = `${c.base}/${kind}/${subject(c, `s${c.n}`)}`;
      await setup("PUT", path, body);
      return { path };
    });
    // The global and context levels: set to what the other cases rely on (the defaults), as they run beside them.
    add("GET", `/${kind}`, (c) => ({ path: `${c.base}/${kind}` }));
    add("PUT", `/${kind}`, (c) => ({
      path: `${c.base}/${kind}`,
      body: kind === "config" ? { compatibility: "BACKWARD" } : body,
    }));
    add("DELETE", `/${kind}`, (c) => ({ path: `${c.base}/${kind}` }));
  }
  add("GET", "/schemas/types", (c) => ({ path: `${c.base}/schemas/types` }));
  add("GET", "/schemas/guids/:guid", (c) => ({ path: `${c.base}/schemas/guids/${w.guid}` }));
  add("GET", "/schemas/ids/:id", (c) => ({
    path: `${c.base}/schemas/ids/${c.variant === "in" ? w.ids.orders : outOfScopeId(c)}`,
  }));
  add("GET", "/schemas/ids/:id/schema", (c) => ({
    path: `${c.base}/schemas/ids/${c.variant === "in" ? w.ids.orders : outOfScopeId(c)}/schema`,
  }));
  add("GET", "/schemas/ids/:id/subjects", (c) => idListing(c, "/subjects"));
  add("GET", "/schemas/ids/:id/versions", (c) => idListing(c, "/versions"));
  return made;
}

const ID_PARAM: Record<Level, string> = {
  products: "productId",
  domains: "domainId",
  contexts: "contextId",
  schemas: "schemaId",
  versions: "versionId",
};
/** The tree as route patterns: `/api/products/:productId/domains`. */
const PATTERN_TREE = Object.fromEntries(LEVELS.map((level) => [level, `:${ID_PARAM[level]}`])) as Tree;

// ---- setup ---------------------------------------------------------------------------------------

/** Batches the calls made in one turn of the event loop into one `callMany`. */
function batcher(harness: AuthHarness): (request: BatchRequest) => Promise<Reply> {
  let queue: { request: BatchRequest; resolve: (reply: Reply) => void; reject: (error: unknown) => void }[] = [];
  const flush = async () => {
    const taken = queue;
    queue = [];
    try {
      const replies = await harness.callMany(taken.map((each) => each.request));
      for (const [index, each] of taken.entries()) each.resolve(replies[index]!);
    } catch (error) {
      for (const each of taken) each.reject(error);
    }
  };
  return (request) =>
    new Promise((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ request, resolve, reject });
    });
}

const keys = new Map<string, string>();
/** Keys scoped to products a case made, by `<principal>|<product>`. */
const productKeys = new Map<string, Promise<string>>();

async function mint(body: Record<string, unknown>): Promise<{ id: string; key: string }> {
  const created = await setup("POST", "/api/keys", body);
  return { id: String(created.id), key: String(created.key) };
}
function scopeOf(who: Principal, product: string): Record<string, unknown> {
  return {
    role: who.role,
    ...(who.product ? { productId: product } : {}),
    ...(who.prefix ? { subjectPrefix: PREFIX } : {}),
  };
}
function keyFor(who: Principal, product: string | undefined): Promise<string | null> {
  if (who.name === "no key") return Promise.resolve(null);
  if (!who.product || product === undefined || product === w.in.products) return Promise.resolve(keys.get(who.name)!);
  const id = `${who.name}|${product}`;
  if (!productKeys.has(id))
    productKeys.set(
      id,
      mint(scopeOf(who, product)).then((created) => created.key),
    );
  return productKeys.get(id)!;
}

async function makeTree(name: string): Promise<Tree> {
  const tree = {} as Tree;
  for (const level of LEVELS) {
    const body = level === "products" ? { name } : createBody(level, 0);
    tree[level] = String((await setup("POST", collectionPath(level, tree), body)).id);
  }
  return tree;
}

async function registered(path: string, schema: string): Promise<number> {
  return Number((await setup("POST", path, { schema })).id);
}

interface Run {
  route: Row;
  who: Principal;
  variant: Variant;
  made: Made;
  expected: Expected;
  requestId: string;
  reply?: Reply;
}
const runs: Run[] = [];
/** Needs an empty registry: its allowed requests run before the data exists. */
const FIRST = new Set(["POST /api/import"]);
/** Case numbers start at 1: the shared data's names end in 0. */
let counter = 1;
const refusedTargets = new Map<string, Promise<Made>>();
const extraProblems: string[] = [];
let extraChecked = 0;

async function prepare(route: Row, who: Principal, variant: Variant, builder: Builder): Promise<Run> {
  const base = route.path.startsWith("/contexts/:context")
    ? variant === "in"
      ? "/contexts/:.:"
      : "/contexts/.team"
    : "";
  const expected = expectedFor(route, who, variant);
  const n = counter++;
  if (expected.status === route.ok) {
    const made = await builder({ base, variant, n });
    return { route, who, variant, made, expected, requestId: `matrix-${n}` };
  }
  // Refused requests share one target per route and variant: only a wrongly allowed one changes it.
  const target = `${route.method} ${route.path} ${variant}`;
  if (!refusedTargets.has(target)) refusedTargets.set(target, Promise.resolve(builder({ base, variant, n })));
  return { route, who, variant, made: await refusedTargets.get(target)!, expected, requestId: `matrix-${n}` };
}
async function send(batch: Run[]): Promise<void> {
  const requests = await Promise.all(
    batch.map(async (run) => ({
      method: run.route.method,
      path: run.made.path,
      key: await keyFor(run.who, run.made.keyProduct),
      headers: { "x-request-id": run.requestId },
      ...(run.made.body === undefined ? {} : { body: run.made.body }),
    })),
  );
  const replies = await h.callMany(requests);
  batch.forEach((run, index) => {
    run.reply = replies[index]!;
  });
  runs.push(...batch);
}

beforeAll(async () => {
  const routeTable = await build({
    ...WORKER_BUILD_OPTIONS,
    entryPoints: [fileURLToPath(new URL("../openapi/route-table.worker.ts", import.meta.url))],
  });
  h = await startAuthHarness("matrix", {
    bindings: { WEBHOOK_ALLOW_LOOPBACK: "true" },
    extraWorkers: [
      { name: "route-table", modules: true, script: routeTable.outputFiles[0]!.text, compatibilityDate: "2026-06-01" },
    ],
  });
  served = ((await (await (await h.worker("route-table")).fetch("http://table/")).json()) as { routes: typeof served })
    .routes;
  const call = batcher(h);
  setup = async (method, path, body) => {
    const reply = await call({ method, path, ...(body === undefined ? {} : { body }) });
    if (reply.status >= 300) throw new Error(`setup ${method} ${path}: ${reply.status} ${reply.text}`);
    return (reply.json ?? {}) as Record<string, unknown>;
  };
  w = { keyIds: {} } as World;
  const make = builders();
  const builderOf = (route: Row) => make.get(`${route.method} ${route.path.replace(/^\/contexts\/:context/, "")}`);

  // Keys that need no product, then the import while the registry is still empty.
  const expired = await mint({ role: "admin" });
  const revoked = await mint({ role: "admin" });
  await (await h.d1())
    .prepare("UPDATE api_keys SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?")
    .bind(expired.id)
    .run();
  await setup("DELETE", `/api/keys/${revoked.id}`);
  keys.set("expired admin key", expired.key);
  keys.set("revoked admin key", revoked.key);
  for (const who of PRINCIPALS.filter((each) => each.role !== null && !each.product && !each.prefix)) {
    const created = await mint({ role: who.role });
    keys.set(who.name, created.key);
    w.keyIds[who.name] = created.id;
  }
  w.exportDocument = JSON.parse((await h.call("GET", "/api/export")).text);
  const first = ACCESS_TABLE.filter((route) => FIRST.has(`${route.method} ${route.path}`));
  await send(
    await Promise.all(
      first.flatMap((route) =>
        PRINCIPALS.filter((who) => expectedFor(route, who, "in").status === route.ok).map((who) =>
          prepare(route, who, "in", builderOf(route)!),
        ),
      ),
    ),
  );
  // The data every other case reads, and the scoped keys.
  [w.in, w.out] = await Promise.all([makeTree("Scoped product"), makeTree("Other product")]);
  const [orders, users, shared, team] = await Promise.all([
    registered("/subjects/orders-value/versions", ORDER),
    registered("/subjects/users-value/versions", USER),
    registered("/subjects/orders-shared/versions", SHARED),
    registered("/contexts/.team/subjects/orders-value/versions", TEAM_ORDER),
  ]);
  await registered("/subjects/users-shared/versions", SHARED);
  w.ids = { orders, users, shared, team };
  w.guid = String((await setup("GET", "/subjects/orders-value/versions/1")).guid);
  await Promise.all(
    ["/subjects/orders-value", "/subjects/users-value", "/contexts/.team/subjects/orders-value"].flatMap((path) => [
      setup("PUT", path.replace("/subjects/", "/config/"), { compatibility: "BACKWARD" }),
      setup("PUT", path.replace("/subjects/", "/mode/"), { mode: "READWRITE" }),
    ]),
  );
  await Promise.all(
    PRINCIPALS.filter((who) => who.product || who.prefix).map(async (who) => {
      keys.set(who.name, (await mint(scopeOf(who, w.in.products))).key);
    }),
  );
  // Every other case: its data first (batched), then all the requests.
  const cases: Promise<Run>[] = [];
  for (const route of ACCESS_TABLE) {
    const builder = builderOf(route);
    if (builder === undefined) continue; // reported by a test
    for (const variant of variantsOf(route))
      for (const who of principalsFor(variant)) {
        const isFirst =
          FIRST.has(`${route.method} ${route.path}`) && expectedFor(route, who, variant).status === route.ok;
        if (!isFirst) cases.push(prepare(route, who, variant, builder));
      }
  }
  await send(await Promise.all(cases));

  await runExtras();
}, 180_000);
afterAll(async () => {
  await h?.dispose();
});

/** EXTRA for every principal, and CONTEXT_PREFIX_REQUESTS with a key scoped to CONTEXT_PREFIX. */
async function runExtras(): Promise<void> {
  await setup("PUT", "/config/orders-alias", { alias: "users-value" });
  await setup("POST", "/contexts/.other/subjects/:.team-x/versions", { schema: avro("TeamLookalike") });
  const contextKey = (await mint({ role: "read", subjectPrefix: CONTEXT_PREFIX })).key;
  const extras = EXTRA.flatMap((extra) =>
    PRINCIPALS.map((who, index) => ({ extra, who, path: extra.path(index), status: extra.status(who) })),
  );
  const requests: BatchRequest[] = [
    ...(await Promise.all(
      extras.map(async ({ extra, who, path }) => ({
        method: extra.method,
        path,
        key: await keyFor(who, undefined),
        ...(extra.body === undefined ? {} : { body: extra.body }),
      })),
    )),
    ...CONTEXT_PREFIX_REQUESTS.map(({ path }) => ({ method: "GET", path, key: contextKey })),
  ];
  const replies = await h.callMany(requests);
  extraChecked = replies.length;
  extras.forEach(({ extra, who, path, status }, index) => {
    const reply = replies[index]!;
    if (reply.status !== status)
      extraProblems.push(
        `${extra.label}: ${extra.method} ${path} as ${who.name}: expected ${status}, got ${reply.status}`,
      );
  });
  CONTEXT_PREFIX_REQUESTS.forEach(({ path, status, entries }, index) => {
    const reply = replies[extras.length + index]!;
    const listed = entriesOf(reply.json) ?? [];
    if (
      reply.status !== status ||
      (entries !== undefined &&
        (entries.has.some((entry) => !listed.includes(entry)) || entries.lacks.some((entry) => listed.includes(entry))))
    )
      extraProblems.push(
        `GET ${path} as a ${CONTEXT_PREFIX} key: expected ${status}, got ${reply.status} ${reply.text}`,
      );
  });
}

// ---- checks --------------------------------------------------------------------------------------

const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);
/** Hono's `/subjects/:subject{.+}` and `/subjects/:subject` are one route. */
const normalized = (path: string) => path.replace(/:(\w+)\{[^}]*\}/g, ":$1").replace(/\?$/, "");

function servedRoutes(): string[] {
  const routes = new Set<string>();
  for (const route of served) {
    if (!METHODS.has(route.method) || route.path.includes("*")) continue;
    routes.add(`${route.method} ${normalized(route.path)}`);
  }
  return [...routes].sort();
}

/** A listing's entry as a qualified subject, read at the URL's context. */
function qualified(entry: string, path: string): string {
  const context = /^\/contexts\/([^/]+)\//.exec(path)?.[1];
  if (context === undefined || entry.startsWith(":.") || context === ":.:") return entry;
  return `:.${context.replace(/^\./, "")}:${entry}`;
}

function entriesOf(body: unknown): string[] | null {
  if (!Array.isArray(body)) return null;
  return body.map((item) =>
    typeof item === "string" ? item : String((item as { subject?: unknown } | null)?.subject ?? "<no subject>"),
  );
}

/** What is wrong with one answer, or null. */
function problemOf(run: Run): string | null {
  const reply = run.reply!;
  const { status, cut } = run.expected;
  if (reply.status !== status) return `expected ${status}, got ${reply.status} ${reply.text.slice(0, 160)}`;
  const api = run.made.path.startsWith("/api/");
  if (status === 401 || status === 403) {
    const body = reply.json as Record<string, unknown> | undefined;
    const shapeOk = api
      ? typeof body?.error === "object" &&
        (body.error as { code?: unknown }).code === (status === 401 ? "unauthorized" : "forbidden") &&
        (body.error as { requestId?: unknown }).requestId === run.requestId
      : body?.error_code === (status === 401 ? 40101 : 40301) && typeof body.message === "string";
    if (!shapeOk)
      return `a ${status} not in the ${api ? "/api" : "Confluent"} error shape: ${reply.text.slice(0, 160)}`;
    if (status === 401 && reply.headers.get("www-authenticate") !== 'Basic realm="schema-registry", Bearer')
      return `a 401 without WWW-Authenticate`;
    return null;
  }
  const listing = run.made.listing;
  if (listing === undefined) return null;
  const entries = entriesOf(reply.json);
  if (entries === null) return `expected a listing, got ${reply.text.slice(0, 160)}`;
  const missing = listing.inScope.filter((entry) => !entries.includes(entry));
  if (missing.length > 0) return `the listing lacks ${missing.join(", ")}: ${reply.text.slice(0, 160)}`;
  if (cut) {
    const outside = entries.filter((entry) => !qualified(entry, run.made.path).startsWith(PREFIX));
    if (outside.length > 0) return `the listing shows subjects outside the prefix: ${outside.join(", ")}`;
  } else {
    const lacking = listing.outOfScope.filter((entry) => !entries.includes(entry));
    if (lacking.length > 0) return `an unscoped listing lacks ${lacking.join(", ")}: ${reply.text.slice(0, 160)}`;
  }
  return null;
}

const describeRun = (run: Run) =>
  `${run.route.method} ${run.made.path} (${run.route.path}, ${run.variant} of scope) as ${run.who.name}`;

describe("the access table", () => {
  it("has a row for every route the app serves (add one to ACCESS_TABLE, from the docs)", () => {
    const rows = new Set(ACCESS_TABLE.map((route) => `${route.method} ${route.path}`));
    expect(servedRoutes().filter((route) => !rows.has(route))).toEqual([]);
  });

  it("names only routes the app serves, once each, each with a way to call it", () => {
    const routes = new Set(servedRoutes());
    const keysOfRows = ACCESS_TABLE.map((route) => `${route.method} ${route.path}`);
    expect(keysOfRows.filter((route) => !routes.has(route))).toEqual([]);
    expect(keysOfRows.filter((route, index) => keysOfRows.indexOf(route) !== index)).toEqual([]);
    const make = builders();
    expect(
      ACCESS_TABLE.filter(
        (route) => !make.has(`${route.method} ${route.path.replace(/^\/contexts\/:context/, "")}`),
      ).map((route) => `${route.method} ${route.path}`),
    ).toEqual([]);
  });
});

describe("every route x every kind of key", () => {
  it("answers exactly as the table says, inside and outside each scoped key's scope", () => {
    const wrong = runs.map((run) => [run, problemOf(run)] as const).filter(([, problem]) => problem !== null);
    expect(wrong.map(([run, problem]) => `${describeRun(run)}: ${problem}`)).toEqual([]);
    // Every row, every principal, both variants where the scope matters.
    const expectedCount = ACCESS_TABLE.reduce(
      (sum, route) => sum + variantsOf(route).reduce((count, variant) => count + principalsFor(variant).length, 0),
      0,
    );
    expect(runs.length).toBe(expectedCount);
    // Scoped keys were refused for resources outside their scope, and allowed inside it.
    const scoped = runs.filter((run) => isScoped(run.who));
    expect(scoped.filter((run) => run.variant === "out" && run.reply!.status === 403).length).toBeGreaterThan(150);
    expect(scoped.filter((run) => run.variant === "in" && run.reply!.status < 300).length).toBeGreaterThan(100);
  });

  it("refuses what no route serves, aliases out of the prefix, and subjects that only look qualified", () => {
    expect(extraProblems).toEqual([]);
    expect(extraChecked).toBe(EXTRA.length * PRINCIPALS.length + CONTEXT_PREFIX_REQUESTS.length);
  });

  it("records every allowed mutation and the export in the audit log, and no other allowed request", async () => {
    const { results } = await (await h.d1())
      .prepare("SELECT request_id, outcome, status FROM audit_log WHERE request_id LIKE 'matrix-%'")
      .all<{ request_id: string; outcome: string; status: number }>();
    const entries = new Map(results.map((entry) => [entry.request_id, entry]));
    const wrong: string[] = [];
    for (const run of runs) {
      if (run.reply!.status !== run.route.ok || run.expected.status !== run.route.ok) continue;
      if (run.route.role === "public") continue;
      const entry = entries.get(run.requestId);
      if (audited(run.route) && (entry?.outcome !== "ok" || entry.status !== run.route.ok))
        wrong.push(`${describeRun(run)}: no audit entry ok/${run.route.ok} (${JSON.stringify(entry)})`);
      if (!audited(run.route) && entry !== undefined)
        wrong.push(`${describeRun(run)}: a read recorded in the audit log (${JSON.stringify(entry)})`);
    }
    expect(wrong).toEqual([]);
  });
});
