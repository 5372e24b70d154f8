/**
 * An audit log entry: what the tenant Worker records (tenant-template/src/audit/audit-log.ts) and
 * what `GET /api/audit` answers, which the conformance runner and the tests read back.
 */

export type AuditOutcome = "ok" | "denied" | "error";

/** What an entry records; `at` defaults to now. */
export interface AuditEntry {
  actor: string;
  action: string;
  target: string;
  outcome: AuditOutcome;
  status: number;
  requestId: string;
  beforeHash: string | null;
  afterHash: string | null;
  at?: string;
}

/** An entry as `GET /api/audit` answers it. */
export interface StoredAuditEntry extends Required<AuditEntry> {
  id: number;
}
