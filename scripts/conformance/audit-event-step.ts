/**
 * The features' audit-log step ("the audit log should contain an event:" over a table of their
 * product's event fields), checked against the tenant's own audit log (`GET /api/audit`,
 * docs/security.md "Audit log") where the two record the same thing, and skipped with a reason
 * where they do not (docs/conformance.md, "Audit-log steps").
 *
 * The event types are mapped to the product's audit actions by a table written here, from the
 * documented vocabulary, not read from the product's access rules, so a product that logs the
 * wrong action fails the step.
 */
import type { StoredAuditEntry } from "../../contracts/audit-entry.ts";

/** One request a scenario sent, with the request id its reply carried (`x-request-id`). */
export interface SentRequest {
  method: string;
  /** The path as sent, query included. */
  path: string;
  status: number;
  requestId: string | undefined;
}

/** The features' event as the product should have recorded it. */
export interface ExpectedAuditEntry {
  action: string;
  /** The requests that may have caused it: the entry's request id must be one of theirs. */
  method: string;
  /** The request path (decoded, no query), or a path it is under (see `pathMatches`). */
  path: string;
  status: number;
  outcomes: string[];
  /** "hash": a sha-256 must be recorded; "none": null; undefined: not compared. */
  beforeHash?: "hash" | "none";
  afterHash?: "hash" | "none";
  actor: string;
}

/** Why a step is skipped: the product records no such event. */
export const AUDIT_READ_NOT_LOGGED =
  "audit event for a read (schema_lookup, compatibility_check): the product's audit log records changes, " +
  "not reads (docs/security.md, Audit log)";
const unknownEvent = (type: string) => `audit event type "${type}" has no counterpart in the product's audit log`;

/** The table's fields the product records, or what it stands for instead (docs/conformance.md). */
const COMPARED_FIELDS = new Set([
  "event_type",
  "outcome",
  "status_code",
  "method",
  "path",
  "target_id",
  "before_hash",
  "after_hash",
  "actor_id",
  "actor_type",
  "timestamp",
  "request_id",
]);

/** Fields the product does not record: not compared (docs/conformance.md lists them). */
const IGNORED = new Set([
  "auth_method",
  "role",
  "target_type",
  "schema_id",
  "version",
  "schema_type",
  "context",
  "transport_security",
  "source_ip",
  "user_agent",
  "reason",
  "error",
  "request_body",
  "metadata",
  "duration_ms",
]);

/** A settings level's own URL (`/config`, `/mode`, or a context's), as opposed to a subject's. */
const SETTINGS_LEVEL = /^(?:\/contexts\/[^/]+)?\/(?:config|mode)\/?$/;

/**
 * The features' event types and the product's actions for them. Soft and permanent deletes are
 * both `subject.delete` / `subject.version.delete`: the entry does not say which (its target is
 * the path, without `?permanent=true`); the scenario's own steps check which it was.
 */
const ACTIONS: Record<string, (path: string) => string> = {
  schema_register: () => "subject.register",
  // The bulk import, POST /import/schemas: one entry for the request, whatever it imported.
  schema_import: () => "schemas.import",
  subject_delete_soft: () => "subject.delete",
  subject_delete_permanent: () => "subject.delete",
  schema_delete_soft: () => "subject.version.delete",
  schema_delete_permanent: () => "subject.version.delete",
  config_update: (path) => (SETTINGS_LEVEL.test(path) ? "config.update" : "subject.config.update"),
  config_delete: (path) => (SETTINGS_LEVEL.test(path) ? "config.delete" : "subject.config.delete"),
  mode_update: (path) => (SETTINGS_LEVEL.test(path) ? "mode.update" : "subject.mode.update"),
  mode_delete: (path) => (SETTINGS_LEVEL.test(path) ? "mode.delete" : "subject.mode.delete"),
};
const READS = new Set(["schema_lookup", "compatibility_check"]);

function decodePath(path: string): string {
  const bare = path.split("?")[0] ?? "";
  try {
    return decodeURIComponent(bare);
  } catch {
    return bare;
  }
}

function hashRule(cell: string | undefined, outcome: string | undefined): "hash" | "none" | undefined {
  if (cell === "sha256:*") return "hash";
  // A failed change records no hashes, in both products.
  if (cell === "" && outcome === "failure") return "none";
  return undefined;
}

/**
 * The entry the product should have for a features' event table, or a reason to skip the step.
 *
 * @example
 *   auditExpectation([["event_type", "schema_register"], ["outcome", "success"], ...], "admin");
 */
export function auditExpectation(
  table: string[][] | undefined,
  actor: string,
): { expected: ExpectedAuditEntry } | { skip: string } {
  if (table === undefined) throw new Error("the audit step needs its table of event fields");
  const fields = new Map(table.map((row) => [row[0] ?? "", row[1] ?? ""]));
  const type = fields.get("event_type") ?? "";
  if (READS.has(type)) return { skip: AUDIT_READ_NOT_LOGGED };
  const action = ACTIONS[type];
  if (action === undefined) return { skip: unknownEvent(type) };
  const unknownFields = [...fields.keys()].filter((name) => !COMPARED_FIELDS.has(name) && !IGNORED.has(name));
  if (unknownFields.length > 0)
    throw new Error(`the audit step names fields the runner does not know: ${unknownFields}`);
  const outcome = fields.get("outcome");
  if (outcome !== "success" && outcome !== "failure") throw new Error(`the audit step's outcome is "${outcome}"`);
  const status = Number(fields.get("status_code"));
  if (!Number.isInteger(status)) throw new Error(`the audit step's status_code is "${fields.get("status_code")}"`);
  const request = { method: fields.get("method") ?? "", path: decodePath(fields.get("path") ?? "") };
  if (request.path === "") throw new Error("the audit step names no request path");
  const beforeHash = hashRule(fields.get("before_hash"), outcome);
  const afterHash = hashRule(fields.get("after_hash"), outcome);
  return {
    expected: {
      action: action(request.path),
      ...request,
      status,
      outcomes: outcome === "success" ? ["ok"] : ["error", "denied"],
      ...(beforeHash === undefined ? {} : { beforeHash }),
      ...(afterHash === undefined ? {} : { afterHash }),
      actor,
    },
  };
}

/**
 * Whether a request path is the event's: the same path, or one under it. The features name some
 * requests by a path they are under: `/subjects/` for registrations to many subjects (target_id
 * `*`), and `/subjects/{s}/versions` for the deletion of one of its versions.
 */
function pathMatches(expected: string, sent: string): boolean {
  const path = decodePath(sent);
  return path === expected || path.startsWith(expected.endsWith("/") ? expected : `${expected}/`);
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** What differs between an entry and the expected one; `request` is the request the entry names. */
function mismatches(entry: StoredAuditEntry, expected: ExpectedAuditEntry, request: SentRequest): string[] {
  const wrong: string[] = [];
  if (entry.action !== expected.action) wrong.push(`action ${entry.action}, expected ${expected.action}`);
  // The target is the path of the request the entry names (Confluent changes answer 200, never a Location).
  if (decodePath(entry.target) !== decodePath(request.path))
    wrong.push(`target ${entry.target}, expected ${decodePath(request.path)}`);
  if (entry.status !== expected.status) wrong.push(`status ${entry.status}, expected ${expected.status}`);
  if (!expected.outcomes.includes(entry.outcome))
    wrong.push(`outcome ${entry.outcome}, expected ${expected.outcomes.join(" or ")}`);
  if (entry.actor !== expected.actor) wrong.push(`actor ${entry.actor}, expected ${expected.actor}`);
  for (const name of ["beforeHash", "afterHash"] as const) {
    const rule = expected[name];
    const value = entry[name];
    if (rule === "hash" && (value === null || !SHA256_HEX.test(value)))
      wrong.push(`${name} ${value}, expected a sha-256`);
    if (rule === "none" && value !== null) wrong.push(`${name} ${value}, expected none`);
  }
  if (Number.isNaN(Date.parse(entry.at))) wrong.push(`at ${entry.at}, expected a time`);
  return wrong;
}

/**
 * Checks that the audit log holds the expected entry for one of the scenario's requests; throws
 * with what was found otherwise. `readAudit` answers one page of `GET /api/audit`.
 *
 * @example
 *   await checkAuditEntry(expected, world.requests, (query) => world.call("GET", `/api/audit?${query}`));
 */
export async function checkAuditEntry(
  expected: ExpectedAuditEntry,
  requests: readonly SentRequest[],
  readAudit: (query: string) => Promise<{ status: number; body: string }>,
): Promise<void> {
  const candidates = requests.filter(
    (r) => r.method === expected.method && pathMatches(expected.path, r.path) && r.requestId !== undefined,
  );
  if (candidates.length === 0)
    throw new Error(`no request of this scenario was ${expected.method} ${expected.path}, the event's request`);
  const byId = new Map(candidates.map((r) => [r.requestId, r]));
  const found: StoredAuditEntry[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 20; page++) {
    const reply = await readAudit(`limit=500${cursor === null ? "" : `&cursor=${cursor}`}`);
    if (reply.status !== 200) throw new Error(`GET /api/audit answered ${reply.status}: ${reply.body.slice(0, 300)}`);
    const body = JSON.parse(reply.body) as { items?: StoredAuditEntry[]; nextCursor?: string | null };
    if (!Array.isArray(body.items)) throw new Error(`GET /api/audit answered no items: ${reply.body.slice(0, 300)}`);
    found.push(...body.items.filter((entry) => byId.has(entry.requestId)));
    cursor = body.nextCursor ?? null;
    if (cursor === null) break;
  }
  if (found.length === 0)
    throw new Error(
      `the audit log has no entry for ${expected.method} ${expected.path} ` +
        `(request ids ${[...byId.keys()].join(", ")}; expected action ${expected.action}, status ${expected.status})`,
    );
  const problems = found.map((entry) => mismatches(entry, expected, byId.get(entry.requestId)!));
  if (problems.some((wrong) => wrong.length === 0)) return;
  throw new Error(
    `no audit entry for ${expected.method} ${expected.path} is as expected: ` +
      problems.map((wrong, i) => `[${found[i]!.requestId}] ${wrong.join("; ")}`).join(" | "),
  );
}
