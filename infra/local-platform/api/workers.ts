/**
 * The account's own Workers (`/accounts/{a}/workers/scripts`: upload, get, settings, delete) and
 * the zone's Worker routes (`/zones/{z}/workers/routes`). Together they decide what answers the
 * platform's traffic: the script the zone's `*` + `/*` route names runs as the dispatcher
 * (workerd-runtime.ts), so `platform init` deploys it locally exactly as on Cloudflare.
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import { badRequest, conflict, jsonBody, notFound, ok } from "../cloudflare-envelope.ts";
import { requireAccount, requireZone, type PlatformContext } from "../platform-context.ts";
import { ACCOUNT_SCRIPT, hexId, type ScriptRecord, type WorkerBinding } from "../platform-state.ts";
import { applyDurableObjectMigrations } from "./durable-object-migrations.ts";
import { NAME, readUpload, resolveBindings, scriptView, settingsView, uploadedScript } from "./script-upload.ts";

/** What the account's own Workers may bind locally: what a dispatcher needs. */
const ACCOUNT_WORKER_BINDINGS: ReadonlySet<WorkerBinding["type"]> = new Set([
  "dispatch_namespace",
  "analytics_engine",
  "durable_object_namespace",
  "kv_namespace",
  "plain_text",
  "secret_text",
  "json",
]);

/** A route pattern: an optional scheme-less host (with `*` wildcards) and a path ending in `*` or not. */
const ROUTE_PATTERN = /^[a-z0-9*.-]+\/[^\s]*$/i;

export function workerRoutes(ctx: PlatformContext): Hono {
  const app = new Hono();
  const { state, runtime } = ctx;
  const scripts = "/accounts/:account_id/workers/scripts";

  const requireScript = (c: Context): ScriptRecord => {
    requireAccount(ctx, c);
    const record = state.data.accountScripts[c.req.param("script_name")!];
    if (record === undefined) throw notFound(10007, "This Worker does not exist on your account.");
    return record;
  };

  app.put(`${scripts}/:script_name`, async (c) => {
    requireAccount(ctx, c);
    const name = c.req.param("script_name");
    if (!NAME.test(name))
      throw badRequest(10016, `Invalid Worker name '${name}': use lower-case letters, digits, - and _`);
    const upload = await readUpload(c);
    const started = performance.now();
    const previous = state.data.accountScripts[name];
    const declared = resolveBindings(ctx, upload.metadata, previous, ACCOUNT_WORKER_BINDINGS);
    if (declared.filter((b) => b.type === "dispatch_namespace").length > 1)
      throw badRequest(10021, "The local platform runs a Worker with at most one dispatch namespace binding");
    const { bindings, ...classes } = applyDurableObjectMigrations(name, upload.metadata.migrations, previous, declared);
    const record = uploadedScript(ACCOUNT_SCRIPT, name, upload, bindings, previous, {
      tags: [],
      ...classes,
      ...(upload.metadata.annotations === undefined ? {} : { annotations: upload.metadata.annotations }),
    });
    const { etag } = record;
    state.writeModules(ACCOUNT_SCRIPT, name, etag, upload.modules);
    state.data.accountScripts[name] = record;
    try {
      // Serving traffic: workerd takes the new version now, or refuses it as Cloudflare does code
      // that does not start, and the previous version keeps serving.
      await runtime.applyZoneWorkers();
    } catch (error) {
      if (previous === undefined) delete state.data.accountScripts[name];
      else state.data.accountScripts[name] = previous;
      if (previous?.etag !== etag) state.removeModuleVersion(record);
      await runtime.applyZoneWorkers().catch(() => undefined);
      throw badRequest(10021, String((error as Error)?.message ?? error).replace(/\s*\n\s*/g, " "));
    }
    state.save();
    if (previous !== undefined && previous.etag !== etag) state.removeModuleVersion(previous);
    return ok(c, { ...scriptView(record), startup_time_ms: Math.round(performance.now() - started) });
  });

  app.get(`${scripts}/:script_name/settings`, (c) => {
    const record = requireScript(c);
    return ok(c, settingsView(record, { annotations: record.annotations ?? {} }));
  });

  app.delete(`${scripts}/:script_name`, async (c) => {
    const record = requireScript(c);
    delete state.data.accountScripts[record.name];
    state.save();
    await runtime.applyZoneWorkers();
    state.removeScriptModules(record);
    return ok(c, null);
  });

  const routes = "/zones/:zone_id/workers/routes";
  const RouteBody = z.object({
    pattern: z.string().regex(ROUTE_PATTERN, "a route pattern such as example.com/* or */*"),
    script: z.string().regex(NAME).optional(),
  });
  const requireRoute = (c: Context) => {
    requireZone(ctx, c);
    const route = state.data.workerRoutes[c.req.param("route_id")!];
    if (route === undefined) throw notFound(10020, "Route not found");
    return route;
  };
  const samePattern = (pattern: string, exceptId?: string) =>
    Object.values(state.data.workerRoutes).some((r) => r.pattern === pattern && r.id !== exceptId);

  app.post(routes, async (c) => {
    requireZone(ctx, c);
    const body = await jsonBody(c, RouteBody);
    if (samePattern(body.pattern)) throw conflict(10020, `A route with the pattern '${body.pattern}' already exists`);
    const route = { id: hexId(), pattern: body.pattern, ...(body.script === undefined ? {} : { script: body.script }) };
    state.data.workerRoutes[route.id] = route;
    state.save();
    await runtime.applyZoneWorkers();
    return ok(c, route);
  });
  app.get(routes, (c) => {
    requireZone(ctx, c);
    return ok(c, Object.values(state.data.workerRoutes));
  });
  app.get(`${routes}/:route_id`, (c) => ok(c, requireRoute(c)));
  app.put(`${routes}/:route_id`, async (c) => {
    const route = requireRoute(c);
    const body = await jsonBody(c, RouteBody);
    if (samePattern(body.pattern, route.id))
      throw conflict(10020, `A route with the pattern '${body.pattern}' already exists`);
    const updated = {
      id: route.id,
      pattern: body.pattern,
      ...(body.script === undefined ? {} : { script: body.script }),
    };
    state.data.workerRoutes[route.id] = updated;
    state.save();
    await runtime.applyZoneWorkers();
    return ok(c, updated);
  });
  app.delete(`${routes}/:route_id`, async (c) => {
    const route = requireRoute(c);
    delete state.data.workerRoutes[route.id];
    state.save();
    await runtime.applyZoneWorkers();
    return ok(c, { id: route.id });
  });

  return app;
}
