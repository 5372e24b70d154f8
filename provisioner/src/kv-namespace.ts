/**
 * KV namespace: find by title, create-or-adopt, delete; and the keys under a prefix in a namespace
 * (a shared-mode tenant's cache entries). Titles are unique per account, so the deterministic
 * title is the identity. KV has no jurisdiction option: residency profiles say so.
 */
import { collectAll } from "./cloudflare-client.ts";
import type { AccountTarget } from "./config.ts";
import type { DeleteOutcome, EnsureAction } from "./d1-database.ts";
import { apiCall, isNotFound, mayAlreadyExist } from "./errors.ts";

const KIND = "KV namespace";

/**
 * Cloudflare's limit on KV namespaces per account (not readable through the API; Cloudflare can
 * raise it for an account: WFP_KV_NAMESPACE_LIMIT says so to the provisioner).
 */
export const KV_NAMESPACE_LIMIT = 1000;
/**
 * Below this many free KV namespaces the account is nearly full: `platform check` says so, and
 * `tenant create` puts new tenants in the shared cache namespace unless told otherwise.
 */
export const KV_HEADROOM = 10;
/** Cloudflare's most keys per bulk delete. */
const BULK_DELETE_MAX = 10_000;

export interface KvNamespace {
  title: string;
  id: string;
}

/**
 * Find a namespace by exact title.
 *
 * @example
 *   const ns = await findKvNamespace(target, "wfp-tenant-acme-cache");
 */
export async function findKvNamespace(target: AccountTarget, title: string): Promise<KvNamespace | undefined> {
  const all = await apiCall("finding", KIND, title, () =>
    collectAll(
      target.client.kv.namespaces.list({ account_id: target.accountId, per_page: 100 }),
      (ns) => ns.title === title,
    ),
  );
  const found = all.find((ns) => ns.title === title);
  return found ? { title, id: found.id } : undefined;
}

/**
 * Every namespace of the account: what the account limit counts. A new tenant's create makes this
 * one listing and finds its namespaces in it, instead of a listing per title.
 *
 * @example
 *   const all = await listKvNamespaces(target);
 *   const free = KV_NAMESPACE_LIMIT - all.length;
 */
export async function listKvNamespaces(target: AccountTarget): Promise<KvNamespace[]> {
  const all = await apiCall("listing", "KV namespaces of account", target.accountId, () =>
    collectAll(target.client.kv.namespaces.list({ account_id: target.accountId, per_page: 100 })),
  );
  return all.map((ns) => ({ title: ns.title, id: ns.id }));
}

/**
 * Create the namespace, or adopt the one with this title. `known` is what a listing made just
 * before found under this title (null: not there), which saves looking again; a namespace made
 * since is still adopted, from the create's "already exists" answer.
 *
 * @example
 *   const { namespace, action } = await ensureKvNamespace(target, "wfp-tenant-acme-cache");
 */
export async function ensureKvNamespace(
  target: AccountTarget,
  title: string,
  known?: KvNamespace | null,
): Promise<{ namespace: KvNamespace; action: EnsureAction }> {
  const found = known === undefined ? await findKvNamespace(target, title) : known;
  if (found) return { namespace: found, action: "adopted" };
  try {
    const created = await apiCall("creating", KIND, title, () =>
      target.client.kv.namespaces.create({ account_id: target.accountId, title }),
    );
    return { namespace: { title, id: created.id }, action: "created" };
  } catch (error) {
    // Cloudflare answers a duplicate title with 400 (code 10014): adopt it if it is there.
    if (mayAlreadyExist(error)) {
      const again = await findKvNamespace(target, title);
      if (again) return { namespace: again, action: "adopted" };
    }
    throw error;
  }
}

/**
 * Delete the namespace with this title (and all its keys); absent counts as deleted.
 *
 * @example
 *   await deleteKvNamespace(target, "wfp-tenant-acme-cache"); // "deleted" | "already gone"
 */
export async function deleteKvNamespace(target: AccountTarget, title: string): Promise<DeleteOutcome> {
  const found = await findKvNamespace(target, title);
  if (!found) return "already gone";
  try {
    await apiCall("deleting", KIND, title, () =>
      target.client.kv.namespaces.delete(found.id, { account_id: target.accountId }),
    );
    return "deleted";
  } catch (error) {
    if (isNotFound(error)) return "already gone";
    throw error;
  }
}

/**
 * Names of the keys under `prefix` in a namespace, every page (KV lists by cursor, at most 1,000
 * keys a page). KV's listing is eventually consistent: a key written in the last minute or so may
 * be missing from it.
 *
 * @example
 *   await listKvKeys(target, namespace.id, "t/acme/") // ["t/acme/0f2a.../doc/d2/products/p1/1/1", ...]
 */
export async function listKvKeys(target: AccountTarget, namespaceId: string, prefix: string): Promise<string[]> {
  const keys = await apiCall("listing", `keys in KV namespace ${namespaceId} under`, prefix, () =>
    collectAll(
      target.client.kv.namespaces.keys.list(namespaceId, { account_id: target.accountId, prefix, limit: 1000 }),
    ),
  );
  return keys.map((k) => k.name);
}

/**
 * Delete every key under `prefix` in a namespace (never the namespace): the keys are listed first,
 * then deleted in bulk, since deleting while paging would move the cursor under it. Returns how
 * many keys were deleted; a key Cloudflare reports it could not delete is an error (re-run).
 *
 * @example
 *   await deleteKvKeys(target, shared.id, "t/acme/") // 42
 */
export async function deleteKvKeys(target: AccountTarget, namespaceId: string, prefix: string): Promise<number> {
  if (prefix === "") throw new Error("refusing to delete every key of a namespace: give a prefix");
  const names = await listKvKeys(target, namespaceId, prefix);
  for (let start = 0; start < names.length; start += BULK_DELETE_MAX) {
    const batch = names.slice(start, start + BULK_DELETE_MAX);
    const result = await apiCall("deleting", `keys in KV namespace ${namespaceId} under`, prefix, () =>
      target.client.kv.namespaces.bulkDelete(namespaceId, { account_id: target.accountId, body: batch }),
    );
    const failed = result?.unsuccessful_keys ?? [];
    if (failed.length > 0) {
      throw new Error(
        `KV namespace ${namespaceId}: ${failed.length} key(s) under '${prefix}' were not deleted ` +
          `(e.g. '${failed[0]}'); run the command again`,
      );
    }
  }
  return names.length;
}
