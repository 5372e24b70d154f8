/**
 * Workers for Platforms: dispatch namespaces and the scripts in them (multipart upload, get,
 * delete, list and bulk delete by tag, tags, secrets, settings, content).
 */
import { randomUUID } from "node:crypto";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { badRequest, conflict, jsonBody, notFound, ok } from "../cloudflare-envelope.ts";
import { requireAccount, type PlatformContext } from "../platform-context.ts";
import { nowIso, scriptKey, type ScriptRecord, type WorkerBinding } from "../platform-state.ts";
import {
  NAME,
  publicBinding,
  readUpload,
  resolveBindings,
  scriptView,
  settingsView,
  uploadedScript,
} from "./script-upload.ts";

const MAX_TAGS = 8;
/** What a user Worker in a namespace may bind. */
const USER_WORKER_BINDINGS: ReadonlySet<WorkerBinding["type"]> = new Set([
  "d1",
  "kv_namespace",
  "plain_text",
  "secret_text",
  "json",
]);

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
    const bindings = resolveBindings(ctx, upload.metadata, previous, USER_WORKER_BINDINGS);
    const tags = upload.metadata.tags ?? previous?.tags ?? [];
    validateTags(tags);
    const record = uploadedScript(namespace, name, upload, bindings, previous, {
      tags,
      ...(upload.metadata.limits === undefined ? {} : { limits: upload.metadata.limits }),
    });
    state.writeModules(namespace, name, record.etag, upload.modules);
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
    return ok(c, settingsView(record, { limits: record.limits ?? {}, tags: record.tags }));
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
