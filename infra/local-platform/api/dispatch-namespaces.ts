/**
 * Workers for Platforms: dispatch namespaces and the scripts in them (multipart upload, get,
 * delete, list and bulk delete by tag, tags, secrets, settings, content).
 */
import { createHash, randomUUID } from "node:crypto";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { badRequest, conflict, jsonBody, notFound, ok } from "../cloudflare-envelope.ts";
import { requireAccount, type PlatformContext } from "../platform-context.ts";
import { nowIso, scriptKey, type ModuleType, type ScriptRecord, type WorkerBinding } from "../platform-state.ts";

const NAME = /^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$/;
const MAX_TAGS = 8;

const BindingSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("d1"),
    name: z.string().min(1),
    id: z.string().optional(),
    database_id: z.string().optional(),
  }),
  z.object({ type: z.literal("kv_namespace"), name: z.string().min(1), namespace_id: z.string().min(1) }),
  z.object({ type: z.literal("plain_text"), name: z.string().min(1), text: z.string() }),
  z.object({ type: z.literal("secret_text"), name: z.string().min(1), text: z.string() }),
  z.object({ type: z.literal("json"), name: z.string().min(1), json: z.unknown() }),
]);

const MetadataSchema = z.object({
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

export function dispatchNamespaceRoutes(ctx: PlatformContext): Hono {
  const app = new Hono();
  const { state } = ctx;
  const base = "/accounts/:account_id/workers/dispatch/namespaces";

  const namespaceView = (name: string) => {
    const ns = state.data.dispatchNamespaces[name]!;
    return {
      namespace_id: ns.id,
      namespace_name: ns.name,
      created_on: ns.createdOn,
      created_by: state.data.accountId,
      modified_on: ns.modifiedOn,
      modified_by: state.data.accountId,
      script_count: Object.values(state.data.scripts).filter((s) => s.namespace === name).length,
      trusted_workers: false,
    };
  };
  const requireNamespace = (c: Context): string => {
    requireAccount(ctx, c);
    const name = c.req.param("dispatch_namespace")!;
    if (state.data.dispatchNamespaces[name] === undefined)
      throw notFound(100119, `Dispatch namespace '${name}' not found`);
    return name;
  };
  const requireScript = (c: Context): ScriptRecord => {
    const namespace = requireNamespace(c);
    const record = state.data.scripts[scriptKey(namespace, c.req.param("script_name")!)];
    if (record === undefined) throw notFound(10007, "This Worker does not exist on your account.");
    return record;
  };

  app.post(base, async (c) => {
    requireAccount(ctx, c);
    const body = await jsonBody(
      c,
      z.object({ name: z.string().regex(NAME, "lower-case letters, digits, - and _").optional() }),
    );
    const name = body.name ?? `namespace-${randomUUID().slice(0, 8)}`;
    if (state.data.dispatchNamespaces[name] !== undefined)
      throw conflict(100120, `A dispatch namespace named '${name}' already exists`);
    state.data.dispatchNamespaces[name] = { id: randomUUID(), name, createdOn: nowIso(), modifiedOn: nowIso() };
    state.save();
    return ok(c, namespaceView(name));
  });
  app.get(base, (c) => {
    requireAccount(ctx, c);
    return ok(c, Object.keys(state.data.dispatchNamespaces).map(namespaceView));
  });
  app.get(`${base}/:dispatch_namespace`, (c) => ok(c, namespaceView(requireNamespace(c))));
  app.delete(`${base}/:dispatch_namespace`, async (c) => {
    const name = requireNamespace(c);
    // Deleting a namespace deletes its scripts, as on Cloudflare.
    const doomedScripts = Object.values(state.data.scripts).filter((s) => s.namespace === name);
    for (const record of doomedScripts) {
      delete state.data.scripts[scriptKey(name, record.name)];
      state.removeScriptModules(record);
    }
    delete state.data.dispatchNamespaces[name];
    state.save();
    await Promise.all(doomedScripts.map((record) => ctx.runtime.forgetScript(name, record.name)));
    return ok(c, null);
  });

  // Upload (create or replace) a script.
  app.put(`${base}/:dispatch_namespace/scripts/:script_name`, async (c) => {
    const namespace = requireNamespace(c);
    const name = c.req.param("script_name");
    if (!NAME.test(name))
      throw badRequest(10016, `Invalid Worker name '${name}': use lower-case letters, digits, - and _`);
    const upload = await readUpload(c);
    const key = scriptKey(namespace, name);
    const previous = state.data.scripts[key];
    const bindings = resolveBindings(ctx, upload.metadata, previous);
    const tags = upload.metadata.tags ?? previous?.tags ?? [];
    validateTags(tags);
    const etag = createHash("sha256").update(upload.digest).update(JSON.stringify(bindings)).digest("hex");
    const now = nowIso();
    const record: ScriptRecord = {
      namespace,
      name,
      etag,
      createdOn: previous?.createdOn ?? now,
      modifiedOn: now,
      mainModule: upload.mainModule,
      compatibilityDate: upload.metadata.compatibility_date ?? "2025-01-01",
      compatibilityFlags: upload.metadata.compatibility_flags ?? [],
      bindings,
      tags,
      ...(upload.metadata.limits === undefined ? {} : { limits: upload.metadata.limits }),
      modules: upload.modules.map(({ name: moduleName, type, contentType }) => ({
        name: moduleName,
        type,
        contentType,
      })),
    };
    state.writeModules(namespace, name, etag, upload.modules);
    const started = performance.now();
    await applyScript(ctx, key, record, previous);
    // Cloudflare's upload answer is the script plus how long its startup took (required by the SDK's type).
    return ok(c, { ...scriptView(record), startup_time_ms: Math.round(performance.now() - started) });
  });

  app.get(`${base}/:dispatch_namespace/scripts/:script_name`, (c) => {
    const record = requireScript(c);
    return ok(c, {
      script: scriptView(record),
      created_on: record.createdOn,
      modified_on: record.modifiedOn,
      dispatch_namespace: record.namespace,
    });
  });

  app.delete(`${base}/:dispatch_namespace/scripts/:script_name`, async (c) => {
    const record = requireScript(c);
    const key = scriptKey(record.namespace, record.name);
    delete state.data.scripts[key];
    state.save();
    await ctx.runtime.forgetScript(record.namespace, record.name);
    // An upload of the same name meanwhile owns the folder now.
    if (state.data.scripts[key] === undefined) state.removeScriptModules(record);
    return ok(c, null);
  });

  // List and bulk delete by tag: `tags=a:yes,b:no` (yes = has the tag, no = has not).
  // As Cloudflare lists a dispatch namespace's scripts: each item is the SDK's dispatch namespace
  // `Script` ({ created_on, modified_on, dispatch_namespace, script: {...} }), in pages of `limit`
  // (at most 1,000) followed by `result_info.cursor` ("" on the last page).
  app.get(`${base}/:dispatch_namespace/scripts`, (c) => {
    const namespace = requireNamespace(c);
    const limit = Number(c.req.query("limit") ?? SCRIPT_LIST_MAX);
    if (!Number.isInteger(limit) || limit < 1 || limit > SCRIPT_LIST_MAX) {
      throw badRequest(10001, `limit must be an integer from 1 to ${SCRIPT_LIST_MAX}`);
    }
    const after = decodeListCursor(c.req.query("cursor"));
    const scripts = scriptsMatchingTags(
      Object.values(state.data.scripts).filter((s) => s.namespace === namespace),
      c.req.query("tags"),
    )
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .filter((s) => after === undefined || s.name > after);
    const page = scripts.slice(0, limit);
    const cursor = scripts.length > limit ? Buffer.from(page.at(-1)!.name).toString("base64url") : "";
    return ok(
      c,
      page.map((record) => ({
        created_on: record.createdOn,
        modified_on: record.modifiedOn,
        dispatch_namespace: record.namespace,
        script: scriptView(record),
      })),
      { count: page.length, cursor },
    );
  });
  app.delete(`${base}/:dispatch_namespace/scripts`, async (c) => {
    const namespace = requireNamespace(c);
    const filter = c.req.query("tags");
    if (filter === undefined || filter === "") throw badRequest(10021, "Bulk delete requires a tags filter");
    const doomed = scriptsMatchingTags(
      Object.values(state.data.scripts).filter((s) => s.namespace === namespace),
      filter,
    );
    for (const record of doomed) delete state.data.scripts[scriptKey(namespace, record.name)];
    state.save();
    await Promise.all(doomed.map((record) => ctx.runtime.forgetScript(namespace, record.name)));
    for (const record of doomed) {
      if (state.data.scripts[scriptKey(namespace, record.name)] === undefined) state.removeScriptModules(record);
    }
    return ok(c, null);
  });

  // Tags.
  app.get(`${base}/:dispatch_namespace/scripts/:script_name/tags`, (c) => ok(c, requireScript(c).tags));
  app.put(`${base}/:dispatch_namespace/scripts/:script_name/tags`, async (c) => {
    const record = requireScript(c);
    const tags = await jsonBody(c, z.array(z.string()));
    validateTags(tags);
    record.tags = tags;
    record.modifiedOn = nowIso();
    state.save();
    return ok(c, record.tags);
  });
  app.put(`${base}/:dispatch_namespace/scripts/:script_name/tags/:tag`, (c) => {
    const record = requireScript(c);
    const tag = c.req.param("tag");
    if (!record.tags.includes(tag)) {
      validateTags([...record.tags, tag]);
      record.tags.push(tag);
      state.save();
    }
    return ok(c, null);
  });
  app.delete(`${base}/:dispatch_namespace/scripts/:script_name/tags/:tag`, (c) => {
    const record = requireScript(c);
    record.tags = record.tags.filter((t) => t !== c.req.param("tag"));
    state.save();
    return ok(c, null);
  });

  // Secrets: stored as secret_text bindings; values are never returned.
  app.put(`${base}/:dispatch_namespace/scripts/:script_name/secrets`, async (c) => {
    const record = requireScript(c);
    const body = await jsonBody(
      c,
      z.object({ name: z.string().min(1), text: z.string(), type: z.literal("secret_text").default("secret_text") }),
    );
    const previous = structuredClone(record);
    record.bindings = [
      ...record.bindings.filter((b) => b.name !== body.name),
      { type: "secret_text", name: body.name, text: body.text },
    ];
    record.modifiedOn = nowIso();
    await applyScript(ctx, scriptKey(record.namespace, record.name), record, previous);
    return ok(c, { name: body.name, type: "secret_text" });
  });
  app.get(`${base}/:dispatch_namespace/scripts/:script_name/secrets`, (c) =>
    ok(
      c,
      requireScript(c)
        .bindings.filter((b) => b.type === "secret_text")
        .map((b) => ({ name: b.name, type: "secret_text" })),
    ),
  );
  app.get(`${base}/:dispatch_namespace/scripts/:script_name/secrets/:secret_name`, (c) => {
    const secret = requireScript(c).bindings.find(
      (b) => b.type === "secret_text" && b.name === c.req.param("secret_name"),
    );
    if (secret === undefined) throw notFound(10056, "Secret not found");
    return ok(c, { name: secret.name, type: "secret_text" });
  });
  app.delete(`${base}/:dispatch_namespace/scripts/:script_name/secrets/:secret_name`, async (c) => {
    const record = requireScript(c);
    const secretName = c.req.param("secret_name");
    if (!record.bindings.some((b) => b.type === "secret_text" && b.name === secretName))
      throw notFound(10056, "Secret not found");
    const previous = structuredClone(record);
    record.bindings = record.bindings.filter((b) => !(b.type === "secret_text" && b.name === secretName));
    await applyScript(ctx, scriptKey(record.namespace, record.name), record, previous);
    return ok(c, null);
  });

  // Settings, bindings and content.
  app.get(`${base}/:dispatch_namespace/scripts/:script_name/settings`, (c) => {
    const record = requireScript(c);
    return ok(c, {
      bindings: record.bindings.map(publicBinding),
      compatibility_date: record.compatibilityDate,
      compatibility_flags: record.compatibilityFlags,
      limits: record.limits ?? {},
      tags: record.tags,
      usage_model: "standard",
    });
  });
  app.get(`${base}/:dispatch_namespace/scripts/:script_name/bindings`, (c) =>
    ok(c, requireScript(c).bindings.map(publicBinding)),
  );
  app.get(`${base}/:dispatch_namespace/scripts/:script_name/content`, (c) => {
    const record = requireScript(c);
    const bytes = state.readModule(record, record.mainModule);
    return new Response(bytes, {
      headers: {
        "content-type":
          record.modules.find((m) => m.name === record.mainModule)?.contentType ?? "application/javascript+module",
      },
    });
  });

  return app;
}

/**
 * Makes an uploaded version the script's: first starts it once in workerd, so code that does not
 * start is refused as Cloudflare refuses it (and the previous version keeps serving); then records
 * it and has the tenant host drop the old version, so the next request loads this one.
 */
async function applyScript(
  ctx: PlatformContext,
  key: string,
  record: ScriptRecord,
  previous: ScriptRecord | undefined,
): Promise<void> {
  const { state, runtime } = ctx;
  try {
    await runtime.checkScript(record);
  } catch (error) {
    dropStoredVersion(ctx, key, record);
    // workerd's message: "Failed to start Worker:" and the uncaught error on the next lines.
    throw badRequest(
      10021,
      String((error as Error)?.message ?? error)
        .replace(/\s*\n\s*/g, " ")
        .trim(),
    );
  }
  state.data.scripts[key] = record;
  state.save();
  await runtime.forgetScript(record.namespace, record.name);
  if (previous !== undefined) dropStoredVersion(ctx, key, previous);
}

/**
 * Removes one stored version of a script's modules unless it is the script's current one. Only
 * that version: a concurrent upload of the same script may be starting its own meanwhile.
 */
function dropStoredVersion(ctx: PlatformContext, key: string, version: ScriptRecord): void {
  if (ctx.state.data.scripts[key]?.etag !== version.etag) ctx.state.removeModuleVersion(version);
}

interface Upload {
  metadata: z.output<typeof MetadataSchema>;
  mainModule: string;
  modules: { name: string; type: ModuleType; contentType: string; contents: Uint8Array }[];
  digest: Buffer;
}

/**
 * Reads a multipart script upload as Cloudflare does: one part named `metadata` holding JSON, and
 * one part per module, named by the module's name and typed by its content type.
 */
async function readUpload(c: Context): Promise<Upload> {
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
function resolveBindings(
  ctx: PlatformContext,
  metadata: z.output<typeof MetadataSchema>,
  previous: ScriptRecord | undefined,
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
    if (binding.type === "d1") {
      const databaseId = binding.database_id ?? binding.id;
      if (databaseId === undefined || ctx.state.data.d1[databaseId] === undefined) {
        throw badRequest(
          10181,
          `D1 binding '${binding.name}' references database '${databaseId ?? ""}', which does not exist`,
        );
      }
      resolved.push({ type: "d1", name: binding.name, database_id: databaseId });
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

function validateTags(tags: string[]): void {
  if (tags.length > MAX_TAGS)
    throw badRequest(10021, `A script can have at most ${MAX_TAGS} tags (got ${tags.length})`);
  for (const tag of tags) {
    if (tag.length === 0 || tag.includes(",") || tag.includes("&")) throw badRequest(10021, `Invalid tag '${tag}'`);
  }
}

/** The most scripts one page of a namespace's list holds (Cloudflare's `limit` maximum). */
const SCRIPT_LIST_MAX = 1000;

/** A list cursor is the last name of the page before, base64url (opaque to clients). */
function decodeListCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === "") return undefined;
  const name = Buffer.from(cursor, "base64url").toString();
  if (!NAME.test(name)) throw badRequest(10001, "cursor is not one this API gave");
  return name;
}

function scriptsMatchingTags(scripts: ScriptRecord[], filter: string | undefined): ScriptRecord[] {
  if (filter === undefined || filter === "") return scripts;
  const clauses = filter.split(",").map((clause) => {
    const index = clause.lastIndexOf(":");
    const tag = index < 0 ? clause : clause.slice(0, index);
    const want = index < 0 ? "yes" : clause.slice(index + 1);
    if (tag === "" || (want !== "yes" && want !== "no"))
      throw badRequest(10021, `Invalid tags filter '${clause}': use tag:yes or tag:no`);
    return { tag, has: want === "yes" };
  });
  return scripts.filter((s) => clauses.every(({ tag, has }) => s.tags.includes(tag) === has));
}

function publicBinding(binding: WorkerBinding): Record<string, unknown> {
  if (binding.type === "secret_text") return { type: "secret_text", name: binding.name };
  return { ...binding };
}

function scriptView(record: ScriptRecord): Record<string, unknown> {
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
  };
}
