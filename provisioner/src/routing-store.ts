/**
 * The routing store: the platform KV namespace titled `wfp-routes`, read by the dispatcher and
 * written only by the provisioner, through the KV REST API. JSON values in, JSON values out.
 */
import { collectAll } from "./cloudflare-client.ts";
import type { Target } from "./config.ts";
import { apiCall, isNotFound } from "./errors.ts";

const KIND = "routing-store key";

/**
 * Read and JSON-parse one key; undefined when absent. A value that is not JSON is returned as
 * `{ unreadable: text }` so the caller can refuse to treat it as free.
 *
 * @example
 *   await readRoutingValue(target, "host:registry.acme.com")
 */
export async function readRoutingValue(target: Target, key: string): Promise<unknown> {
  let text: string;
  try {
    const response = await apiCall("reading", KIND, key, () =>
      target.client.kv.namespaces.values.get(key, {
        account_id: target.accountId,
        namespace_id: target.routesNamespaceId,
      }),
    );
    text = await response.text();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { unreadable: text };
  }
}

/**
 * Write one key as JSON, with optional KV metadata (listed with the key, no extra read needed).
 *
 * @example
 *   await writeRoutingValue(target, "tenant:acme", record, { tenantId: "acme" });
 */
export async function writeRoutingValue(
  target: Target,
  key: string,
  value: unknown,
  metadata?: Record<string, string>,
): Promise<void> {
  await apiCall("writing", KIND, key, () =>
    target.client.kv.namespaces.values.update(key, {
      account_id: target.accountId,
      namespace_id: target.routesNamespaceId,
      value: JSON.stringify(value),
      ...(metadata ? { metadata: JSON.stringify(metadata) } : {}),
    }),
  );
}

/**
 * Delete one key. KV answers success whether or not the key existed.
 *
 * @example
 *   await deleteRoutingValue(target, "host:registry.acme.com");
 */
export async function deleteRoutingValue(target: Target, key: string): Promise<void> {
  try {
    await apiCall("deleting", KIND, key, () =>
      target.client.kv.namespaces.values.delete(key, {
        account_id: target.accountId,
        namespace_id: target.routesNamespaceId,
      }),
    );
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

export interface RoutingKey {
  name: string;
  metadata?: unknown;
}

/**
 * Every key with a prefix, with its metadata.
 *
 * @example
 *   await listRoutingKeys(target, "tenant:") // [{ name: "tenant:acme", metadata: { ... } }]
 */
export async function listRoutingKeys(target: Target, prefix: string): Promise<RoutingKey[]> {
  const keys = await apiCall("listing", "routing-store keys", `${prefix}*`, () =>
    collectAll(
      target.client.kv.namespaces.keys.list(target.routesNamespaceId, {
        account_id: target.accountId,
        prefix,
        limit: 1000,
      }),
    ),
  );
  return keys.map((k) => ({ name: k.name, ...(k.metadata !== undefined ? { metadata: k.metadata } : {}) }));
}
