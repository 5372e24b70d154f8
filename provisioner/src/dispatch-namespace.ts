/**
 * The Workers for Platforms dispatch namespace every tenant's Worker lives in: one per platform,
 * named by `WFP_DISPATCH_NAMESPACE` (default `tenants`). Names are unique per account, so the name
 * is the identity: find it, or create it and adopt it when a lost answer already made it.
 */
import type { AccountTarget } from "./config.ts";
import type { EnsureAction } from "./d1-database.ts";
import { apiCall, isNotFound, mayAlreadyExist } from "./errors.ts";

const KIND = "dispatch namespace";

/**
 * True when the namespace exists.
 *
 * @example
 *   await dispatchNamespaceExists(target, "tenants") // true
 */
export async function dispatchNamespaceExists(target: AccountTarget, name: string): Promise<boolean> {
  try {
    await apiCall("reading", KIND, name, () =>
      target.client.workersForPlatforms.dispatch.namespaces.get(name, { account_id: target.accountId }),
    );
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/**
 * Create the namespace, or adopt the one with this name.
 *
 * @example
 *   const action = await ensureDispatchNamespace(target, "tenants"); // "created" | "adopted"
 */
export async function ensureDispatchNamespace(target: AccountTarget, name: string): Promise<EnsureAction> {
  if (await dispatchNamespaceExists(target, name)) return "adopted";
  try {
    await apiCall("creating", KIND, name, () =>
      target.client.workersForPlatforms.dispatch.namespaces.create({ account_id: target.accountId, name }),
    );
    return "created";
  } catch (error) {
    if (mayAlreadyExist(error) && (await dispatchNamespaceExists(target, name))) return "adopted";
    throw error;
  }
}
