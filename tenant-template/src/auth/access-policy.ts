/**
 * Who may call what: the access table, one rule per endpoint of the tenant Worker (both APIs and
 * /health), with the role it needs, how a scoped key's scope is checked, the audit action it is
 * recorded as, and whether it is audited when it succeeds (docs/security.md, "API keys and roles";
 * what a rule says is access-rule.ts). The Confluent API's rules are not written here: each of its
 * routes declares its own beside it (confluent/routes/*.ts), and the table takes them from there.
 *
 * A request no rule matches needs an unscoped admin key (fail closed).
 * tests/tenant-template/auth/access-rules.test.ts fails for a route the app serves without a rule;
 * the access matrix test (access-matrix.test.ts) calls every route with every kind of key against
 * a table of its own, written from the docs, so a wrong rule fails it.
 */
import { TrieRouter } from "hono/router/trie-router";
import { CONFLUENT_ACCESS_RULES } from "../confluent/confluent-api.ts";
import { REGISTRY_LEVELS } from "../registry/registry-levels.ts";
import { NONE, PUBLIC, rule, TENANT, type AccessRule, type ScopeRule } from "./access-rule.ts";

export type { AccessRule, HttpMethod, ScopeRule } from "./access-rule.ts";

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

/** Every rule: /health's, /api's (written here, the hierarchy's derived from its levels) and the Confluent API's. */
export const ACCESS_RULES: readonly AccessRule[] = [
  rule("GET", "/health", "public", PUBLIC, "health.read"),
  // The probes (health.ts): public like /health; they tell less than it does (UP or DOWN).
  rule("GET", "/health/live", "public", PUBLIC, "health.read"),
  rule("GET", "/health/ready", "public", PUBLIC, "health.read"),
  rule("GET", "/health/startup", "public", PUBLIC, "health.read"),

  // The console's page and files (console/console-routes.ts): no tenant data, so no key; the page
  // signs in and calls the APIs below with a key, checked like any other caller's.
  rule("GET", "/ui", "public", PUBLIC, "console.read"),
  rule("GET", "/ui/", "public", PUBLIC, "console.read"),
  rule("GET", "/ui/:asset", "public", PUBLIC, "console.read"),

  ...registryRules(),
  rule("GET", "/api/stats", "read", TENANT, "registry.stats"),
  // Reads only, but names subjects across the registry: unscoped keys (confluent/impact-analysis.ts).
  rule("POST", "/api/impact", "read", TENANT, "registry.impact"),
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
  rule("GET", "/api/usage", "admin", TENANT, "usage.read"),
  // Any key may learn its own role and scopes (whoami-api.ts), scoped or not.
  rule("GET", "/api/whoami", "read", NONE, "key.whoami"),
  rule("GET", "/api/settings", "admin", TENANT, "settings.read"),
  // Webhooks (webhooks/webhooks-api.ts): tenant-wide, and a secret signs what they receive.
  rule("GET", "/api/webhooks", "admin", TENANT, "webhook.list"),
  rule("POST", "/api/webhooks", "admin", TENANT, "webhook.create"),
  rule("GET", "/api/webhooks/:webhookId", "admin", TENANT, "webhook.read"),
  rule("DELETE", "/api/webhooks/:webhookId", "admin", TENANT, "webhook.delete"),
  rule("POST", "/api/webhooks/:webhookId/rotate-secret", "admin", TENANT, "webhook.rotate"),
  rule("POST", "/api/webhooks/:webhookId/test", "admin", TENANT, "webhook.test"),
  rule("GET", "/api/webhooks/:webhookId/deliveries", "admin", TENANT, "webhook.deliveries"),
  rule("PUT", "/api/settings", "admin", TENANT, "settings.update"),

  // Served by api-docs.ts at the Confluent root, where tools pointed at that API look.
  rule("GET", "/openapi.json", "read", NONE, "api.describe"),
  // The documentation (api-docs.ts, docs-page.ts): like the document itself, any read key.
  rule("GET", "/openapi.yaml", "read", NONE, "api.describe"),
  rule("GET", "/docs", "read", NONE, "api.describe"),
  rule("GET", "/docs/:asset", "read", NONE, "api.describe"),
  // As each Confluent route declares it, beside the route (confluent/routes/*.ts), for every path it
  // is served at: a Confluent route cannot be served without one.
  ...CONFLUENT_ACCESS_RULES,
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
