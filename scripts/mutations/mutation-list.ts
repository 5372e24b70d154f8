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
];
