/**
 * Build the dispatch Worker from dispatcher/ into one ES module, with the settings
 * dispatcher/wrangler.jsonc gives it (name, compatibility, vars, binding names, namespace), and
 * fingerprint it. `platform init` uploads it with the account's real ids in its bindings, so no id
 * is ever pasted into wrangler.jsonc; the fingerprint (the version's `workers/tag` annotation) is
 * how a re-run knows the uploaded Worker is current without downloading it.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { WORKER_BUILD_OPTIONS } from "../../contracts/worker-build-options.ts";
import { readWranglerConfig } from "../../contracts/wrangler-config.ts";

const DEFAULT_DISPATCHER_DIR = fileURLToPath(new URL("../../dispatcher/", import.meta.url));

export interface DispatcherBuild {
  /** The script's name (wrangler's `name`). */
  name: string;
  code: string;
  mainModule: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  vars: Record<string, string>;
  /** The routing store's binding name (`ROUTES`). */
  routesBinding: string;
  /** The dispatch namespace binding's name (`DISPATCHER`); the namespace itself is the target's. */
  namespaceBinding: string;
  /** Workers Analytics Engine datasets (wrangler's `analytics_engine_datasets`): usage per tenant. */
  analyticsDatasets: { binding: string; dataset: string }[];
  /** Its own Durable Object classes by binding (`RATE_LIMITS` -> `RateLimitCounter`), from `durable_objects`. */
  durableObjects: { name: string; className: string }[];
  /** wrangler.jsonc's `migrations`, in order: each a tag and the SQLite classes it creates. */
  migrations: { tag: string; newSqliteClasses: string[] }[];
  /** sha-256 hex of the code and the settings, cut to 32: the upload's `workers/tag`. */
  hash: string;
}

/**
 * The dispatcher's script name (wrangler's `name`), without building it.
 *
 * @example await readDispatcherName() // "wfp-dispatcher"
 */
export async function readDispatcherName(dir: string = DEFAULT_DISPATCHER_DIR): Promise<string> {
  const path = join(dir, "wrangler.jsonc");
  const { name } = await readWranglerConfig(path);
  return typeof name === "string" ? name : fail(path, "needs a name");
}

function fail(path: string, what: string): never {
  throw new Error(`${path}: ${what}`);
}

/**
 * Bundle dispatcher/src and read its wrangler.jsonc.
 *
 * @example
 *   const dispatcher = await buildDispatcher(); // { name: "wfp-dispatcher", routesBinding: "ROUTES", ... }
 */
export async function buildDispatcher(dir: string = DEFAULT_DISPATCHER_DIR): Promise<DispatcherBuild> {
  const path = join(dir, "wrangler.jsonc");
  const config = await readWranglerConfig(path);
  const name = await readDispatcherName(dir);
  const main = typeof config.main === "string" ? config.main : fail(path, "needs main");
  const compatibilityDate =
    typeof config.compatibility_date === "string" ? config.compatibility_date : fail(path, "needs compatibility_date");
  const flags = config.compatibility_flags ?? [];
  if (!Array.isArray(flags) || !flags.every((f) => typeof f === "string"))
    fail(path, "compatibility_flags must be a list of strings");
  const vars = (config.vars ?? {}) as Record<string, unknown>;
  if (Object.values(vars).some((v) => typeof v !== "string")) fail(path, "vars must be strings");
  const kv = config.kv_namespaces as { binding?: unknown }[] | undefined;
  const routesBinding = kv?.find((k) => k.binding === "ROUTES")?.binding ?? kv?.[0]?.binding;
  const namespaces = config.dispatch_namespaces as { binding?: unknown }[] | undefined;
  const namespaceBinding = namespaces?.[0]?.binding;
  if (typeof routesBinding !== "string" || typeof namespaceBinding !== "string")
    fail(path, "needs one dispatch_namespaces entry and the ROUTES kv_namespaces entry");

  const datasets = (config.analytics_engine_datasets ?? []) as { binding?: unknown; dataset?: unknown }[];
  if (
    !Array.isArray(datasets) ||
    !datasets.every((d) => typeof d.binding === "string" && typeof d.dataset === "string")
  )
    fail(path, "analytics_engine_datasets entries need a binding and a dataset");
  const analyticsDatasets = datasets.map((d) => ({ binding: d.binding as string, dataset: d.dataset as string }));
  const durableObjects = readDurableObjects(path, config.durable_objects);
  const migrations = readMigrations(path, config.migrations);

  const result = await build({ ...WORKER_BUILD_OPTIONS, entryPoints: [join(dir, main)] });
  const code = result.outputFiles[0]!.text;
  const settings = {
    compatibilityDate,
    flags,
    vars,
    routesBinding,
    namespaceBinding,
    durableObjects,
    migrations,
    analyticsDatasets,
  };
  const hash = createHash("sha256").update(code).update(JSON.stringify(settings)).digest("hex").slice(0, 32);
  return {
    name,
    code,
    mainModule: "index.js",
    compatibilityDate,
    compatibilityFlags: flags as string[],
    vars: vars as Record<string, string>,
    routesBinding,
    namespaceBinding,
    analyticsDatasets,
    durableObjects,
    migrations,
    hash,
  };
}

/** `durable_objects.bindings` as wrangler documents it; only classes of this script (no `script_name`). */
function readDurableObjects(path: string, value: unknown): DispatcherBuild["durableObjects"] {
  if (value === undefined) return [];
  const bindings = (value as { bindings?: unknown }).bindings;
  if (!Array.isArray(bindings)) return fail(path, "durable_objects needs bindings: [{ name, class_name }]");
  return bindings.map((b: { name?: unknown; class_name?: unknown; script_name?: unknown }) => {
    if (typeof b.name !== "string" || typeof b.class_name !== "string" || b.script_name !== undefined)
      fail(path, "each durable_objects binding needs a name and a class_name of this script");
    return { name: b.name as string, className: b.class_name as string };
  });
}

/** `migrations` as wrangler documents it; the dispatcher only ever creates SQLite classes. */
function readMigrations(path: string, value: unknown): DispatcherBuild["migrations"] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return fail(path, "migrations must be a list");
  return value.map((m: { tag?: unknown; new_sqlite_classes?: unknown; [other: string]: unknown }) => {
    const classes = m.new_sqlite_classes ?? [];
    const others = Object.keys(m).filter((k) => k !== "tag" && k !== "new_sqlite_classes");
    if (typeof m.tag !== "string" || !Array.isArray(classes) || others.length > 0)
      fail(path, "each migration needs a tag and only new_sqlite_classes (the dispatcher's upload sends no other)");
    return { tag: m.tag as string, newSqliteClasses: classes as string[] };
  });
}
