/**
 * How a handler tells the audit log what it changed (docs/security.md, "Audit log"). Its own
 * module, apart from the access middleware that writes the entry (auth/api-access.ts), so route
 * modules the access table is built from can report changes without importing that middleware.
 */
import type { Context } from "hono";

/** What a handler can tell the audit log about the change it made (documents as answered). */
export interface AuditChange {
  before?: unknown;
  after?: unknown;
}

/**
 * Tells the audit log what a handler changed; any JSON value (the document as answered).
 *
 * @example
 *   noteChange(c, present(before), present(after));
 */
export function noteChange(c: Context, before: unknown, after: unknown): void {
  (c as Context<{ Variables: { auditChange: AuditChange } }>).set("auditChange", { before, after });
}

/**
 * A Confluent change's audit target, as the access layer read it before the handler ran: the
 * subject (qualified) or settings level the URL names, and its state then. The access layer reads
 * the state after the handler too, unless the handler has told it (`noteChange`): a write that
 * reads that state in its own batch saves the round trip.
 */
export interface ConfluentAuditTarget {
  subject: string | null;
  /** The `{ctx}` of a `/contexts/{ctx}/...` URL. */
  context: string | undefined;
  before: unknown;
}

type TargetContext = Context<{ Variables: { confluentAuditTarget?: ConfluentAuditTarget } }>;

/** Set by the access layer for an audited Confluent change (api-access.ts). */
export function setConfluentAuditTarget(c: Context, target: ConfluentAuditTarget): void {
  (c as TargetContext).set("confluentAuditTarget", target);
}

/** The audited Confluent change's target, when the request is one. */
export function confluentAuditTarget(c: Context): ConfluentAuditTarget | undefined {
  return (c as TargetContext).get("confluentAuditTarget");
}
