/**
 * Logs one dispatcher event as a JSON line on stderr (Workers Logs keeps it): what happened, the
 * request it concerns, the host and tenant, and the cause's message (never sent to a client).
 *
 * @example
 *   logEvent("tenant_error", requestId, "registry.acme.com", "acme", error)
 */
export function logEvent(event: string, requestId: string, host: string, tenantId?: string, cause?: unknown): void {
  const error = cause instanceof Error ? cause.message : cause === undefined ? undefined : String(cause);
  console.error(JSON.stringify({ event, requestId, host, tenantId, error }));
}
