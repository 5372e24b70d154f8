/**
 * KV namespace: find by title, create-or-adopt, delete. Titles are unique per account, so the
 * deterministic title is the identity. KV has no jurisdiction option: residency profiles say so.
 */
import { collectAll } from "./cloudflare-client.ts";
import type { AccountTarget } from "./config.ts";
import type { DeleteOutcome, EnsureAction } from "./d1-database.ts";
import { apiCall, isNotFound, mayAlreadyExist } from "./errors.ts";

const KIND = "KV namespace";

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
 * Create the namespace, or adopt the one with this title.
 *
 * @example
 *   const { namespace, action } = await ensureKvNamespace(target, "wfp-tenant-acme-cache");
 */
export async function ensureKvNamespace(
  target: AccountTarget,
  title: string,
  existing?: KvNamespace,
): Promise<{ namespace: KvNamespace; action: EnsureAction }> {
  const found = existing ?? (await findKvNamespace(target, title));
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
