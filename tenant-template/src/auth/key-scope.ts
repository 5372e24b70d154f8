/**
 * Whether a scoped key may act on what a request names (docs/security.md). A product scope limits
 * /api to one product's subtree: the product of the document in the path is found by walking its
 * parents in one query. A subject-prefix scope limits the Confluent API to subjects whose qualified
 * name (`orders-value`, `:.payments:orders-value`) starts with the prefix. Where the scope cannot be
 * established (no such document, a tenant-wide endpoint, the other API), the answer is no.
 */
import { contextOfUrl, parseSubject, usesOf } from "../confluent/confluent-store.ts";
import { settingsOf } from "../confluent/subject-settings.ts";
import type { RegistryLevel } from "../registry/registry-levels.ts";
import type { StoreQueryable } from "../store/store-db.ts";
import type { MatchedRule } from "./access-policy.ts";
import type { Principal } from "./key-store.ts";

type Queryable = StoreQueryable;

/** Whether the principal has any scope (an unscoped key is limited by its role alone). */
export function isScoped(principal: Principal): boolean {
  return principal.productId !== null || principal.subjectPrefix !== null;
}

/**
 * The product a hierarchy document belongs to, or null when it does not exist.
 *
 * @example
 *   await productOf(session, schemaLevel, "0192...") // "00000000-0000-7000-8000-000000000001"
 */
async function productOf(db: Queryable, level: RegistryLevel, id: string): Promise<string | null> {
  if (level.parent === null) return id;
  // schemas s JOIN contexts p1 ON p1.id = s.context_id JOIN domains p2 ON p2.id = p1.domain_id ...
  const joins: string[] = [];
  let current: RegistryLevel = level;
  let alias = "t0";
  let depth = 0;
  let productColumn = "";
  while (current.parent !== null) {
    const parent = current.parent;
    if (parent.level.parent === null) {
      productColumn = `${alias}.${parent.column}`;
      break;
    }
    depth += 1;
    const next = `t${depth}`;
    joins.push(`JOIN ${parent.level.collection.name} ${next} ON ${next}.id = ${alias}.${parent.column}`);
    alias = next;
    current = parent.level;
  }
  const row = await db
    .prepare(
      `SELECT ${productColumn} AS product_id FROM ${level.collection.name} t0 ${joins.join(" ")} WHERE t0.id = ?`,
    )
    .bind(id)
    .first<{ product_id: string | null }>();
  return row?.product_id ?? null;
}

/**
 * The qualified subject a Confluent path names: `:subject`, relative to `:context` when the URL is
 * under `/contexts/{context}` (a subject already qualified there keeps its own context). Read
 * exactly as the Confluent routes read it (parseSubject, contextOfUrl), so the scope is checked on
 * the subject the route acts on, whichever way the context is written.
 *
 * @example
 *   subjectOfPath({ subject: "orders-value" })                       // "orders-value"
 *   subjectOfPath({ context: ".payments", subject: "orders-value" }) // ":.payments:orders-value"
 *   subjectOfPath({ context: ":.:", subject: "orders-value" })       // "orders-value"
 */
export function subjectOfPath(params: Record<string, string>): string | null {
  const subject = params.subject;
  if (subject === undefined) return null;
  const context = params.context;
  return parseSubject(subject, context === undefined ? "." : contextOfUrl(context)).qualified;
}

/** The qualified subject an alias names (relative to the aliasing subject's context, as the Confluent API reads it). */
export function aliasTarget(alias: string, subject: string): string {
  return parseSubject(alias, parseSubject(subject).context).qualified;
}

/** Whether a qualified subject is inside a prefix scope. */
export function subjectInScope(subject: string, prefix: string): boolean {
  return subject.startsWith(prefix);
}

/**
 * Whether a scoped principal may make this request before it runs. The handlers of `subjects` and
 * `schema-id` lists answer a prefix-scoped key only the subjects in its prefix (subjectInScope).
 */
export async function scopeAllows(
  db: Queryable,
  principal: Principal,
  matched: MatchedRule,
  /** The request's `?subject=`, which names the context a schema id is looked up in. */
  subjectQuery?: string,
): Promise<boolean> {
  const { scope } = matched.rule;
  switch (scope.kind) {
    case "public":
    case "none":
      return true;
    case "tenant":
      return false;
    case "product": {
      if (principal.productId === null) return false;
      const id = matched.params[scope.param];
      if (id === undefined) return false;
      return (await productOf(db, scope.level, id)) === principal.productId;
    }
    case "subject": {
      if (principal.subjectPrefix === null) return false;
      const subject = subjectOfPath(matched.params);
      if (subject === null || !subjectInScope(subject, principal.subjectPrefix)) return false;
      // A subject whose config names an alias stands for the alias on data routes: the alias must be in scope too.
      const alias = (await settingsOf(db, subject)).config?.alias;
      return !(
        typeof alias === "string" &&
        alias !== "" &&
        !subjectInScope(aliasTarget(alias, subject), principal.subjectPrefix)
      );
    }
    case "subjects":
      return principal.subjectPrefix !== null;
    case "schema-id": {
      if (principal.subjectPrefix === null) return false;
      const raw = matched.params.id ?? "";
      if (!/^\d{1,10}$/.test(raw)) return false;
      // The id as the route reads it: numbered in the context of ?subject=, else the URL's.
      const urlContext = matched.params.context === undefined ? "." : contextOfUrl(matched.params.context);
      const context =
        subjectQuery === undefined || subjectQuery === "" ? urlContext : parseSubject(subjectQuery, urlContext).context;
      const uses = await usesOf(db, Number(raw), true, context);
      return uses.some((use) => subjectInScope(use.subject, principal.subjectPrefix!));
    }
  }
}
