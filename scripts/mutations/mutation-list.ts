/**
 * The one-line mutations `npm run test:mutations` applies to product code: each attacks one claim
 * the README or docs/security.md makes, and names the tests that must then fail. A mutation that
 * survives (its tests still pass) is a claim no test holds. docs/testing.md lists them with the
 * last result.
 *
 * `from` must occur exactly once in `file` (checked in `npm test` by
 * tests/scripts/mutation-list.test.ts, so the list cannot silently go stale when code changes).
 */
export interface Mutation {
  /** Short kebab-case name: the claim it attacks. */
  name: string;
  /** The claim, as the docs make it. */
  claim: string;
  /** The product file, from the repository root. */
  file: string;
  /** The exact original text (one line or a distinctive part of one). */
  from: string;
  /** What it becomes. */
  to: string;
  /** The test files that guard the claim: at least one must fail. */
  tests: string[];
}

export const MUTATIONS: readonly Mutation[] = [
  {
    name: "bookmark-read-your-writes",
    claim: "Every response carries x-d1-bookmark: send it back to read at least what you wrote.",
    file: "tenant-template/src/store/open-d1-session.ts",
    from: "return db.withSession(bookmark);",
    to: 'return db.withSession("first-unconstrained");',
    tests: ["tests/e2e/read-replicas.test.ts"],
  },
  {
    name: "dispatch-proof-required",
    claim: "A request that reached a tenant Worker other than through the dispatcher is refused (the dispatch proof).",
    file: "tenant-template/src/auth/dispatch-proof.ts",
    from: "if (!routed) return errorResponse(",
    to: "if (!routed && false) return errorResponse(",
    tests: ["tests/tenant-template/dispatch-proof.test.ts"],
  },
  {
    name: "suspended-tenant-refused",
    claim: "A suspended tenant's hostname answers 403 and runs no tenant code (fail closed).",
    file: "dispatcher/src/tenant-dispatch.ts",
    from: 'if (record.status === "suspended") {',
    to: 'if (record.status === "suspended" && false) {',
    tests: ["tests/dispatcher/dispatcher.test.ts"],
  },
  {
    name: "client-internal-headers-stripped",
    claim: "Every x-wfp-* header a client sends is stripped before the tenant sees the request.",
    file: "dispatcher/src/tenant-dispatch.ts",
    from: "if (name.startsWith(INTERNAL_HEADER_PREFIX)) {",
    to: "if (name.startsWith(INTERNAL_HEADER_PREFIX) && false) {",
    tests: ["tests/dispatcher/dispatcher.test.ts"],
  },
  {
    name: "webhook-wake-hidden",
    claim: "A tenant's webhook wake header never reaches the client (the dispatcher removes it).",
    file: "dispatcher/src/tenant-dispatch.ts",
    from: "headers.delete(WEBHOOK_WAKE_HEADER);",
    to: "void WEBHOOK_WAKE_HEADER;",
    tests: ["tests/dispatcher/webhook-clock.test.ts"],
  },
  {
    name: "suspended-tenant-not-pumped",
    claim: "A suspended tenant's webhook clock sends it no pump until the tenant is active again.",
    file: "dispatcher/src/webhook-clock.ts",
    from: 'if (record.status === "suspended") return',
    to: 'if (record.status === "suspended" && false) return',
    tests: ["tests/dispatcher/webhook-clock.test.ts"],
  },
  {
    name: "revoked-keys-refused",
    claim: "A revoked API key is refused (401).",
    file: "contracts/api-key.ts",
    from: 'if (row.revoked_at !== null) return "revoked";',
    to: 'if (row.revoked_at === "never") return "revoked";',
    tests: ["tests/tenant-template/auth/api-keys.test.ts"],
  },
  {
    name: "expired-keys-refused",
    claim: "An expired API key is refused (401).",
    file: "contracts/api-key.ts",
    from: "!(Date.parse(row.expires_at) > now.getTime())",
    to: "!(Date.parse(row.expires_at) > now.getTime() - 86_400_000)",
    tests: ["tests/tenant-template/auth/api-keys.test.ts"],
  },
  {
    name: "host-from-url-only",
    claim: "No header the client sends takes part in choosing the tenant (X-Forwarded-Host and the like are ignored).",
    file: "dispatcher/src/index.ts",
    from: "const host = hostOfUrl(request.url);",
    to:
      'const forwarded = request.headers.get("x-forwarded-host"); ' +
      'const host = hostOfUrl(forwarded === null ? request.url : "http://" + forwarded + "/");',
    tests: ["tests/dispatcher/dispatcher.test.ts"],
  },
  {
    name: "audit-every-change",
    claim: "Every change is in the tenant's audit log (GET /api/audit).",
    file: "tenant-template/src/auth/api-access.ts",
    from: "if (audited) await audit(c, principal, action, outcomeOf(c.res.status), matched?.params ?? {});",
    to: 'if (audited && c.req.method === "GET") await audit(c, principal, action, outcomeOf(c.res.status), {});',
    tests: ["tests/tenant-template/auth/api-keys.test.ts"],
  },
  {
    name: "body-size-limit",
    claim: "Bodies over 1 MiB are refused with 413 (docs/security.md, input limits).",
    file: "tenant-template/src/http/input-limits.ts",
    from: "export const MAX_BODY_BYTES = DEFAULT_MAX_BODY_BYTES;",
    to: "export const MAX_BODY_BYTES = DEFAULT_MAX_BODY_BYTES * 64;",
    tests: ["tests/tenant-template/input-limits.test.ts"],
  },
  {
    name: "confluent-incompatible-refused",
    claim: "A Confluent registration incompatible at the subject's level is refused with 409.",
    file: "tenant-template/src/confluent/routes/versions.ts",
    from: "if (!result.isCompatible) {",
    to: "if (!result.isCompatible && false) {",
    tests: ["tests/tenant-template/confluent/confluent-api.test.ts"],
  },
  {
    name: "eu-data-in-eu-jurisdiction",
    claim: "An eu or uk tenant's D1 database is created in the EU jurisdiction.",
    file: "provisioner/src/d1-database.ts",
    from: "...(props.jurisdiction ? { jurisdiction: props.jurisdiction } : {}),",
    to: "...({}),",
    tests: ["tests/provisioner/tenant-lifecycle.test.ts", "tests/e2e/platform.test.ts"],
  },
  {
    name: "cache-never-stale-incarnation",
    claim: "The read cache can never serve an old version, even of a deleted and re-created document.",
    file: "tenant-template/src/cache/cached-get.ts",
    from: 'const ROW_FACTS = "_incarnation AS incarnation,',
    to: 'const ROW_FACTS = "0 AS incarnation,',
    tests: ["tests/tenant-template/cache/read-cache.test.ts"],
  },
  {
    name: "no-lost-update-version-check",
    claim: "If-Match makes updates conditional: concurrent writers never lose an update (412 when stale).",
    file: "tenant-template/src/store/document-repository.ts",
    from: '          .where("_version", "=", expectedVersion)\n',
    to: "",
    tests: ["tests/tenant-template/registry/conditional-requests.test.ts"],
  },
  {
    name: "no-lost-update-conditional-delete",
    claim: "If-Match makes deletes conditional: a delete that lost the race changes nothing.",
    file: "tenant-template/src/registry/cascade-delete.ts",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the product's own template text, matched literally
    from: "WHERE id = ${id} AND _version = ${expectedVersion})`;",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the same, without the version condition
    to: "WHERE id = ${id})`;",
    tests: ["tests/tenant-template/registry/conditional-requests.test.ts"],
  },
  {
    name: "if-match-precondition",
    claim: "A stale If-Match is answered 412 Precondition Failed.",
    file: "tenant-template/src/registry/level-routes.ts",
    from: "!condition.matches(entityTag(current))) return preconditionFailed(level, current);",
    to: "false) return preconditionFailed(level, current);",
    tests: ["tests/tenant-template/registry/conditional-requests.test.ts"],
  },
  {
    name: "fuzz-counts-every-5xx",
    claim: "10,000 cross-tenant requests: 0 5xx from the dispatcher or tenants (the isolation fuzz).",
    file: "dispatcher/src/index.ts",
    // Only the fuzz's clients (addresses 10.x) and only /export: the fuzz's own setup and checks still work.
    from: "    return dispatchToTenant(request, env, host, state, ctx);",
    to:
      '    if (request.headers.get("cf-connecting-ip")?.startsWith("10.") && ' +
      'new URL(request.url).pathname.endsWith("/export")) throw new Error("mutant");\n' +
      "    return dispatchToTenant(request, env, host, state, ctx);",
    tests: ["tests/security/isolation-fuzz.test.ts"],
  },
  {
    name: "fuzz-own-data-floor",
    claim:
      "The isolation fuzz's legitimate requests get their own tenant's data (a platform refusing everything fails).",
    file: "dispatcher/src/index.ts",
    from: "    const host = hostOfUrl(request.url);",
    to:
      '    if (request.headers.get("cf-connecting-ip")?.startsWith("10.")) return request.arrayBuffer().then(() => ' +
      'new Response("{}", { status: 404, headers: { "x-request-id": "r" } }));\n' +
      "    const host = hostOfUrl(request.url);",
    tests: ["tests/security/isolation-fuzz.test.ts"],
  },
  {
    name: "expired-keys-refused-on-time",
    claim: "An API key is accepted until its expiresAt, not after, and not before.",
    file: "contracts/api-key.ts",
    from: "!(Date.parse(row.expires_at) > now.getTime())",
    to: "!(Date.parse(row.expires_at) > now.getTime() + 60_000)",
    tests: ["tests/tenant-template/auth/api-keys.test.ts"],
  },
  {
    name: "role-write-to-delete-subject",
    claim: "A read key cannot change anything: deleting a subject needs the write role.",
    file: "tenant-template/src/confluent/routes/subjects.ts",
    from: 'access: { role: "write", scope: SUBJECT, action: "subject.delete" },',
    to: 'access: { role: "read", scope: SUBJECT, action: "subject.delete" },',
    tests: ["tests/tenant-template/auth/access-matrix.test.ts"],
  },
  {
    name: "subject-prefix-scope",
    claim: "A key scoped to a subject prefix reaches only subjects with that prefix (403 outside it).",
    file: "tenant-template/src/auth/key-scope.ts",
    from: "if (subject === null || !subjectInScope(subject, principal.subjectPrefix)) return false;",
    to: "if (subject === null) return false;",
    tests: ["tests/tenant-template/auth/access-matrix.test.ts"],
  },
  {
    name: "product-scope",
    claim: "A key scoped to a product reaches only that product and what is below it (403 elsewhere).",
    file: "tenant-template/src/auth/key-scope.ts",
    from: "return (await productOf(db, scope.level, id)) === principal.productId;",
    to: "return (await productOf(db, scope.level, id)) !== null;",
    tests: ["tests/tenant-template/auth/access-matrix.test.ts"],
  },
  {
    name: "scoped-listings-cut",
    claim: "A prefix-scoped key's listings hold only the subjects in its scope.",
    file: "tenant-template/src/confluent/subject-lookup.ts",
    from: "(qualified) => subjectInScope(qualified, prefix);",
    to: "() => true;",
    tests: ["tests/tenant-template/auth/access-matrix.test.ts"],
  },
  {
    name: "unknown-route-admin-only",
    claim: "A route without an access rule is open to an unscoped admin key only.",
    file: "tenant-template/src/auth/api-access.ts",
    from: 'if (matched === null) return principal.role === "admin" && !isScoped(principal);',
    to: "if (matched === null) return true;",
    tests: ["tests/tenant-template/auth/access-matrix.test.ts"],
  },
  {
    name: "every-route-has-access-rule",
    claim: "Every route the tenant serves has an access rule (the Confluent API's declared beside each route).",
    file: "tenant-template/src/auth/access-policy.ts",
    from: "  ...CONFLUENT_ACCESS_RULES,",
    to: "  ...CONFLUENT_ACCESS_RULES.slice(1),",
    tests: ["tests/tenant-template/auth/access-rules.test.ts"],
  },
  {
    name: "audit-action-vocabulary",
    claim: "Conformance: Confluent registrations are in the audit log under the action the docs name.",
    file: "tenant-template/src/confluent/routes/versions.ts",
    from: 'action: "subject.register", auditStatesByHandler: true },',
    to: 'action: "subject.create", auditStatesByHandler: true },',
    tests: ["tests/conformance/runner-smoke.test.ts"],
  },
  {
    name: "registration-round-trips",
    claim: "A Confluent registration takes 3 D1 round trips (docs/confluent-api.md, Registration speed).",
    file: "tenant-template/src/confluent/routes/versions.ts",
    from: "    const { subject, settings, read } = await readForWrite(c, params);",
    to:
      "    const { subject, settings, read } = await readForWrite(c, params);\n" +
      "    await referencedBy(session, subject.qualified, 1);",
    tests: ["tests/tenant-template/confluent/round-trips.test.ts"],
  },
  {
    name: "impact-order-by-name",
    claim: "Impact analysis orders subjects so each comes after what it references, not by name.",
    file: "tenant-template/src/confluent/impact-analysis.ts",
    from: "    waitingOn.set(subject, new Set(subject === origin ? [] : targets));",
    to: "    waitingOn.set(subject, new Set());",
    tests: ["tests/tenant-template/confluent/impact-analysis.test.ts"],
  },
  {
    name: "id-cache-bypassed-by-bookmark",
    claim: "Conformance: a request with a bookmark reads ids from D1, one without may use the schema-id cache.",
    file: "tenant-template/src/confluent/routes/schemas.ts",
    from: "if (onlyId && !bookmarked) {",
    to: "if (onlyId) {",
    tests: ["tests/conformance/runner-smoke.test.ts"],
  },
  {
    name: "id-cache-refresh-evicts-gone-id",
    claim: "Conformance: the schema-id cache never answers an id that is gone.",
    file: "tenant-template/src/confluent/routes/schemas.ts",
    from: "else schemaIdCache.forget([[context, id]]);",
    to: "else void 0;",
    tests: ["tests/conformance/runner-smoke.test.ts"],
  },
  {
    name: "tenant-upload-served-next",
    claim: "A tenant's new upload (or its deletion) is what the next request meets, with no restart.",
    file: "infra/local-platform/worker-shims/tenant-host.ts",
    from: "    this.scripts.delete(name);\n    this.loaded.delete(name);",
    to: "    void name;",
    tests: ["tests/local-platform/tenant-host.test.ts"],
  },
  {
    name: "tenant-host-unloads",
    claim: "Memory follows the tenants in use: beyond the limit, the least recently used tenant Worker is dropped.",
    file: "infra/local-platform/worker-shims/tenant-host.ts",
    from: "      if (this.loaded.size <= max) break;",
    to: "      break;",
    tests: ["tests/local-platform/tenant-host.test.ts"],
  },
  {
    name: "workerd-dies-with-platform",
    claim: "workerd never outlives the local platform's process (no orphan holding the ports or the data).",
    file: "infra/local-platform/workerd-runtime.ts",
    from: "if (pid !== undefined) this.watchdog.watch(pid);",
    to: "if (pid !== undefined) void pid;",
    tests: ["tests/local-platform/workerd-restart.test.ts"],
  },
  {
    name: "workerd-restart-said",
    claim: "When workerd dies the platform restarts it and says so in its log.",
    file: "infra/local-platform/workerd-runtime.ts",
    from: "unsafeHandleRuntimeRestart: this.onRuntimeRestart,",
    to: "",
    tests: ["tests/local-platform/workerd-restart.test.ts"],
  },
  {
    name: "concurrent-creates-take-turns",
    claim: "Concurrent creates of one tenant end with one complete tenant and one admin key minted.",
    file: "provisioner/src/tenant.ts",
    from: 'const lease = await takeLease(target, requested.id, "create", steps, deps.lease);',
    to: "const lease = { release: async () => undefined };",
    tests: ["tests/provisioner/concurrent-create.test.ts"],
  },
  {
    name: "webhook-lane-order",
    claim: "Webhook deliveries go out in order per subject: the next waits for the one before it.",
    file: "tenant-template/src/webhooks/webhook-pump.ts",
    from: "AND d.id = (SELECT min(head.id) FROM webhook_deliveries head",
    to: "AND d.id >= (SELECT min(head.id) FROM webhook_deliveries head",
    tests: ["tests/tenant-template/webhooks/webhooks.test.ts"],
  },
  {
    name: "webhook-no-private-addresses",
    claim: "A webhook never delivers to a private address (SSRF), on Cloudflare or locally.",
    file: "tenant-template/src/webhooks/webhook-url.ts",
    from: "if (a === 0 || a === 10 || a === 127) return false;",
    to: "if (a === 0 || a === 127) return false;",
    tests: ["tests/tenant-template/webhooks/webhook-url.test.ts", "tests/tenant-template/webhooks/webhooks.test.ts"],
  },
  {
    name: "webhook-replay-window",
    claim: "A receiver refuses a delivery whose signed timestamp is more than 5 minutes old (replays).",
    file: "contracts/webhook-signature.ts",
    from: "if (Math.abs(nowSeconds - Number(timestamp)) > REPLAY_TOLERANCE_SECONDS) return",
    to: "if (Math.abs(nowSeconds - Number(timestamp)) > REPLAY_TOLERANCE_SECONDS * 1000) return",
    tests: ["tests/tenant-template/webhooks/webhooks.test.ts"],
  },
  {
    name: "webhook-rotated-secret-expires",
    claim: "After a rotation the previous secret signs only until it expires (and not at all when revoked).",
    file: "tenant-template/src/webhooks/webhook-pump.ts",
    from: "row.previous_secret !== null && (row.previous_secret_expires_at ?? 0) > at",
    to: "row.previous_secret !== null",
    tests: ["tests/tenant-template/webhooks/webhooks.test.ts"],
  },
];
