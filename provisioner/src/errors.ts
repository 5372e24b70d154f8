/**
 * The provisioner's error types. User errors (bad input, a hostname owned by someone else) and
 * system errors (the API failed) are different classes on purpose: the CLI maps each to its own
 * exit code and only system errors say "safe to re-run".
 */
import { APIConnectionError, APIError, BadRequestError, ConflictError, NotFoundError } from "cloudflare";
import { DEFAULT_REGISTRY_ID, splitRegistryRef } from "../../contracts/registry-ref.ts";

/**
 * Bad input: a tenant id, hostname, residency or flag the operator must fix. Exit code 2.
 *
 * @example
 *   throw new InputError(["tenant id must be 3-32 characters ...", "'x.com:80' ... remove the port"]);
 */
export class InputError extends Error {
  override readonly name = "InputError";
  /** Every problem found, one line each, so the operator can fix them all in one go. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.length === 1 ? problems[0]! : `${problems.length} problems:\n  - ${problems.join("\n  - ")}`);
    this.problems = problems;
  }
}

/**
 * The desired state collides with state that belongs to someone else or cannot change. Exit code 3.
 *
 * @example
 *   throw new StateConflictError("hostname 'a.acme.com' is already routed to tenant 'globex': ...");
 */
export class StateConflictError extends Error {
  override readonly name = "StateConflictError";
}

/**
 * A tenant that does not exist was asked for. Exit code 4.
 *
 * @example
 *   throw new TenantNotFoundError("acme");
 */
export class TenantNotFoundError extends Error {
  override readonly name = "TenantNotFoundError";
  constructor(
    readonly tenantId: string,
    message = `${describeRef(tenantId)} does not exist (no tenant record and no resources named after it)`,
  ) {
    super(message);
  }
}

/**
 * A registry ref as messages say it.
 *
 * @example
 *   describeRef("acme") // "tenant 'acme'"
 *   describeRef("acme:staging") // "registry 'staging' of tenant 'acme'"
 */
export function describeRef(ref: string): string {
  const { tenantId, registryId } = splitRegistryRef(ref);
  return registryId === DEFAULT_REGISTRY_ID
    ? `tenant '${tenantId}'`
    : `registry '${registryId}' of tenant '${tenantId}'`;
}

/**
 * Configuration from the environment is missing or invalid. Exit code 2.
 *
 * @example
 *   throw new ConfigError(
 *     "CLOUDFLARE_API_TOKEN is set, so the target is Cloudflare, which also needs CLOUDFLARE_ZONE_ID ...",
 *   );
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/**
 * A Cloudflare API call failed after retries. Exit code 1; the command is safe to re-run.
 *
 * @example
 *   if (error instanceof ApiCallError && error.status === undefined) console.error("API unreachable");
 */
export class ApiCallError extends Error {
  override readonly name = "ApiCallError";
  constructor(
    message: string,
    /** HTTP status, or undefined when the API could not be reached. */
    readonly status: number | undefined,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

/**
 * What to check when an API call could not reach the API at all (empty for any other error):
 * the platform may not be running, or run on another port than the CLI assumes.
 *
 * @example
 *   message += unreachableApiHint(error);
 */
export function unreachableApiHint(error: unknown): string {
  return error instanceof ApiCallError && error.status === undefined
    ? " Is the API reachable (npm start for the local platform)? A platform on another --api-port: set " +
        "CLOUDFLARE_API_BASE_URL=http://127.0.0.1:<port>/client/v4 (npm start prints the URL)."
    : "";
}

/**
 * Format a failed API call as one line an operator can act on.
 *
 * @example
 *   formatApiError(err, "creating", "D1 database", "wfp-tenant-acme")
 *   // "Error 409 creating D1 database 'wfp-tenant-acme': A database with that name already exists [code 7502]"
 */
/** What an operator can do about an account limit, by Cloudflare's error code. */
const ACCOUNT_LIMIT_ADVICE: Record<number, string> = {
  10018:
    "The account has reached Cloudflare's limit on KV namespaces (1,000 per account; each tenant in the " +
    "dedicated KV mode has one, and the routing store is one): create the tenant with --kv shared (one cache " +
    "namespace for many tenants), delete namespaces no tenant uses, or ask Cloudflare to raise the limit.",
  7406:
    "The account has reached its limit on D1 databases (50,000 by default; each tenant has one): delete " +
    "databases no tenant uses, or ask Cloudflare to raise the limit.",
};

export function formatApiError(error: unknown, action: string, kind: string, name: string): string {
  const subject = `${action} ${kind} '${name}'`;
  if (error instanceof APIConnectionError) {
    return `Error ${subject}: could not reach the API (${rootCause(error)})`;
  }
  if (error instanceof APIError) {
    const messages = (error.errors ?? [])
      .map((e) => (e.code === undefined ? e.message : `${e.message ?? "error"} [code ${e.code}]`))
      .filter((m): m is string => typeof m === "string" && m.length > 0);
    const detail = messages.length > 0 ? messages.join("; ") : error.message;
    const advice = (error.errors ?? []).flatMap((e) => {
      const text = e.code === undefined ? undefined : ACCOUNT_LIMIT_ADVICE[e.code];
      return text === undefined ? [] : [` ${text}`];
    });
    return `Error ${error.status ?? ""} ${subject}: ${detail}${advice.join("")}`.replace("Error  ", "Error ");
  }
  const detail = error instanceof Error ? error.message : String(error);
  return `Error ${subject}: ${detail}`;
}

/** The innermost message of an error chain: "connect ECONNREFUSED 127.0.0.1:8788", not "fetch failed". */
function rootCause(error: Error): string {
  let current: unknown = error;
  const seen = new Set<unknown>();
  while (current instanceof Error && current.cause instanceof Error && !seen.has(current.cause)) {
    seen.add(current);
    current = current.cause;
  }
  return current instanceof Error ? current.message : String(current);
}

/**
 * Run one API call and turn any SDK failure into an {@link ApiCallError} with a formatted message.
 *
 * @example
 *   const db = await apiCall("creating", "D1 database", name, () => client.d1.database.create({ ... }));
 */
export async function apiCall<T>(action: string, kind: string, name: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof APIError) {
      throw new ApiCallError(formatApiError(error, action, kind, name), error.status, { cause: error });
    }
    throw error;
  }
}

/**
 * True when the SDK reported 404: "already gone" on delete, "absent" on read.
 *
 * @example
 *   try { await client.kv.namespaces.delete(id, { account_id }) } catch (e) { if (!isNotFound(e)) throw e }
 */
export function isNotFound(error: unknown): boolean {
  const root = error instanceof ApiCallError ? error.cause : error;
  return root instanceof NotFoundError;
}

/**
 * True when a create was refused because of the request itself (409, or 400 which Cloudflare
 * uses for "name already exists" on D1 and KV): the caller looks the resource up by its
 * deterministic name and adopts it, or re-throws when nothing is there.
 *
 * @example
 *   catch (e) { if (mayAlreadyExist(e)) { const found = await find(); if (found) return adopt(found) } throw e }
 */
export function mayAlreadyExist(error: unknown): boolean {
  const root = error instanceof ApiCallError ? error.cause : error;
  return root instanceof ConflictError || root instanceof BadRequestError;
}
