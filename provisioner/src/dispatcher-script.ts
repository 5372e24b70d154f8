/**
 * The dispatch Worker on the account (`/accounts/{a}/workers/scripts/{name}`), uploaded by
 * `platform init` with the account's own ids in its bindings: the routing store's KV namespace
 * and the dispatch namespace. A re-run uploads only when the code, the settings or those ids
 * changed: the version's `workers/tag` annotation carries the build's fingerprint, and the
 * bindings are compared as Cloudflare reports them (one GET instead of downloading the code).
 */
import type Cloudflare from "cloudflare";
import type { AccountTarget } from "./config.ts";
import type { DispatcherBuild } from "./dispatcher-build.ts";
import { apiCall, isNotFound, mayAlreadyExist } from "./errors.ts";
import { scriptUploadForm } from "./worker-script.ts";

const KIND = "dispatch Worker";

type SdkMetadata = Parameters<Cloudflare["workers"]["scripts"]["update"]>[1]["metadata"];

/** The ids the dispatcher's bindings name. */
export interface DispatcherBindings {
  dispatchNamespace: string;
  routesNamespaceId: string;
}

/**
 * The upload metadata: main module, compatibility, the vars of wrangler.jsonc as plain text, the
 * routing store, the dispatch namespace, the usage dataset (Analytics Engine: made by its first
 * write, nothing to create), and the fingerprint as the version's tag.
 *
 * @example
 *   dispatcherMetadata(build, { dispatchNamespace: "tenants", routesNamespaceId: "0f2a..." })
 */
export function dispatcherMetadata(
  build: DispatcherBuild,
  ids: DispatcherBindings,
  deployedClasses: readonly string[] = [],
): SdkMetadata {
  const migrations = pendingMigration(build, deployedClasses);
  return {
    main_module: build.mainModule,
    compatibility_date: build.compatibilityDate,
    compatibility_flags: build.compatibilityFlags,
    bindings: [
      { type: "kv_namespace", name: build.routesBinding, namespace_id: ids.routesNamespaceId },
      { type: "dispatch_namespace", name: build.namespaceBinding, namespace: ids.dispatchNamespace },
      ...build.analyticsDatasets.map(({ binding, dataset }) => ({
        type: "analytics_engine" as const,
        name: binding,
        dataset,
      })),
      ...build.durableObjects.map(({ name, className }) => ({
        type: "durable_object_namespace" as const,
        name,
        class_name: className,
      })),
      ...Object.entries(build.vars).map(([name, text]) => ({ type: "plain_text" as const, name, text })),
    ],
    ...(migrations === undefined ? {} : { migrations }),
    annotations: { "workers/tag": build.hash, "workers/message": "platform init" },
    observability: { enabled: true },
  };
}

/**
 * The migration an upload must carry: the SQLite classes of wrangler.jsonc's `migrations` that the
 * deployed dispatcher does not bind yet (a class it binds exists: Cloudflare refuses a binding to a
 * class no migration made, 10061), tagged with the last tag. Undefined when there are none:
 * Cloudflare refuses a migration that creates a class again, as wrangler learned (sending
 * migrations only when needed, workers-sdk#728). Known limit: a class whose binding was removed
 * by hand would be created again and refused; such an account needs the migration tag checked.
 */
function pendingMigration(
  build: DispatcherBuild,
  deployedClasses: readonly string[],
): { new_tag: string; new_sqlite_classes: string[] } | undefined {
  const last = build.migrations.at(-1);
  const pending = build.migrations.flatMap((m) => m.newSqliteClasses).filter((c) => !deployedClasses.includes(c));
  return last === undefined || pending.length === 0 ? undefined : { new_tag: last.tag, new_sqlite_classes: pending };
}

/** What the account's dispatcher is: its version tag, the ids it binds, its Durable Object classes. */
export interface DeployedDispatcher {
  tag?: string;
  routesNamespaceId?: string;
  dispatchNamespace?: string;
  /** The classes of its own its `durable_object_namespace` bindings name (so their migrations ran). */
  durableObjectClasses: string[];
}

/**
 * The ids the uploaded dispatcher binds and its version tag; undefined when there is none.
 *
 * @example
 *   await readDispatcher(target, "wfp-dispatcher") // { tag: "9c1e...", routesNamespaceId: "0f2a...", ... }
 */
export async function readDispatcher(
  target: AccountTarget,
  build: Pick<DispatcherBuild, "name" | "routesBinding" | "namespaceBinding">,
): Promise<DeployedDispatcher | undefined> {
  try {
    const settings = await apiCall("reading", KIND, build.name, () =>
      target.client.workers.scripts.scriptAndVersionSettings.get(build.name, { account_id: target.accountId }),
    );
    const found: DeployedDispatcher = { durableObjectClasses: [] };
    const tag = settings.annotations?.["workers/tag"];
    if (tag !== undefined) found.tag = tag;
    for (const b of settings.bindings ?? []) {
      if (b.type === "kv_namespace" && b.name === build.routesBinding) found.routesNamespaceId = b.namespace_id;
      if (b.type === "dispatch_namespace" && b.name === build.namespaceBinding) found.dispatchNamespace = b.namespace;
      if (b.type === "durable_object_namespace" && b.class_name !== undefined && b.script_name === undefined)
        found.durableObjectClasses.push(b.class_name);
    }
    return found;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Upload the dispatcher unless the one on the account is this build with these ids.
 *
 * @example
 *   await ensureDispatcher(target, build, ids) // "created" | "updated" | "unchanged"
 */
export async function ensureDispatcher(
  target: AccountTarget,
  build: DispatcherBuild,
  ids: DispatcherBindings,
  current?: Awaited<ReturnType<typeof readDispatcher>>,
): Promise<"created" | "updated" | "unchanged"> {
  const deployed = current ?? (await readDispatcher(target, build));
  if (
    deployed?.tag === build.hash &&
    deployed.routesNamespaceId === ids.routesNamespaceId &&
    deployed.dispatchNamespace === ids.dispatchNamespace
  ) {
    return "unchanged";
  }
  const path = `/accounts/${encodeURIComponent(target.accountId)}/workers/scripts/${encodeURIComponent(build.name)}`;
  // The same multipart body as a tenant upload (worker-script.ts says why not the SDK's update()).
  const upload = (classes: readonly string[] | undefined) =>
    apiCall("uploading", KIND, build.name, () =>
      target.client.put(path, { body: scriptUploadForm(build, dispatcherMetadata(build, ids, classes)) }),
    );
  try {
    await upload(deployed?.durableObjectClasses);
  } catch (error) {
    // Two inits at once: the other's upload may have run the migration this one carries, which is
    // then refused (a class is created once). Judged by what is deployed now, not by the message.
    const now = mayAlreadyExist(error) ? await readDispatcher(target, build) : undefined;
    const created = (now?.durableObjectClasses ?? []).filter((c) => !deployed?.durableObjectClasses.includes(c));
    if (created.length === 0) throw error;
    await upload(now?.durableObjectClasses);
  }
  return deployed === undefined ? "created" : "updated";
}
