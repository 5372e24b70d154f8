/**
 * Who may call what: one rule per endpoint of the tenant Worker (both APIs and /health), with the
 * role it needs, how a scoped key's scope is checked, the audit action it is recorded as, and
 * whether it is audited when it succeeds (docs/security.md, "API keys and roles").
 *
 * A request no rule matches needs an unscoped admin key (fail closed). The access matrix test
 * (tests/tenant-template/auth/access-matrix.test.ts) calls every route the app serves with every
 * kind of key against a table of its own, written from the docs, so a wrong or missing rule here
 * fails it.
 */
import { TrieRouter } from "hono/router/trie-router";
import { REGISTRY_LEVELS, type RegistryLevel } from "../registry/registry-levels.ts";
import type { Role } from "../../../contracts/api-key.ts";

/**
 * How a scoped key's scope is established for a request (an unscoped key skips this):
 * - `public`: no key at all (only /health and its probes);
 * - `none`: no tenant data is involved (API descriptions, schema types, global config reads), so
 *   any key with the role may call it;
 * - `tenant`: tenant-wide (lists of every product, stats, backup, keys, audit, settings, global
 *   config writes): scoped keys are refused;
 * - `product`: the path names a document of the hierarchy; its product must be the key's;
 * - `subject`: the path names a Confluent subject; it must start with the key's subject prefix;
 * - `subjects`: a Confluent list of subjects; a scoped key gets only the entries in its prefix;
 * - `schema-id`: a Confluent global id; some subject using it must be in the key's prefix (for
 *   the lists of its subjects/versions, only those are answered).
 */
export type ScopeRule =
  | { kind: "public" }
  | { kind: "none" }
  | { kind: "tenant" }
  | { kind: "product"; level: RegistryLevel; param: string }
  | { kind: "subject" }
  | { kind: "subjects" }
  | { kind: "schema-id"; list: boolean };

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface AccessRule {
  method: HttpMethod;
  /** Hono path, as `app.routes` lists it, e.g. `/api/domains/:domainId`. */
  path: string;
  /** The weakest role allowed; `public` rules need no key. */
  role: Role | "public";
  scope: ScopeRule;
  /** The audit log's `action`, e.g. `domain.update`, `subject.register`. */
  action: string;
  /** Recorded in the audit log when it succeeds or fails (every refusal is recorded anyway). */
  audited: boolean;
}

const PUBLIC: ScopeRule = { kind: "public" };
const NONE: ScopeRule = { kind: "none" };
const TENANT: ScopeRule = { kind: "tenant" };
const SUBJECT: ScopeRule = { kind: "subject" };
const SUBJECTS: ScopeRule = { kind: "subjects" };

function rule(
  method: HttpMethod,
  path: string,
  role: Role | "public",
  scope: ScopeRule,
  action: string,
  audited = method !== "GET" && role !== "read",
): AccessRule {
  return { method, path, role, scope, action, audited };
}

/** The five routes of each hierarchy level (registry/level-routes.ts), derived the same way. */
function registryRules(): AccessRule[] {
  const rules: AccessRule[] = [];
  for (const level of REGISTRY_LEVELS) {
    const parent = level.parent;
    const collection =
      parent === null ? `/api/${level.plural}` : `/api/${parent.level.plural}/:${parent.level.idParam}/${level.plural}`;
    const item = level.nestedItem ? `${collection}/:${level.idParam}` : `/api/${level.plural}/:${level.idParam}`;
    // A collection is scoped by its parent; products have none, so listing or creating them is tenant-wide.
    const collectionScope: ScopeRule =
      parent === null ? TENANT : { kind: "product", level: parent.level, param: parent.level.idParam };
    // A nested item (a version) is scoped by its schema, which its URL names.
    const itemScope: ScopeRule =
      level.nestedItem && parent !== null ? collectionScope : { kind: "product", level, param: level.idParam };
    rules.push(
      rule("GET", collection, "read", collectionScope, `${level.singular}.list`),
      rule("POST", collection, "write", collectionScope, `${level.singular}.create`),
      rule("GET", item, "read", itemScope, `${level.singular}.read`),
      rule("PATCH", item, "write", itemScope, `${level.singular}.update`),
      rule("DELETE", item, "write", itemScope, `${level.singular}.delete`),
    );
  }
  return rules;
}

/** The Confluent API's subject routes, also reachable under `/contexts/:context` (Confluent's context URLs). */
function confluentSubjectRules(prefix: string): AccessRule[] {
  return [
    rule("GET", `${prefix}/subjects`, "read", SUBJECTS, "subject.list"),
    rule("POST", `${prefix}/subjects/:subject/versions`, "write", SUBJECT, "subject.register"),
    // Looking a schema up and testing compatibility change nothing: reads.
    rule("POST", `${prefix}/subjects/:subject`, "read", SUBJECT, "subject.lookup"),
    rule("GET", `${prefix}/subjects/:subject/versions`, "read", SUBJECT, "subject.versions"),
    rule("GET", `${prefix}/subjects/:subject/versions/:version`, "read", SUBJECT, "subject.version.read"),
    rule("GET", `${prefix}/subjects/:subject/versions/:version/schema`, "read", SUBJECT, "subject.version.read"),
    rule(
      "GET",
      `${prefix}/subjects/:subject/versions/:version/referencedby`,
      "read",
      SUBJECT,
      "subject.version.referencedby",
    ),
    rule("GET", `${prefix}/subjects/:subject/metadata`, "read", SUBJECT, "subject.metadata"),
    rule("DELETE", `${prefix}/subjects/:subject`, "write", SUBJECT, "subject.delete"),
    rule("DELETE", `${prefix}/subjects/:subject/versions/:version`, "write", SUBJECT, "subject.version.delete"),
    rule(
      "POST",
      `${prefix}/compatibility/subjects/:subject/versions/:version`,
      "read",
      SUBJECT,
      "subject.compatibility",
    ),
    rule("POST", `${prefix}/compatibility/subjects/:subject/versions`, "read", SUBJECT, "subject.compatibility"),
    rule("GET", `${prefix}/config/:subject`, "read", SUBJECT, "subject.config.read"),
    rule("PUT", `${prefix}/config/:subject`, "write", SUBJECT, "subject.config.update"),
    rule("DELETE", `${prefix}/config/:subject`, "write", SUBJECT, "subject.config.delete"),
    rule("GET", `${prefix}/mode/:subject`, "read", SUBJECT, "subject.mode.read"),
    rule("PUT", `${prefix}/mode/:subject`, "write", SUBJECT, "subject.mode.update"),
    rule("DELETE", `${prefix}/mode/:subject`, "write", SUBJECT, "subject.mode.delete"),
    rule("GET", `${prefix}/schemas`, "read", SUBJECTS, "schema.list"),
    rule("GET", `${prefix}/schemas/types`, "read", NONE, "schema.types"),
    // A guid names a schema without a subject: a scoped key cannot be shown to be entitled to it.
    rule("GET", `${prefix}/schemas/guids/:guid`, "read", TENANT, "schema.read"),
    rule("GET", `${prefix}/schemas/ids/:id`, "read", { kind: "schema-id", list: false }, "schema.read"),
    rule("GET", `${prefix}/schemas/ids/:id/schema`, "read", { kind: "schema-id", list: false }, "schema.read"),
    rule("GET", `${prefix}/schemas/ids/:id/subjects`, "read", { kind: "schema-id", list: true }, "schema.subjects"),
    rule("GET", `${prefix}/schemas/ids/:id/versions`, "read", { kind: "schema-id", list: true }, "schema.versions"),
    // The global (or context-wide) level and mode: reading them shows no subject; changing them
    // changes every subject, so only an (unscoped) admin may.
    rule("GET", `${prefix}/config`, "read", NONE, "config.read"),
    rule("PUT", `${prefix}/config`, "admin", TENANT, "config.update"),
    rule("DELETE", `${prefix}/config`, "admin", TENANT, "config.delete"),
    rule("GET", `${prefix}/mode`, "read", NONE, "mode.read"),
    rule("PUT", `${prefix}/mode`, "admin", TENANT, "mode.update"),
    rule("DELETE", `${prefix}/mode`, "admin", TENANT, "mode.delete"),
  ];
}

/** Every rule. Rules for Confluent endpoints not served yet are harmless: no request reaches them. */
export const ACCESS_RULES: readonly AccessRule[] = [
  rule("GET", "/health", "public", PUBLIC, "health.read"),
  // The probes (health.ts): public like /health; they tell less than it does (UP or DOWN).
  rule("GET", "/health/live", "public", PUBLIC, "health.read"),
  rule("GET", "/health/ready", "public", PUBLIC, "health.read"),
  rule("GET", "/health/startup", "public", PUBLIC, "health.read"),

  ...registryRules(),
  rule("GET", "/api/stats", "read", TENANT, "registry.stats"),
  rule("GET", "/api/openapi.json", "read", NONE, "api.describe"),
  rule("GET", "/api/docs", "read", NONE, "api.describe"),
  // A whole-registry export is a read, but it carries everything: admin, and recorded.
  rule("GET", "/api/export", "admin", TENANT, "registry.export", true),
  rule("POST", "/api/import", "admin", TENANT, "registry.import"),
  rule("GET", "/api/keys", "admin", TENANT, "key.list"),
  rule("POST", "/api/keys", "admin", TENANT, "key.create"),
  rule("GET", "/api/keys/:keyId", "admin", TENANT, "key.read"),
  rule("DELETE", "/api/keys/:keyId", "admin", TENANT, "key.revoke"),
  rule("GET", "/api/audit", "admin", TENANT, "audit.list"),
  rule("GET", "/api/settings", "admin", TENANT, "settings.read"),
  rule("PUT", "/api/settings", "admin", TENANT, "settings.update"),

  rule("GET", "/", "read", NONE, "api.describe"),
  rule("GET", "/openapi.json", "read", NONE, "api.describe"),
  // The documentation (api-docs.ts, docs-page.ts): like the document itself, any read key.
  rule("GET", "/openapi.yaml", "read", NONE, "api.describe"),
  rule("GET", "/docs", "read", NONE, "api.describe"),
  rule("GET", "/docs/:asset", "read", NONE, "api.describe"),
  rule("GET", "/v1/metadata/id", "read", NONE, "api.describe"),
  rule("GET", "/v1/metadata/version", "read", NONE, "api.describe"),
  rule("GET", "/contexts", "read", TENANT, "context.list"),
  ...confluentSubjectRules(""),
  ...confluentSubjectRules("/contexts/:context"),
];

export interface MatchedRule {
  rule: AccessRule;
  /** Path parameters, percent-decoded (a malformed escape leaves the raw text). */
  params: Record<string, string>;
}

const router = new TrieRouter<AccessRule>();
for (const each of ACCESS_RULES) router.add(each.method, each.path, each);

/**
 * The rule for a request; HEAD is GET. Null when no rule matches (the caller fails closed).
 *
 * @example
 *   matchRule("PATCH", "/api/domains/0192...")?.rule.action // "domain.update"
 */
export function matchRule(method: string, path: string): MatchedRule | null {
  const wanted = method === "HEAD" ? "GET" : method;
  const [matches] = router.match(wanted, path) as unknown as [[AccessRule, Record<string, string>][]];
  const first = matches[0];
  if (first === undefined) return null;
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(first[1])) params[name] = decoded(value);
  return { rule: first[0], params };
}

function decoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
