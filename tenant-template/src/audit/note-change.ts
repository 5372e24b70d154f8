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
