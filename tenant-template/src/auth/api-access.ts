/**
 * The tenant Worker's access control and audit trail, as one middleware in front of both APIs
 * (docs/security.md, "API keys and roles"):
 * 1. the request's rule (access-policy.ts); `/health` is public, anything without a rule needs an
 *    unscoped admin key;
 * 2. its key (credentials.ts, key-store.ts): missing or invalid -> 401, always the same answer;
 * 3. role, then scope (key-scope.ts): either wrong -> 403, without saying which;
 * 4. after the handler: the audit entry for a mutation (and for every refusal by a known key id),
 *    and, in the same batch, the webhook events the change makes (webhooks/webhook-events.ts);
 *    when some webhook wants one, the answer tells the dispatcher to wake the tenant's webhook
 *    clock (contracts/webhook-pump.ts). Neither can fail or delay the change beyond that batch.
 *    A prefix-scoped key's listings are cut to its subjects by the handlers themselves (they read
 *    `c.var.principal`; confluent/subject-lookup.ts `visibleTo`).
 */
import type { Context, MiddlewareHandler } from "hono";
import { errorResponse } from "../api-error.ts";
import { outcomeOf, recordAudit, recordDenied, type AuditOutcome } from "../audit/audit-log.ts";
import { confluentAuditTarget, noteChange, setConfluentAuditTarget, type AuditChange } from "../audit/note-change.ts";
import { confluentState, type ConfluentState } from "../audit/confluent-state.ts";
import type { RequestIdVariables } from "../request-id.ts";
import { readBodyText } from "../http/input-limits.ts";
import { BOOKMARK_HEADER, openD1Session } from "../store/open-d1-session.ts";
import { matchRule, type MatchedRule } from "./access-policy.ts";
import { hashJson, roleAllows } from "../../../contracts/api-key.ts";
import { CONFLUENT_CONTENT_TYPE, confluentErrorBody, isConfluentPath } from "../../../contracts/confluent-paths.ts";
import { presentedCredentials } from "./credentials.ts";
import { authenticateKey, type Principal } from "./key-store.ts";
import { aliasTarget, isScoped, scopeAllows, subjectInScope, subjectOfPath } from "./key-scope.ts";
import { WEBHOOK_WAKE_HEADER } from "../../../contracts/webhook-pump.ts";
import { changeEvents } from "../webhooks/webhook-events.ts";
import { outboxStatements } from "../webhooks/webhook-store.ts";

export interface AccessVariables {
  /** The key the request acts as (set for every request but public ones). */
  principal: Principal;
  /** Set by a handler that changed a stored document: hashed into the audit entry. */
  auditChange: AuditChange;
}

type AccessEnv = {
  Bindings: { DB: D1Database; ADMIN_KEY_HASH?: string; TENANT_ID?: string };
  Variables: RequestIdVariables & AccessVariables;
};

/** Sent with every 401: the two schemes a key is accepted in. */
const WWW_AUTHENTICATE = 'Basic realm="schema-registry", Bearer';
const UNAUTHORIZED_MESSAGE =
  "Missing or invalid API key: send it as 'Authorization: Bearer <key>', " +
  "or as HTTP Basic with the key id as user name and the secret as password.";
const FORBIDDEN_MESSAGE = "This API key is not allowed to do this.";

function refusal(c: Context<AccessEnv>, status: 401 | 403): Response {
  const message = status === 401 ? UNAUTHORIZED_MESSAGE : FORBIDDEN_MESSAGE;
  const response = isConfluentPath(c.req.path)
    ? c.body(confluentErrorBody(status === 401 ? 40101 : 40301, message), status, {
        "content-type": CONFLUENT_CONTENT_TYPE,
      })
    : errorResponse(c, status, status === 401 ? "unauthorized" : "forbidden", message);
  if (status === 401) response.headers.set("www-authenticate", WWW_AUTHENTICATE);
  return response;
}

/** A D1 session at least as fresh as the client's bookmark, for the key and scope lookups. */
function lookupSession(c: Context<AccessEnv>): D1DatabaseSession {
  try {
    return openD1Session(c.env.DB, c.req.header(BOOKMARK_HEADER), "read");
  } catch {
    // A malformed bookmark is the handler's 400 to give; the lookups just read without one.
    return c.env.DB.withSession("first-unconstrained");
  }
}

/**
 * @example
 *   app.use(apiAccess()); // after requestId(), before every route but /health
 */
export function apiAccess(): MiddlewareHandler<AccessEnv> {
  return async function apiAccess(c, next) {
    // CORS preflights carry no credentials (browsers never send them there) and reach no handler;
    // any other OPTIONS request needs a key like everything else.
    if (c.req.method === "OPTIONS" && c.req.header("access-control-request-method") !== undefined) return next();
    const matched = matchRule(c.req.method, c.req.path);
    if (matched?.rule.role === "public") return next();
    const action = matched?.rule.action ?? `unmatched.${c.req.method.toLowerCase()}`;
    const credentials = presentedCredentials(c.req.header("authorization"));
    if (credentials.kind !== "key") return refusal(c, 401);

    const session = lookupSession(c);
    const authentication = await authenticateKey(session, c.env.ADMIN_KEY_HASH, credentials.keyId, credentials.key);
    const denied = async (status: 401 | 403, actor: string): Promise<Response> => {
      await recordDenied(c.env.DB, {
        actor,
        action,
        target: c.req.path,
        outcome: "denied",
        status,
        requestId: c.var.requestId,
        beforeHash: null,
        afterHash: null,
      });
      return refusal(c, status);
    };
    if (!authentication.ok) return authentication.known ? denied(401, credentials.keyId) : refusal(c, 401);
    const principal = authentication.principal;
    if (!(await allowed(session, principal, matched, c.req.query("subject")))) return denied(403, principal.keyId);
    if (
      principal.subjectPrefix !== null &&
      matched?.rule.action === "subject.config.update" &&
      !(await aliasAllowed(c.req.raw, principal.subjectPrefix, matched.params))
    ) {
      return denied(403, principal.keyId);
    }

    c.set("principal", principal);
    const audited = matched?.rule.audited ?? !["GET", "HEAD"].includes(c.req.method);
    // A Confluent change's before/after: the state of the subject or level it names, read around it.
    const confluentTarget =
      audited && matched !== null && isConfluentPath(c.req.path)
        ? { subject: subjectOfPath(matched.params), context: matched.params.context }
        : null;
    const byHandler = matched?.rule.auditStatesByHandler === true;
    const before = confluentTarget === null || byHandler ? undefined : await readConfluentState(c, confluentTarget);
    if (confluentTarget !== null) setConfluentAuditTarget(c, { ...confluentTarget, before: before ?? null, byHandler });
    await next();
    if (confluentTarget !== null && c.get("auditChange") === undefined && outcomeOf(c.res.status) === "ok") {
      // A handler that reads the states itself reports them on every success; if one did not, the
      // entry says so rather than hash a before state nobody read (its chain shows the gap).
      if (byHandler) console.error(JSON.stringify({ event: "audit_states_missing", requestId: c.var.requestId }));
      noteChange(c, before ?? null, await readConfluentState(c, confluentTarget));
    }

    if (audited) await audit(c, principal, action, outcomeOf(c.res.status), matched?.params ?? {});
  };
}

/** The Confluent state for the audit log; null (no hash) if it cannot be read, which never fails the request. */
async function readConfluentState(
  c: Context<AccessEnv>,
  target: { subject: string | null; context: string | undefined },
): Promise<ConfluentState | null> {
  try {
    return await confluentState(c.env.DB.withSession("first-primary"), target.subject, target.context);
  } catch {
    return null;
  }
}

async function allowed(
  session: D1DatabaseSession,
  principal: Principal,
  matched: MatchedRule | null,
  subjectQuery: string | undefined,
): Promise<boolean> {
  // No rule: fail closed, only an unscoped admin gets through (to a 404, or to a route added
  // without a rule, which the access matrix test reports).
  if (matched === null) return principal.role === "admin" && !isScoped(principal);
  const { rule } = matched;
  if (rule.role !== "public" && !roleAllows(principal.role, rule.role)) return false;
  return !isScoped(principal) || (await scopeAllows(session, principal, matched, subjectQuery));
}

// A subject config body is a handful of fields; a scoped key's larger body is not inspected but refused.
const MAX_CONFIG_BODY_BYTES = 64 * 1024;

/**
 * A prefix-scoped key may not point one of its subjects at a subject outside its prefix (an alias
 * stands for its target on every data route). Reads a copy of the body, at most 64 KiB; the
 * handler reads the original.
 */
async function aliasAllowed(request: Request, prefix: string, params: Record<string, string>): Promise<boolean> {
  const subject = subjectOfPath(params);
  if (subject === null || request.body === null) return subject !== null;
  const text = await readBodyText(request.clone(), MAX_CONFIG_BODY_BYTES);
  if (text === null) return false;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return true; // not JSON: the handler refuses it
  }
  const alias = typeof body === "object" && body !== null ? (body as { alias?: unknown }).alias : undefined;
  return typeof alias !== "string" || alias === "" || subjectInScope(aliasTarget(alias, subject), prefix);
}

async function audit(
  c: Context<AccessEnv>,
  principal: Principal,
  action: string,
  outcome: AuditOutcome,
  params: Record<string, string>,
): Promise<void> {
  const change = c.get("auditChange") as AuditChange | undefined;
  const hash = async (value: unknown) =>
    value === undefined || value === null || outcome !== "ok" ? null : hashJson(value);
  // A create's target is the new document's URL.
  const location = c.res.status === 201 ? c.res.headers.get("location") : null;
  const target = location ?? c.req.path;
  const confluent = confluentAuditTarget(c);
  const events =
    outcome === "ok"
      ? changeEvents({
          action,
          params,
          query: c.req.query(),
          target,
          confluent: confluent === undefined ? null : { subject: confluent.subject, context: confluent.context },
          before: change?.before,
          after: change?.after,
        })
      : [];
  const envelope = { tenant: c.env.TENANT_ID ?? "", actor: principal.keyId, requestId: c.var.requestId };
  const due = await recordAudit(
    c.env.DB,
    {
      actor: principal.keyId,
      action,
      target,
      outcome,
      status: c.res.status,
      requestId: c.var.requestId,
      beforeHash: await hash(change?.before),
      afterHash: await hash(change?.after),
    },
    events.length === 0 ? undefined : outboxStatements(c.env.DB, events, envelope, Date.now()),
  );
  if (due) wakeWebhookClock(c);
}

/** Asks the dispatcher to wake the tenant's webhook clock now (the header never reaches the client). */
function wakeWebhookClock(c: Context<AccessEnv>): void {
  const at = String(Date.now());
  try {
    c.res.headers.set(WEBHOOK_WAKE_HEADER, at);
  } catch {
    // An immutable response (one passed through from a fetch): a copy takes the header.
    c.res = new Response(c.res.body, c.res);
    c.res.headers.set(WEBHOOK_WAKE_HEADER, at);
  }
}
