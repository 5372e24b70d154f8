/**
 * What an access rule says (docs/security.md, "API keys and roles"): the role a route needs, how a
 * scoped key's scope is checked, the audit action it is recorded as, and whether it is audited.
 * Routes declare theirs beside them (the Confluent API's in confluent/routes/*.ts); access-policy.ts
 * gathers them into the access table.
 */
import type { Role } from "../../../contracts/api-key.ts";
import type { RegistryLevel } from "../registry/registry-levels.ts";

/**
 * How a scoped key's scope is established for a request (an unscoped key skips this):
 * - `public`: no key at all (only /health and its probes);
 * - `none`: no tenant data is involved (API descriptions, schema types, global config reads), so
 *   any key with the role may call it;
 * - `tenant`: tenant-wide (lists of every product, stats, backup, keys, audit, settings, global
 *   config writes): scoped keys are refused;
 * - `product`: the path names a document of the hierarchy; its product must be the key's;
 * - `subject`: the path names a Confluent subject; it must start with the key's subject prefix;
 * - `subjects`: a Confluent list of subjects; a prefix-scoped key may call it, and the handler
 *   answers only the entries in its prefix;
 * - `schema-id`: a Confluent global id; some subject using it must be in the key's prefix (for
 *   the lists of its subjects/versions, the handler answers only those).
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
  /**
   * A Confluent change whose handler reads the audit log's before and after states in its own D1
   * batches and reports them (`noteChange`): the access layer reads neither (audit/note-change.ts).
   */
  auditStatesByHandler?: boolean;
}

export const PUBLIC: ScopeRule = { kind: "public" };
export const NONE: ScopeRule = { kind: "none" };
export const TENANT: ScopeRule = { kind: "tenant" };
export const SUBJECT: ScopeRule = { kind: "subject" };
export const SUBJECTS: ScopeRule = { kind: "subjects" };
/** A schema id (`list`: one of its lists of subjects or versions, answered cut to the key's prefix). */
export const SCHEMA_ID: ScopeRule = { kind: "schema-id", list: false };
export const SCHEMA_ID_LIST: ScopeRule = { kind: "schema-id", list: true };

/** Audited by default: a change, i.e. neither a GET nor a route the read role may call. */
export function auditedByDefault(method: HttpMethod, role: Role | "public"): boolean {
  return method !== "GET" && role !== "read";
}

/**
 * @example
 *   rule("GET", "/api/stats", "read", TENANT, "registry.stats")
 */
export function rule(
  method: HttpMethod,
  path: string,
  role: Role | "public",
  scope: ScopeRule,
  action: string,
  audited = auditedByDefault(method, role),
): AccessRule {
  return { method, path, role, scope, action, audited };
}
