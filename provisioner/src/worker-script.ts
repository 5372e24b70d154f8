/**
 * The tenant's user Worker in the dispatch namespace: read its tags, upload (create or replace),
 * delete, and list the fleet by tag. An upload is one multipart PUT: a `metadata` JSON part and
 * the bundled module typed `application/javascript+module`. Uploading again replaces the
 * code and bindings; the D1 and KV data the bindings point at are untouched.
 */
import { createHash } from "node:crypto";
import type Cloudflare from "cloudflare";
import type { Target } from "./config.ts";
import type { DeleteOutcome } from "./d1-database.ts";
import { apiCall, isNotFound } from "./errors.ts";
import type { Residency } from "../../contracts/tenant-record.ts";
import type { TemplateBuild } from "./template-build.ts";

const KIND = "Worker script";
/** Cloudflare's limit on a script's tags (Workers for Platforms "Tags"); the fleet's tags must fit. */
export const MAX_SCRIPT_TAGS = 8;

/** The SDK's upload metadata type, taken from the method so it tracks the SDK version. */
type SdkScriptMetadata = Parameters<
  Cloudflare["workersForPlatforms"]["dispatch"]["namespaces"]["scripts"]["update"]
>[1]["metadata"];
type SdkBinding = NonNullable<SdkScriptMetadata["bindings"]>[number];
/**
 * A D1 binding as Cloudflare's multipart metadata docs and wrangler write it (`id`); the SDK's type
 * names the field `database_id`.
 */
interface D1MetadataBinding {
  type: "d1";
  name: string;
  id: string;
}
/** Upload metadata: the SDK's, with D1 bindings as Cloudflare documents them. */
export type ScriptMetadata = Omit<SdkScriptMetadata, "bindings"> & {
  bindings?: Array<Exclude<SdkBinding, { type: "d1" }> | D1MetadataBinding>;
};

/** Values of the tenant Worker's env (docs/contracts.md, "Tenant Worker env"). */
export interface TenantScriptEnv {
  d1DatabaseId: string;
  kvNamespaceId: string;
  /**
   * Shared KV mode: the prefix of every cache key (`CACHE_PREFIX`). Absent in dedicated mode, so
   * those tenants' upload metadata (and its fingerprint) is what it was before the shared mode.
   */
  cachePrefix?: string;
  tenantId: string;
  templateVersion: string;
  residency: Residency;
  cacheMode: "on" | "off";
  /** Lower-case hex sha-256 of the admin API key; a secret binding. */
  adminKeyHash: string;
  /** The per-tenant secret the dispatcher sends as `x-wfp-proof`; a secret binding. */
  dispatchProof: string;
}

/**
 * The upload metadata of a tenant script.
 *
 * @example
 *   const metadata = tenantScriptMetadata(build, env, ["wfp-tenant", "tenant-acme", build.tag]);
 */
export function tenantScriptMetadata(
  build: Pick<TemplateBuild, "mainModule" | "compatibilityDate" | "compatibilityFlags">,
  env: TenantScriptEnv,
  tags: readonly string[],
): ScriptMetadata {
  return {
    main_module: build.mainModule,
    compatibility_date: build.compatibilityDate,
    compatibility_flags: [...build.compatibilityFlags],
    bindings: tenantScriptBindings(env),
    tags: [...tags],
  };
}

/**
 * The bindings of a tenant script: what its upload sends and what `fleet doctor` expects to read
 * back from the script's settings (there, secret values are never shown).
 *
 * @example
 *   tenantScriptBindings(env).map((b) => b.name) // ["DB", "CACHE", "TENANT_ID", ...]
 */
export function tenantScriptBindings(env: TenantScriptEnv): NonNullable<ScriptMetadata["bindings"]> {
  return [
    // `id`, as Cloudflare's multipart metadata docs and wrangler send it.
    { type: "d1", name: "DB", id: env.d1DatabaseId },
    { type: "kv_namespace", name: "CACHE", namespace_id: env.kvNamespaceId },
    { type: "plain_text", name: "TENANT_ID", text: env.tenantId },
    { type: "plain_text", name: "TEMPLATE_VERSION", text: env.templateVersion },
    { type: "plain_text", name: "RESIDENCY", text: env.residency },
    { type: "plain_text", name: "CACHE_MODE", text: env.cacheMode },
    ...(env.cachePrefix === undefined
      ? []
      : [{ type: "plain_text" as const, name: "CACHE_PREFIX", text: env.cachePrefix }]),
    { type: "secret_text", name: "ADMIN_KEY_HASH", text: env.adminKeyHash },
    { type: "secret_text", name: "DISPATCH_PROOF", text: env.dispatchProof },
  ];
}

/**
 * A fingerprint of everything in the metadata except secret values, stored in the tenant record
 * so a re-run can tell "this exact upload is already live" from the tags and the record alone.
 *
 * @example
 *   metadataFingerprint(metadata) // "9c1e..." (sha-256 hex)
 */
export function metadataFingerprint(metadata: ScriptMetadata): string {
  const withoutSecrets = {
    ...metadata,
    bindings: (metadata.bindings ?? []).map((b) => (b.type === "secret_text" ? { type: b.type, name: b.name } : b)),
  };
  return createHash("sha256").update(JSON.stringify(withoutSecrets)).digest("hex");
}

/**
 * The script's tags, or undefined when there is no such script.
 *
 * @example
 *   await getWorkerScriptTags(target, "tenant-acme") // ["wfp-tenant", "tenant-acme", "tpl-3f2a9c0d1b2e"]
 */
export async function getWorkerScriptTags(target: Target, name: string): Promise<string[] | undefined> {
  try {
    const page = await apiCall("reading tags of", KIND, name, () =>
      target.client.workersForPlatforms.dispatch.namespaces.scripts.tags.list(name, {
        account_id: target.accountId,
        dispatch_namespace: target.dispatchNamespace,
      }),
    );
    return page.getPaginatedItems();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** A binding as a script's settings show it: secret values are never returned. */
export interface LiveBinding {
  type: string;
  name: string;
  /** D1: the database id (`id` or `database_id`); KV: the namespace id; plain text: the text. */
  value?: string;
}

/** The part of `GET .../scripts/{name}/settings` read here. */
interface ScriptSettingsEnvelope {
  result?: { bindings?: Array<Record<string, unknown>>; tags?: string[] | null } | null;
}

/**
 * A namespace script's bindings and tags from its settings (one GET), or undefined when there is
 * no such script.
 *
 * @example
 *   const settings = await getWorkerScriptSettings(target, "tenant-acme");
 *   settings?.bindings.find((b) => b.name === "DB")?.value // the D1 database id
 */
export async function getWorkerScriptSettings(
  target: Target,
  name: string,
): Promise<{ bindings: LiveBinding[]; tags: string[] } | undefined> {
  try {
    const body = await apiCall("reading settings of", KIND, name, () =>
      target.client.get<ScriptSettingsEnvelope>(
        `/accounts/${encodeURIComponent(target.accountId)}/workers/dispatch/namespaces/` +
          `${encodeURIComponent(target.dispatchNamespace)}/scripts/${encodeURIComponent(name)}/settings`,
      ),
    );
    const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
    const bindings = (body.result?.bindings ?? []).map((b): LiveBinding => {
      const value =
        b.type === "d1"
          ? (text(b.id) ?? text(b.database_id))
          : b.type === "kv_namespace"
            ? text(b.namespace_id)
            : b.type === "plain_text"
              ? text(b.text)
              : undefined;
      return { type: String(b.type), name: String(b.name), ...(value === undefined ? {} : { value }) };
    });
    return { bindings, tags: body.result?.tags ?? [] };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * The multipart body Cloudflare documents for a module upload: one `metadata` part holding JSON
 * and one file part per module, named by the module. (The SDK's typed `scripts.update()`
 * bracket-encodes `metadata` into form fields and names modules `files[]`, which Cloudflare
 * refuses with 400 / 10021 - cloudflare-typescript#2799 - so the body is built here.)
 *
 * @example
 *   const form = scriptUploadForm(build, metadata); // parts: "metadata", "index.js"
 */
export function scriptUploadForm(
  build: Pick<TemplateBuild, "mainModule" | "code">,
  /** A namespace script's {@link ScriptMetadata}, or an account script's (the dispatcher). */
  metadata: object,
): FormData {
  const form = new FormData();
  form.append("metadata", new Blob([JSON.stringify(metadata)], { type: "application/json" }), "metadata.json");
  form.append(build.mainModule, new File([build.code], build.mainModule, { type: "application/javascript+module" }));
  return form;
}

/**
 * Upload (create or replace) a script in the dispatch namespace: `PUT .../scripts/{name}` through
 * the SDK's raw `client.put()`, so it still goes through the rate limiter and retries (a
 * FormData body can be sent again).
 *
 * @example
 *   await uploadWorkerScript(target, "tenant-acme", build, metadata);
 */
export async function uploadWorkerScript(
  target: Target,
  name: string,
  build: Pick<TemplateBuild, "mainModule" | "code">,
  metadata: ScriptMetadata,
): Promise<void> {
  const tags = metadata.tags ?? [];
  // Cloudflare refuses the upload past the limit: say which tags, before spending a call.
  if (tags.length > MAX_SCRIPT_TAGS) {
    throw new Error(
      `Worker script '${name}' would carry ${tags.length} tags (${tags.join(", ")}), but Cloudflare allows at most ` +
        `${MAX_SCRIPT_TAGS} per script: the platform's tags must leave room, so this is a platform bug to report.`,
    );
  }
  const path =
    `/accounts/${encodeURIComponent(target.accountId)}/workers/dispatch/namespaces/` +
    `${encodeURIComponent(target.dispatchNamespace)}/scripts/${encodeURIComponent(name)}`;
  await apiCall("uploading", KIND, name, () => target.client.put(path, { body: scriptUploadForm(build, metadata) }));
}

/**
 * Delete a script (force: even if something still binds to it); absent counts as deleted.
 *
 * @example
 *   await deleteWorkerScript(target, "tenant-acme"); // "deleted" | "already gone"
 */
export async function deleteWorkerScript(target: Target, name: string): Promise<DeleteOutcome> {
  try {
    await apiCall("deleting", KIND, name, () =>
      target.client.workersForPlatforms.dispatch.namespaces.scripts.delete(name, {
        account_id: target.accountId,
        dispatch_namespace: target.dispatchNamespace,
        force: true,
      }),
    );
    return "deleted";
  } catch (error) {
    if (isNotFound(error)) return "already gone";
    throw error;
  }
}

/**
 * One page of a dispatch namespace's scripts, as Cloudflare answers it (the SDK's
 * WorkersForPlatforms dispatch namespaces `Script` type per item): the script's own fields are under
 * `script`; paging is by `limit` (at most 1,000) and `result_info.cursor`.
 */
interface ScriptListEnvelope {
  result?: Array<{ script?: { id?: string; tags?: string[] | null } }> | null;
  result_info?: { cursor?: string; count?: number };
}

/** Cloudflare's largest page of a namespace's scripts. */
const SCRIPT_LIST_LIMIT = 1000;

/** A script of the namespace as a listing gives it: its name and its tags. */
export interface TaggedScript {
  name: string;
  tags: string[];
}

/**
 * The scripts in the dispatch namespace carrying a tag, with all their tags
 * (`GET .../scripts?tags=t:yes`; the SDK has no method for it), following the cursor to the last
 * page: the fleet's "who runs what" costs one call per 1,000 tenants. `pageSize` is for tests.
 *
 * @example
 *   await listTaggedScripts(target, "wfp-tenant") // [{ name: "tenant-acme", tags: ["wfp-tenant", ...] }]
 */
export async function listTaggedScripts(
  target: Target,
  tag: string,
  pageSize: number = SCRIPT_LIST_LIMIT,
): Promise<TaggedScript[]> {
  const scripts: TaggedScript[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (;;) {
    const body = await apiCall("listing", "Worker scripts tagged", tag, () =>
      target.client.get<ScriptListEnvelope>(
        `/accounts/${target.accountId}/workers/dispatch/namespaces/` +
          `${encodeURIComponent(target.dispatchNamespace)}/scripts`,
        { query: { tags: `${tag}:yes`, limit: pageSize, ...(cursor === undefined ? {} : { cursor }) } },
      ),
    );
    const items = body.result ?? [];
    for (const item of items) {
      if (typeof item.script?.id === "string") scripts.push({ name: item.script.id, tags: item.script.tags ?? [] });
    }
    const next = body.result_info?.cursor;
    // An empty page, no cursor, or one already followed (an API that repeats itself) ends the list.
    if (items.length === 0 || next === undefined || next === "" || seen.has(next)) return scripts;
    seen.add(next);
    cursor = next;
  }
}

/**
 * Names of the scripts in the dispatch namespace carrying a tag ({@link listTaggedScripts}).
 *
 * @example
 *   await listWorkerScriptsByTag(target, "wfp-tenant") // ["tenant-acme", "tenant-globex"]
 */
export async function listWorkerScriptsByTag(
  target: Target,
  tag: string,
  pageSize: number = SCRIPT_LIST_LIMIT,
): Promise<string[]> {
  return (await listTaggedScripts(target, tag, pageSize)).map((s) => s.name);
}

/** `/accounts/{a}/workers/dispatch/namespaces/{ns}/scripts/{name}`, each part encoded. */
function scriptPath(target: Target, name: string): string {
  return (
    `/accounts/${encodeURIComponent(target.accountId)}/workers/dispatch/namespaces/` +
    `${encodeURIComponent(target.dispatchNamespace)}/scripts/${encodeURIComponent(name)}`
  );
}

/**
 * Add one tag to a script (`PUT .../scripts/{name}/tags/{tag}`), without re-uploading it. Refused
 * before the call when the script would carry more than {@link MAX_SCRIPT_TAGS}. Returns whether
 * the tag was added ("unchanged": it was there), or "missing" when there is no such script.
 *
 * @example
 *   await addWorkerScriptTag(target, "tenant-acme", "suspended") // "added"
 */
export async function addWorkerScriptTag(
  target: Target,
  name: string,
  tag: string,
): Promise<"added" | "unchanged" | "missing"> {
  const tags = await getWorkerScriptTags(target, name);
  if (tags === undefined) return "missing";
  if (tags.includes(tag)) return "unchanged";
  if (tags.length + 1 > MAX_SCRIPT_TAGS) {
    throw new Error(
      `Worker script '${name}' carries ${tags.length} tags (${tags.join(", ")}); adding '${tag}' would pass ` +
        `Cloudflare's ${MAX_SCRIPT_TAGS} per script: the platform's tags must leave room, so this is a platform bug.`,
    );
  }
  await apiCall("tagging", KIND, name, () =>
    target.client.put(`${scriptPath(target, name)}/tags/${encodeURIComponent(tag)}`),
  );
  return "added";
}

/**
 * Remove one tag from a script (`DELETE .../scripts/{name}/tags/{tag}`); a tag or script already
 * gone counts as removed.
 *
 * @example
 *   await removeWorkerScriptTag(target, "tenant-acme", "suspended") // "removed" | "unchanged" | "missing"
 */
export async function removeWorkerScriptTag(
  target: Target,
  name: string,
  tag: string,
): Promise<"removed" | "unchanged" | "missing"> {
  const tags = await getWorkerScriptTags(target, name);
  if (tags === undefined) return "missing";
  if (!tags.includes(tag)) return "unchanged";
  await apiCall("untagging", KIND, name, () =>
    target.client.delete(`${scriptPath(target, name)}/tags/${encodeURIComponent(tag)}`),
  );
  return "removed";
}

/**
 * Set one secret of a script (`PUT .../scripts/{name}/secrets`) without re-uploading its code: the
 * next request the Worker serves sees the new value.
 *
 * @example
 *   await putWorkerScriptSecret(target, "tenant-acme", "ADMIN_KEY_HASH", newHash);
 */
export async function putWorkerScriptSecret(target: Target, name: string, secret: string, text: string): Promise<void> {
  await apiCall(`setting secret ${secret} of`, KIND, name, () =>
    target.client.put(`${scriptPath(target, name)}/secrets`, { body: { name: secret, text, type: "secret_text" } }),
  );
}
