/**
 * Runs the local platform's Workers in one workerd process through Miniflare, with a
 * configuration that never changes with the tenants:
 *
 * - the zone's Worker, first, so it receives the traffic: the account script the zone's `*` + `/*`
 *   route names (the dispatcher, which `platform init` uploads through the API as on Cloudflare),
 *   its dispatch namespace binding served by the local shim; until there is one, a Worker that
 *   says the platform is not initialised. Uploading it or changing the route restarts workerd
 *   once ({@link WorkerdRuntime.applyZoneWorkers}): rare, and no tenant is loaded at a start;
 * - the front Worker of the path form `/_tenant/<hostname>/...` (worker-shims/tenant-path.ts);
 * - the tenant host (worker-shims/tenant-host.ts), which loads each tenant Worker with workerd's
 *   Worker Loader when it is first needed, with the bindings its upload declared, and drops it when
 *   idle; and through which Node reaches any D1 database or KV namespace by id.
 *
 * So creating, uploading or deleting a tenant, a database or a namespace costs the same with
 * 1,000 tenants as with 1, a restart does not load any tenant, and workerd's memory follows the
 * tenants in use. (Until issue 10, every change re-applied a configuration holding every tenant
 * Worker: O(tenants) per change; docs/local-platform.md says why the loader was chosen.)
 */
import { type Json, Log, LogLevel, Miniflare, type MiniflareOptions, type WorkerOptions } from "miniflare";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  findWorkerdPid,
  startWorkerdWatchdog,
  WORKERD_TOKEN_VARIABLE,
  type WorkerdWatchdog,
} from "./workerd-watchdog.ts";
import type { Readable } from "node:stream";
import type { PlatformState, ScriptRecord } from "./platform-state.ts";
import { LOCAL_TENANT_PATH_PREFIX } from "../../contracts/local-tenant-url.ts";
import { platformHostList } from "./tenant-path.ts";
import {
  buildAnalyticsEngineShim,
  buildDispatchNamespaceShim,
  buildTenantHostWorker,
  buildTenantPathWorker,
} from "./platform-workers.ts";
import {
  ANALYTICS_STORE_BINDING,
  ANALYTICS_STORE_DATABASE,
  ANALYTICS_STORE_SCHEMA,
} from "./analytics-engine-schema.ts";
import { TENANTS_BINDING } from "./dispatch-namespace-names.ts";
import { STORAGE_OBJECTS_PLUGIN_NAME } from "./storage-objects-plugin.ts";
import { replicaDatabaseId } from "./worker-shims/d1-read-replica.ts";
import { KvWireClient } from "./kv-wire-client.ts";
import {
  HOST_BOOT_DATABASE,
  HOST_PATHS,
  HOST_SECRET_HEADER,
  type HostedScript,
  type HostStats,
} from "./tenant-host-protocol.ts";

/** One SQL statement and its parameters, as the D1 REST API takes them. */
export interface D1Statement {
  sql: string;
  params: readonly (string | number | boolean | null)[];
}

/** One statement's result, as D1 gives it to a Worker. */
export interface D1StatementResult {
  results?: Record<string, unknown>[];
  success: boolean;
  meta?: {
    duration?: number;
    changes?: number;
    last_row_id?: number;
    changed_db?: boolean;
    size_after?: number;
    rows_read?: number;
    rows_written?: number;
  };
}

export interface RuntimeOptions {
  host: string;
  port: number;
  /**
   * The read replicas' lag in milliseconds: above 0, every database with read replication on
   * ("auto") gets a replica that trails it by this much (worker-shims/d1-read-replica.ts).
   */
  d1ReplicaLagMs?: number;
  /** How many tenant Workers stay loaded at most (default {@link DEFAULT_MAX_LOADED_TENANTS}). */
  maxLoadedTenants?: number;
  /** A tenant Worker unused this long is unloaded (default {@link DEFAULT_IDLE_UNLOAD_MS}). */
  idleUnloadMs?: number;
  logLevel?: LogLevel;
  /** Where the runtime says what it did on its own (a restart after workerd died). */
  log?: (message: string) => void;
}

/** The zone's Worker (the dispatcher, once `platform init` has run) as Miniflare names it. */
const ZONE_WORKER = "wfp-dispatcher";
/** The route pattern whose script answers all of the zone's traffic (Cloudflare's `*` + `/*`). */
export const ZONE_CATCH_ALL = "*/*";
/** What answers before any Worker serves the zone. */
const NOT_INITIALISED_WORKER = `export default {
  fetch() {
    return new Response("No Worker serves this zone yet: run npm run platform -- init (npm start runs it).\\n", {
      status: 503,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  },
};`;
/** The tenant host's Miniflare name (worker-shims/tenant-host.ts). */
export const TENANT_HOST_WORKER = "wfp-tenant-host";
/** The front Worker for the path form `/_tenant/<hostname>/...` (worker-shims/tenant-path.ts). */
const TENANT_PATH_WORKER = "wfp-tenant-path";
/** The dispatcher's own default, for one uploaded without PLATFORM_HOSTS. */
const DEFAULT_PLATFORM_HOSTS = "localhost,127.0.0.1";
/** A loaded tenant Worker holds about 16 MB of workerd's memory (docs/local-platform.md). */
export const DEFAULT_MAX_LOADED_TENANTS = 50;
export const DEFAULT_IDLE_UNLOAD_MS = 10 * 60_000;
/**
 * The tenant host's compatibility date: one at which `ctx.exports` is on by default (since
 * 2025-11-17; naming its flag makes workerd refuse to start) and workerd's Worker Loader exists.
 */
const TENANT_HOST_COMPATIBILITY_DATE = "2026-06-01";
/** A stored module's etag (hex sha-256) and name, as the host asks for them. */
const ETAG = /^[0-9a-f]{64}$/;

export class WorkerdRuntime {
  private mf: Miniflare | undefined;
  /** What the tenant host requires of Node's requests; new with every process. */
  private readonly hostSecret = randomBytes(32).toString("hex");
  /** Marks this runtime's workerd among this process's children (see workerd-watchdog.ts). */
  private readonly runtimeToken = randomBytes(16).toString("hex");
  private readonly watchdog: WorkerdWatchdog = startWorkerdWatchdog();
  /** The platform's own Workers, bundled once at start. */
  private shims:
    | { tenantPath: string; host: string; tenantBindings: string; dispatchShim: string; analyticsShim: string }
    | undefined;
  /** What the running configuration's zone Worker was built from ({@link fingerprint}). */
  private zoneFingerprint = "";
  private zoneChange: Promise<void> = Promise.resolve();

  constructor(
    private readonly state: PlatformState,
    private readonly options: RuntimeOptions,
  ) {}

  async start(): Promise<void> {
    const [tenantPath, host, dispatchShim, analyticsShim] = await Promise.all([
      buildTenantPathWorker(),
      buildTenantHostWorker(),
      buildDispatchNamespaceShim(),
      buildAnalyticsEngineShim(),
    ]);
    this.shims = { tenantPath, host: host.code, tenantBindings: host.tenantBindings, dispatchShim, analyticsShim };
    const options = this.buildOptions();
    this.zoneFingerprint = this.fingerprint();
    this.mf = new Miniflare(options);
    await this.mf.ready;
    this.watchWorkerd();
    // The Analytics Engine store (analytics-engine-schema.ts), before any Worker can write to it.
    await this.queryD1(
      ANALYTICS_STORE_DATABASE,
      ANALYTICS_STORE_SCHEMA.map((sql) => ({ sql, params: [] })),
    );
  }

  /**
   * The script the zone's catch-all route names, as the account holds it; undefined when there is
   * no such route or script (the platform is not initialised).
   */
  zoneScript(): ScriptRecord | undefined {
    const route = Object.values(this.state.data.workerRoutes).find((r) => r.pattern === ZONE_CATCH_ALL);
    return route?.script === undefined ? undefined : this.state.data.accountScripts[route.script];
  }

  /**
   * After an account script or a route changed: when what serves the zone's traffic is now
   * different, workerd restarts with it (loaded tenants are dropped and load again when asked).
   * Rejects with workerd's error when the new Worker does not start; the caller puts the old one
   * back and calls again. One at a time.
   */
  applyZoneWorkers(): Promise<void> {
    const run = this.zoneChange.then(async () => {
      const fingerprint = this.fingerprint();
      if (fingerprint === this.zoneFingerprint || this.mf === undefined) return;
      this.zoneFingerprint = fingerprint;
      await this.mf.setOptions(this.buildOptions());
      this.watchWorkerd();
    });
    this.zoneChange = run.catch(() => undefined);
    return run;
  }

  /** What the zone Worker's configuration depends on. */
  private fingerprint(): string {
    const script = this.zoneScript();
    if (script === undefined) return "none";
    const kv = script.bindings.flatMap((b) =>
      b.type === "kv_namespace" ? [`${b.namespace_id}:${this.state.data.kv[b.namespace_id] !== undefined}`] : [],
    );
    return JSON.stringify([script.name, script.etag, kv]);
  }

  /** The live workerd's pid (for diagnostics and tests), when it can be known. */
  workerdPid(): number | undefined {
    return findWorkerdPid(this.runtimeToken);
  }

  /** Tells the watchdog workerd's pid, which changes with every restart. */
  private watchWorkerd(): void {
    const pid = this.workerdPid();
    if (pid !== undefined) this.watchdog.watch(pid);
  }

  /**
   * Miniflare starts workerd again when it dies (reusing the ports; its proxies are poisoned so
   * none outlives the old process); this says so, and points the watchdog at the new process.
   */
  private onRuntimeRestart = (): void => {
    this.watchWorkerd();
    (this.options.log ?? ((message: string) => console.warn(message)))(
      `local platform: workerd stopped unexpectedly and was restarted (pid ${this.workerdPid() ?? "unknown"}); ` +
        "serving again",
    );
  };

  /**
   * Loads a script version afresh and starts it (its modules' top level runs), without serving it
   * and without any request reaching it; rejects with workerd's own error when it does not start,
   * as Cloudflare refuses such an upload.
   */
  async checkScript(record: ScriptRecord): Promise<void> {
    const reply = (await (await this.postToHost(HOST_PATHS.check, this.hosted(record))).json()) as
      | { ok: true }
      | { error: string };
    if ("error" in reply) throw new Error(reply.error);
  }

  /** Makes the tenant host forget what it holds of a script (after an upload or a delete). */
  async forgetScript(namespace: string, name: string): Promise<void> {
    await (await this.postToHost(HOST_PATHS.forget, { namespace, name })).text();
  }

  /** What the tenant host holds now (which tenant Workers are loaded). */
  async hostStats(): Promise<HostStats> {
    return (await (await this.toHost(HOST_PATHS.stats)).json()) as HostStats;
  }

  /**
   * Runs statements as one D1 batch (one transaction) on the database with this id, inside
   * workerd with D1's own client: one request to the tenant host. Rejects with D1's own message
   * when a statement fails.
   *
   * @example
   *   const [result] = await runtime.queryD1(uuid, [{ sql: "SELECT 1 AS one", params: [] }]);
   *   result.results // [{ one: 1 }]
   */
  async queryD1(uuid: string, statements: readonly D1Statement[]): Promise<D1StatementResult[]> {
    const response = await this.postToHost(HOST_PATHS.d1(uuid), { statements, replicated: this.replicated(uuid) });
    const reply = (await response.json()) as { results: D1StatementResult[] } | { error: string };
    if ("error" in reply) throw new Error(reply.error);
    return reply.results;
  }

  /**
   * Where a database's data is: its own id, and its read replica's when it has one, so deleting
   * the database can empty both (each is a valid id for {@link queryD1}).
   */
  storageIds(uuid: string): string[] {
    return this.replicated(uuid) ? [uuid, replicaDatabaseId(uuid)] : [uuid];
  }

  /**
   * Runs `work` on the KV namespace with this id, as its Workers see it.
   *
   * @example
   *   const value = await runtime.withKv(id, (kv) => kv.get("key", "text"));
   */
  async withKv<T>(id: string, work: (kv: KvWireClient) => Promise<T>): Promise<T> {
    const prefix = HOST_PATHS.kvPrefix(id);
    return work(new KvWireClient((path, init) => this.toHost(`${prefix}${path}`, init)));
  }

  /** The URL tenant traffic reaches (the port is fixed across restarts). */
  async url(): Promise<string> {
    const url = await this.requireMf().ready;
    return url.origin;
  }

  async dispose(): Promise<void> {
    await this.mf?.dispose();
    this.mf = undefined;
    this.watchdog.stop();
  }

  private requireMf(): Miniflare {
    if (this.mf === undefined) throw new Error("the runtime is not started");
    return this.mf;
  }

  private postToHost(path: string, body: unknown): Promise<Response> {
    return this.toHost(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  /** A request to the tenant host's Node-only entrypoint (tenant-host-protocol.ts). */
  private async toHost(path: string, init: RequestInit = { method: "GET" }): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set(HOST_SECRET_HEADER, this.hostSecret);
    headers.set("MF-Route-Override", TENANT_HOST_WORKER);
    const response = await this.requireMf().dispatchFetch(`http://tenant-host${path}`, {
      ...(init as object),
      headers,
    } as never);
    return response as unknown as Response;
  }

  private hosted(record: ScriptRecord): HostedScript {
    return {
      record,
      replicated: record.bindings.flatMap((b) =>
        b.type === "d1" && this.replicated(b.database_id) ? [b.database_id] : [],
      ),
    };
  }

  /** The tenant host's questions (tenant-host-protocol.ts): a script's record, a module's bytes. */
  private servePlatform = (request: Request): Response => {
    const segments = new URL(request.url).pathname.split("/").slice(1).map(decodeURIComponent);
    const [root, namespace, name, etag, ...modulePath] = segments;
    if (root !== "scripts" || namespace === undefined || name === undefined) return new Response(null, { status: 400 });
    if (etag === undefined) {
      const record = this.state.data.scripts[`${namespace}/${name}`];
      return record === undefined ? new Response(null, { status: 404 }) : Response.json(this.hosted(record));
    }
    const module = modulePath.join("/");
    if (!ETAG.test(etag) || module === "" || module.split("/").some((part) => part === ".." || part === "")) {
      return new Response(null, { status: 400 });
    }
    try {
      const bytes = this.state.readModule({ namespace, name, etag } as ScriptRecord, module);
      return new Response(bytes);
    } catch {
      return new Response(null, { status: 404 });
    }
  };

  /**
   * The zone's Worker as workerd runs it: the uploaded modules, behind an entry module that gives
   * its dispatch namespace binding the local shim; its vars and KV bindings as uploaded (a KV
   * namespace deleted since answers as an empty one, so a deleted routing store fails closed).
   */
  private zoneWorker(): { worker: WorkerOptions; namespace: string; platformHosts: string } {
    const script = this.zoneScript();
    if (script === undefined) {
      return {
        worker: {
          name: ZONE_WORKER,
          modules: [{ type: "ESModule", path: "not-initialised.js", contents: NOT_INITIALISED_WORKER }],
          compatibilityDate: TENANT_HOST_COMPATIBILITY_DATE,
        },
        namespace: "",
        platformHosts: DEFAULT_PLATFORM_HOSTS,
      };
    }
    const vars: Record<string, Json> = {};
    const kvNamespaces: Record<string, string> = {};
    // Its own Durable Object classes, SQLite-backed as their migrations made them, stored under
    // <state>/do (durableObjectsPersist), so counts and data survive restarts as on Cloudflare.
    const durableObjects: Record<string, { className: string; useSQLite: true }> = {};
    let dispatch: { name: string; namespace: string } | undefined;
    const datasets: Record<string, string> = {};
    for (const b of script.bindings) {
      if (b.type === "plain_text" || b.type === "secret_text") vars[b.name] = b.text;
      else if (b.type === "json") vars[b.name] = b.json as Json;
      else if (b.type === "kv_namespace")
        kvNamespaces[b.name] =
          this.state.data.kv[b.namespace_id] !== undefined ? b.namespace_id : `deleted-${b.namespace_id}`;
      else if (b.type === "dispatch_namespace") dispatch = b;
      else if (b.type === "analytics_engine") datasets[b.name] = b.dataset;
      else if (b.type === "durable_object_namespace")
        durableObjects[b.name] = { className: b.class_name, useSQLite: true };
    }
    const analytics = Object.keys(datasets).length > 0;
    const modules = script.modules.map((m) => ({
      type: m.type,
      path: m.name,
      contents: this.state.readModule(script, m.name),
    }));
    const shims = this.requireShims();
    // The uploaded handler, behind the local dispatch namespace and Analytics Engine (each when bound).
    let wrapped = "handler";
    if (dispatch !== undefined) wrapped = `withLocalDispatchNamespace(${wrapped}, ${JSON.stringify(dispatch.name)})`;
    if (analytics) wrapped = `withLocalAnalyticsEngine(${wrapped}, ${JSON.stringify(datasets)})`;
    // Its Durable Object classes see the dispatch namespace too, as they do on Cloudflare; these
    // exports take the place of the plain ones `export *` gives.
    const classes = [...new Set(Object.values(durableObjects).map((d) => d.className))];
    const wrappedClasses =
      dispatch === undefined || classes.length === 0
        ? []
        : [
            `export const { ${classes.join(", ")} } = withLocalDispatchNamespaceObjects(` +
              `{ ${classes.map((c) => `${c}: main.${c}`).join(", ")} }, ${JSON.stringify(dispatch.name)});`,
          ];
    const entry =
      wrapped === "handler"
        ? []
        : [
            {
              type: "ESModule" as const,
              path: "__wfp-zone-entry.js",
              contents: [
                `import handler, * as main from ${JSON.stringify(`./${script.mainModule}`)};`,
                "import { withLocalDispatchNamespace, withLocalDispatchNamespaceObjects }" +
                  ` from "./__wfp-dispatch-namespace.js";`,
                `import { withLocalAnalyticsEngine } from "./__wfp-analytics-engine.js";`,
                `export * from ${JSON.stringify(`./${script.mainModule}`)};`,
                `export default ${wrapped};`,
                ...wrappedClasses,
              ].join("\n"),
            },
            { type: "ESModule" as const, path: "__wfp-dispatch-namespace.js", contents: shims.dispatchShim },
            { type: "ESModule" as const, path: "__wfp-analytics-engine.js", contents: shims.analyticsShim },
          ];
    const main = modules.find((m) => m.path === script.mainModule)!;
    return {
      worker: {
        name: ZONE_WORKER,
        // The entry module first: workerd starts the Worker from it.
        modules: [...entry, main, ...modules.filter((m) => m !== main)],
        compatibilityDate: script.compatibilityDate,
        compatibilityFlags: script.compatibilityFlags,
        bindings: vars,
        kvNamespaces,
        ...(analytics ? { d1Databases: { [ANALYTICS_STORE_BINDING]: ANALYTICS_STORE_DATABASE } } : {}),
        durableObjects,
        ...(dispatch === undefined
          ? {}
          : { serviceBindings: { [TENANTS_BINDING]: { name: TENANT_HOST_WORKER, entrypoint: "Dispatch" } } }),
      },
      namespace: dispatch?.namespace ?? "",
      platformHosts: typeof vars.PLATFORM_HOSTS === "string" ? vars.PLATFORM_HOSTS : DEFAULT_PLATFORM_HOSTS,
    };
  }

  private requireShims() {
    if (this.shims === undefined) throw new Error("the runtime is not started");
    return this.shims;
  }

  private buildOptions(): MiniflareOptions {
    const shims = this.requireShims();
    const zone = this.zoneWorker();
    const dispatcherWorker = zone.worker;
    // Miniflare hands it only a platform host's `/_tenant/` paths (its routes); everything else
    // goes to the first Worker, the dispatcher, with no extra hop.
    const platformHosts = zone.platformHosts;
    const tenantPathWorker: WorkerOptions = {
      name: TENANT_PATH_WORKER,
      modules: [{ type: "ESModule", path: "tenant-path.js", contents: shims.tenantPath }],
      compatibilityDate: TENANT_HOST_COMPATIBILITY_DATE,
      bindings: { PLATFORM_HOSTS: platformHosts },
      serviceBindings: { DISPATCHER: dispatcherWorker.name! },
      routes: platformHostList(platformHosts).map((host) => `${host}${LOCAL_TENANT_PATH_PREFIX}*`),
    };
    const tenantHost: WorkerOptions = {
      name: TENANT_HOST_WORKER,
      modules: [{ type: "ESModule", path: "tenant-host.js", contents: shims.host }],
      compatibilityDate: TENANT_HOST_COMPATIBILITY_DATE,
      bindings: {
        HOST_SECRET: this.hostSecret,
        NAMESPACE: zone.namespace,
        TENANT_BINDINGS_MODULE: shims.tenantBindings,
        REPLICA_LAG_MS: String(this.options.d1ReplicaLagMs ?? 0),
        MAX_LOADED: String(this.options.maxLoadedTenants ?? DEFAULT_MAX_LOADED_TENANTS),
        IDLE_UNLOAD_MS: String(this.options.idleUnloadMs ?? DEFAULT_IDLE_UNLOAD_MS),
      },
      // BOOT: Miniflare runs its D1 and KV storage services only when some Worker binds one; the
      // host also takes workerd's D1 client class from it.
      d1Databases: { BOOT: HOST_BOOT_DATABASE },
      kvNamespaces: { KV_BOOT: HOST_BOOT_DATABASE },
      workerLoaders: { LOADER: {} },
      // Holds the loaded tenant Workers (a loader's stub outlives a request only in an object).
      durableObjects: { TENANT_HOST: "TenantHost" },
      serviceBindings: { PLATFORM: this.servePlatform as never },
      unsafeBindings: [
        { name: "D1_OBJECTS", type: "d1-objects", plugin: STORAGE_OBJECTS_PLUGIN, options: {} },
        { name: "KV_OBJECTS", type: "kv-objects", plugin: STORAGE_OBJECTS_PLUGIN, options: {} },
      ],
    };

    return {
      host: this.options.host,
      port: this.options.port,
      d1Persist: join(this.state.dir, "d1"),
      kvPersist: join(this.state.dir, "kv"),
      durableObjectsPersist: join(this.state.dir, "do"),
      // No request.cf from Cloudflare's servers: this machine has no internet, and user Workers
      // in a dispatch namespace do not see request.cf anyway.
      cf: false,
      unsafeRuntimeEnv: { [WORKERD_TOKEN_VARIABLE]: this.runtimeToken },
      unsafeHandleRuntimeRestart: this.onRuntimeRestart,
      handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
        stdout.on("data", (chunk: Buffer) => process.stdout.write(chunk));
        stderr.on("data", (chunk: Buffer) => process.stderr.write(chunk));
      },
      log: new Log(this.options.logLevel ?? LogLevel.WARN),
      // The first Worker receives all traffic but the path form's: that is the dispatcher.
      workers: [dispatcherWorker, tenantPathWorker, tenantHost],
    };
  }

  /** Whether this database runs with a read replica (replicas on, and its read replication "auto"). */
  private replicated(uuid: string): boolean {
    return (this.options.d1ReplicaLagMs ?? 0) > 0 && this.state.data.d1[uuid]?.readReplicationMode === "auto";
  }
}

/** Miniflare imports the plugin by path, in Node. */
const STORAGE_OBJECTS_PLUGIN = {
  package: fileURLToPath(new URL("./storage-objects-plugin.ts", import.meta.url)),
  name: STORAGE_OBJECTS_PLUGIN_NAME,
};
