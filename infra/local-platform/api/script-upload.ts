/**
 * What every script upload shares, in a dispatch namespace or on the account (the dispatcher):
 * the multipart body Cloudflare takes (one `metadata` part holding JSON, one part per module), the
 * bindings it may declare, and the script's public view.
 */
import { createHash } from "node:crypto";
import { nowIso } from "../platform-state.ts";
import type { Context } from "hono";
import { z } from "zod";
import { badRequest } from "../cloudflare-envelope.ts";
import type { PlatformContext } from "../platform-context.ts";
import type { ModuleType, ScriptRecord, WorkerBinding } from "../platform-state.ts";

/** Script and namespace names as Cloudflare takes them. */
export const NAME = /^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$/;

const BindingSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("dispatch_namespace"),
    name: z.string().min(1),
    namespace: z.string().min(1),
    outbound: z.unknown().optional(),
  }),
  z.object({
    type: z.literal("d1"),
    name: z.string().min(1),
    id: z.string().optional(),
    database_id: z.string().optional(),
  }),
  z.object({ type: z.literal("kv_namespace"), name: z.string().min(1), namespace_id: z.string().min(1) }),
  // Workers Analytics Engine: the dataset is made by the first point written to it, as on Cloudflare.
  z.object({
    type: z.literal("analytics_engine"),
    name: z.string().min(1),
    dataset: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "a dataset name: letters, digits and _"),
  }),
  z.object({
    type: z.literal("durable_object_namespace"),
    name: z.string().min(1),
    class_name: z.string().min(1),
    script_name: z.string().optional(),
    environment: z.string().optional(),
    namespace_id: z.string().optional(),
    dispatch_namespace: z.string().optional(),
  }),
  z.object({ type: z.literal("plain_text"), name: z.string().min(1), text: z.string() }),
  z.object({ type: z.literal("secret_text"), name: z.string().min(1), text: z.string() }),
  z.object({ type: z.literal("json"), name: z.string().min(1), json: z.unknown() }),
]);

/** One migration step, as the SDK's `SingleStepMigrationParam` and Cloudflare's `workers_migration_step` name it. */
export const MigrationStepSchema = z.object({
  new_classes: z.array(z.string().min(1)).optional(),
  new_sqlite_classes: z.array(z.string().min(1)).optional(),
  deleted_classes: z.array(z.string().min(1)).optional(),
  renamed_classes: z.array(z.object({ from: z.string().optional(), to: z.string().optional() })).optional(),
  transferred_classes: z
    .array(z.object({ from: z.string().optional(), from_script: z.string().optional(), to: z.string().optional() }))
    .optional(),
});

/** `migrations`: one step with its tags, or several steps (`steps`) with theirs. */
const MigrationsSchema = z.union([
  MigrationStepSchema.extend({ old_tag: z.string().optional(), new_tag: z.string().optional() }).strict(),
  z
    .object({ old_tag: z.string().optional(), new_tag: z.string().optional(), steps: z.array(MigrationStepSchema) })
    .strict(),
]);

export const MetadataSchema = z.object({
  main_module: z.string().min(1).optional(),
  body_part: z.string().optional(),
  compatibility_date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "must be YYYY-MM-DD")
    .optional(),
  compatibility_flags: z.array(z.string()).optional(),
  bindings: z.array(z.looseObject({ type: z.string(), name: z.string() })).optional(),
  keep_bindings: z.array(z.string()).optional(),
  tags: z.array(z.string()).optional(),
  limits: z
    .object({ cpu_ms: z.number().int().positive().optional(), subrequests: z.number().int().positive().optional() })
    .optional(),
  usage_model: z.string().optional(),
  migrations: MigrationsSchema.optional(),
  annotations: z
    .object({ "workers/message": z.string().optional(), "workers/tag": z.string().max(100).optional() })
    .optional(),
});

const MODULE_TYPES: Record<string, ModuleType> = {
  "application/javascript+module": "ESModule",
  "text/javascript+module": "ESModule",
  "application/javascript": "CommonJS",
  "text/javascript": "CommonJS",
  "application/wasm": "CompiledWasm",
  "text/plain": "Text",
  "application/octet-stream": "Data",
};

export interface Upload {
  metadata: z.output<typeof MetadataSchema>;
  mainModule: string;
  modules: { name: string; type: ModuleType; contentType: string; contents: Uint8Array }[];
  digest: Buffer;
}

/**
 * Reads a multipart script upload as Cloudflare does: one part named `metadata` holding JSON, and
 * one part per module, named by the module's name and typed by its content type.
 */
export async function readUpload(c: Context): Promise<Upload> {
  const type = c.req.header("content-type") ?? "";
  if (!type.toLowerCase().startsWith("multipart/form-data")) {
    throw badRequest(10021, "Expected a multipart/form-data body with a 'metadata' part and the Worker's modules");
  }
  let form: FormData;
  try {
    form = await c.req.raw.formData();
  } catch {
    throw badRequest(10021, "Malformed multipart/form-data body");
  }
  const metadataPart = form.get("metadata");
  if (metadataPart === null) {
    const bracketed = [...form.keys()].some((k) => k.startsWith("metadata["));
    throw badRequest(
      10021,
      "could not read content for part metadata" +
        (bracketed
          ? " (the metadata was sent as bracket-encoded form fields; send it as one part named 'metadata' holding JSON)"
          : ""),
    );
  }
  let metadataJson: unknown;
  try {
    metadataJson = JSON.parse(typeof metadataPart === "string" ? metadataPart : await metadataPart.text());
  } catch {
    throw badRequest(10021, "could not parse the 'metadata' part as JSON");
  }
  const parsed = MetadataSchema.safeParse(metadataJson);
  if (!parsed.success) {
    throw badRequest(
      10021,
      `Invalid metadata: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  }
  const metadata = parsed.data;
  if (metadata.main_module === undefined) {
    throw badRequest(
      10021,
      metadata.body_part !== undefined
        ? "Service-worker syntax (body_part) is not supported: upload ES modules with main_module"
        : "metadata.main_module is required",
    );
  }
  const modules: Upload["modules"] = [];
  const digest = createHash("sha256");
  for (const [partName, value] of form.entries()) {
    if (partName === "metadata") continue;
    if (typeof value === "string")
      throw badRequest(10021, `Part '${partName}' is not a file: each module must be a file part named by the module`);
    const contentType = (value.type || "application/octet-stream").split(";")[0]!.trim().toLowerCase();
    const moduleType = MODULE_TYPES[contentType];
    if (moduleType === undefined)
      throw badRequest(10021, `module ${partName} has unsupported Content-Type ${contentType}`);
    if (partName.includes("..") || partName.startsWith("/") || partName.includes("["))
      throw badRequest(10021, `Invalid module name '${partName}'`);
    const contents = new Uint8Array(await value.arrayBuffer());
    digest.update(partName).update(contents);
    modules.push({ name: partName, type: moduleType, contentType, contents });
  }
  if (!modules.some((m) => m.name === metadata.main_module)) {
    throw badRequest(
      10021,
      `No such module "${metadata.main_module}": ` +
        `the main module must be uploaded as a part named '${metadata.main_module}'`,
    );
  }
  return { metadata, mainModule: metadata.main_module, modules, digest: digest.digest() };
}

/** Validates bindings against what exists and applies `keep_bindings` from the previous version. */
export function resolveBindings(
  ctx: PlatformContext,
  metadata: z.output<typeof MetadataSchema>,
  previous: ScriptRecord | undefined,
  /** Which binding kinds this script may have (a user Worker in a namespace has no dispatch namespace). */
  allowed: ReadonlySet<WorkerBinding["type"]>,
): WorkerBinding[] {
  const resolved: WorkerBinding[] = [];
  for (const raw of metadata.bindings ?? []) {
    const parsed = BindingSchema.safeParse(raw);
    if (!parsed.success)
      throw badRequest(
        10021,
        `Binding '${raw.name}' of type '${raw.type}' is not supported by the local platform or is malformed`,
      );
    const binding = parsed.data;
    if (!allowed.has(binding.type))
      throw badRequest(
        10021,
        `Binding '${binding.name}' of type '${binding.type}' is not supported for this Worker by the local platform`,
      );
    if (binding.type === "dispatch_namespace") {
      if (ctx.state.data.dispatchNamespaces[binding.namespace] === undefined)
        throw badRequest(100119, `Dispatch namespace '${binding.namespace}' not found`);
      resolved.push({ type: "dispatch_namespace", name: binding.name, namespace: binding.namespace });
    } else if (binding.type === "d1") {
      const databaseId = binding.database_id ?? binding.id;
      if (databaseId === undefined || ctx.state.data.d1[databaseId] === undefined) {
        throw badRequest(
          10181,
          `D1 binding '${binding.name}' references database '${databaseId ?? ""}', which does not exist`,
        );
      }
      resolved.push({ type: "d1", name: binding.name, database_id: databaseId });
    } else if (binding.type === "durable_object_namespace") {
      // Only a class of the script itself (checked against its migrations by the caller).
      if (binding.script_name !== undefined || binding.dispatch_namespace !== undefined)
        throw badRequest(
          10021,
          `Binding '${binding.name}': the local platform binds only Durable Object classes of the script itself`,
        );
      resolved.push({
        type: "durable_object_namespace",
        name: binding.name,
        class_name: binding.class_name,
        namespace_id: "",
      });
    } else if (binding.type === "kv_namespace") {
      if (ctx.state.data.kv[binding.namespace_id] === undefined)
        throw badRequest(10041, `No KV namespace found with ID ${binding.namespace_id}`);
      resolved.push(binding);
    } else {
      resolved.push(binding as WorkerBinding);
    }
  }
  const names = new Set<string>();
  for (const binding of resolved) {
    if (names.has(binding.name)) throw badRequest(10021, `Binding name '${binding.name}' is used twice`);
    names.add(binding.name);
  }
  const keep = new Set(metadata.keep_bindings ?? []);
  for (const old of previous?.bindings ?? []) {
    if (keep.has(old.type) && !names.has(old.name)) resolved.push(old);
  }
  return resolved;
}

/**
 * The record of an uploaded version: its etag covers the modules and the resolved bindings, so a
 * change of either is a new version; created-on carries over from the previous version.
 *
 * @example const record = uploadedScript(namespace, name, upload, bindings, previous, { tags });
 */
export function uploadedScript(
  namespace: string,
  name: string,
  upload: Upload,
  bindings: WorkerBinding[],
  previous: ScriptRecord | undefined,
  extra: Pick<ScriptRecord, "tags"> &
    Partial<Pick<ScriptRecord, "limits" | "annotations" | "migrationTag" | "durableObjectClasses">>,
): ScriptRecord {
  const etag = createHash("sha256").update(upload.digest).update(JSON.stringify(bindings)).digest("hex");
  const now = nowIso();
  return {
    namespace,
    name,
    etag,
    createdOn: previous?.createdOn ?? now,
    modifiedOn: now,
    mainModule: upload.mainModule,
    compatibilityDate: upload.metadata.compatibility_date ?? "2025-01-01",
    compatibilityFlags: upload.metadata.compatibility_flags ?? [],
    bindings,
    modules: upload.modules.map(({ name: moduleName, type, contentType }) => ({ name: moduleName, type, contentType })),
    ...extra,
  };
}

/**
 * A script's settings as `GET .../settings` answers them: its bindings (secrets by name only) and
 * compatibility, with what the kind of script adds (a namespace script's tags and limits, an
 * account script's annotations).
 *
 * @example return ok(c, settingsView(record, { tags: record.tags }));
 */
export function settingsView(record: ScriptRecord, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    bindings: record.bindings.map(publicBinding),
    compatibility_date: record.compatibilityDate,
    compatibility_flags: record.compatibilityFlags,
    ...extra,
    usage_model: "standard",
  };
}

export function publicBinding(binding: WorkerBinding): Record<string, unknown> {
  if (binding.type === "secret_text") return { type: "secret_text", name: binding.name };
  return { ...binding };
}

export function scriptView(record: ScriptRecord): Record<string, unknown> {
  return {
    id: record.name,
    etag: record.etag,
    tags: record.tags,
    created_on: record.createdOn,
    modified_on: record.modifiedOn,
    compatibility_date: record.compatibilityDate,
    compatibility_flags: record.compatibilityFlags,
    has_modules: true,
    has_assets: false,
    handlers: ["fetch"],
    usage_model: "standard",
    ...(record.limits === undefined ? {} : { limits: record.limits }),
    ...(record.migrationTag === undefined ? {} : { migration_tag: record.migrationTag }),
  };
}
