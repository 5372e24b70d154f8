/**
 * Runs every Worker the local platform knows about in one workerd process through Miniflare:
 * the dispatcher (with the local dispatch namespace shim), every uploaded script with the
 * bindings its metadata declares, a private admin Worker bound to every D1 database and KV
 * namespace so the REST API can reach their data through the same storage the Workers use, and
 * the front Worker of the path form `/_tenant/<hostname>/...` (worker-shims/tenant-path.ts).
 *
 * Workerd's configuration is static, so a change of scripts or bindings re-applies the whole
 * configuration (Miniflare restarts workerd; data persists on disk). Changes are serialised and
 * coalesced: callers that arrive while a restart is queued share it. A restart costs most of a
 * second of CPU per tenant Worker, so new D1 databases take ids the admin Worker already binds
 * (see {@link WorkerdRuntime.newD1Id}): creating a database and querying it restarts nothing.
 *
 * Data access and restarts never overlap ({@link RestartGate}): Miniflare's `setOptions()` first
 * poisons its Node-side proxies, then restarts workerd once earlier work is done; a proxy taken in
 * between points into the old workerd's proxy heap, and Miniflare caches it as valid, so every
 * later use fails with workerd's `false == true` assertion until the next restart.
 */
import { Log, LogLevel, Miniflare, type MiniflareOptions, type WorkerOptions } from "miniflare";
import { randomBytes, randomUUID } from "node:crypto";
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
import { buildTenantPathWorker } from "./tenant-path-worker.ts";
import { SCRIPT_BINDING_PREFIX, SCRIPT_TABLE_VAR } from "./dispatch-namespace-names.ts";
import {
  D1_REPLICA_PLUGIN_NAME,
  D1_REPLICA_WORKER,
  primaryBinding,
  replicaBinding,
  replicaDatabaseId,
} from "./d1-replica-plugin.ts";

/** The dispatcher as the platform runs it: code already wrapped with the namespace shim. */
export interface DispatcherWorker {
  code: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  vars: Record<string, string>;
  routesBinding: string;
  namespace: string;
}

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
  dispatcher: DispatcherWorker;
  routesNamespaceId: () => string;
  /**
   * The read replicas' lag in milliseconds: above 0, every database with read replication on
   * ("auto") gets a replica that trails it by this much (worker-shims/d1-read-replica.ts).
   */
  d1ReplicaLagMs?: number;
  /** The replica Worker, bundled (needed when d1ReplicaLagMs is above 0). */
  d1ReplicaCode?: string;
  logLevel?: LogLevel;
  /** Where the runtime says what it did on its own (a restart after workerd died). */
  log?: (message: string) => void;
}

const ADMIN_WORKER = "wfp-platform-admin";
/** The front Worker for the path form `/_tenant/<hostname>/...` (worker-shims/tenant-path.ts). */
const TENANT_PATH_WORKER = "wfp-tenant-path";
/** The dispatcher's own default, for a wrangler.jsonc without PLATFORM_HOSTS. */
const DEFAULT_PLATFORM_HOSTS = "localhost,127.0.0.1";
/**
 * The admin Worker runs a D1 batch for the REST API: POST /d1/<binding> with the statements as
 * JSON, answered with D1's results, or with `{ error }` holding D1's message. Miniflare lets any
 * client of the traffic port pick a Worker by name (its MF-Route-Override header), so the admin
 * Worker answers only requests that carry this process's random secret.
 */
const ADMIN_SECRET_HEADER = "x-wfp-admin-secret";
const ADMIN_SCRIPT = `export default {
  async fetch(request, env) {
    const binding = new URL(request.url).pathname.match(/^\\/d1\\/(D1_\\w+)$/)?.[1];
    const presented = new TextEncoder().encode(request.headers.get("${ADMIN_SECRET_HEADER}") ?? "");
    const expected = new TextEncoder().encode(env.ADMIN_SECRET);
    const allowed = presented.byteLength === expected.byteLength && crypto.subtle.timingSafeEqual(presented, expected);
    if (!allowed || request.method !== "POST" || binding === undefined || env[binding] === undefined) {
      return new Response(null, { status: 404 });
    }
    const db = env[binding];
    const statements = await request.json();
    try {
      return Response.json({ results: await db.batch(statements.map((s) => db.prepare(s.sql).bind(...s.params))) });
    } catch (error) {
      return Response.json({ error: String(error?.message ?? error) });
    }
  },
};`;
/** How many unused D1 ids the admin Worker binds ahead of need (each is one tiny workerd service). */
const SPARE_D1_IDS = 4;
const d1Binding = (uuid: string) => `D1_${uuid.replaceAll("-", "_")}`;
const kvBinding = (id: string) => `KV_${id}`;
/** Miniflare worker name of a script in a dispatch namespace. */
const scriptWorkerName = (namespace: string, name: string) => `dispatch:${namespace}:${name}`;

type Kv = Awaited<ReturnType<Miniflare["getKVNamespace"]>>;

/**
 * Shared use of Miniflare's proxies, exclusive restarts: a restart waits for the uses in flight,
 * and uses that arrive while a restart waits or runs start after it (so restarts cannot starve).
 */
class RestartGate {
  private users = 0;
  private idle: (() => void)[] = [];
  private restart: Promise<unknown> | null = null;

  async use<T>(work: () => Promise<T>): Promise<T> {
    while (this.restart !== null) await this.restart.catch(() => undefined);
    this.users++;
    try {
      return await work();
    } finally {
      this.users--;
      if (this.users === 0) for (const wake of this.idle.splice(0)) wake();
    }
  }

  /** Callers run one at a time (reconfigure() serialises them). */
  async exclusive<T>(restart: () => Promise<T>): Promise<T> {
    const run = (async () => {
      if (this.users > 0) await new Promise<void>((wake) => this.idle.push(wake));
      return restart();
    })();
    this.restart = run;
    try {
      return await run;
    } finally {
      this.restart = null;
    }
  }
}

export class WorkerdRuntime {
  private mf: Miniflare | undefined;
  private appliedD1 = new Set<string>();
  /** Ids no database has yet, bound to the admin Worker by the next (or the live) configuration. */
  private spareD1: string[] = [];
  /** What the admin Worker requires of every request (see ADMIN_SCRIPT); new with every process. */
  private readonly adminSecret = randomBytes(32).toString("hex");
  private appliedKv = new Set<string>();
  private readonly gate = new RestartGate();
  /** Marks this runtime's workerd among this process's children (see workerd-watchdog.ts). */
  private readonly runtimeToken = randomBytes(16).toString("hex");
  private readonly watchdog: WorkerdWatchdog = startWorkerdWatchdog();
  private running: Promise<void> = Promise.resolve();
  private pending: Promise<void> | null = null;
  /** workerd's recent stderr, so a script that fails to start is reported with its own error. */
  private recentErrors: string[] = [];
  /** The path form's front Worker, bundled once by {@link start}. */
  private tenantPathCode = "";

  constructor(
    private readonly state: PlatformState,
    private readonly options: RuntimeOptions,
  ) {}

  async start(): Promise<void> {
    this.tenantPathCode = await buildTenantPathWorker();
    const config = this.buildOptions();
    this.mf = new Miniflare(config.options);
    await this.mf.ready;
    this.appliedD1 = config.d1;
    this.appliedKv = config.kv;
    this.watchWorkerd();
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
   * Applies the current state to workerd. Resolves once a configuration that includes every
   * change made before the call is live; rejects if workerd refused it (e.g. a script that
   * does not start), in which case the caller must restore the previous state and call again.
   */
  reconfigure(): Promise<void> {
    if (this.pending !== null) return this.pending;
    const next = this.running
      .catch(() => undefined)
      .then(async () => {
        this.pending = null;
        const mf = this.mf;
        if (mf === undefined) throw new Error("the runtime is not started");
        const config = this.buildOptions();
        this.recentErrors = [];
        try {
          await this.gate.exclusive(() => mf.setOptions(config.options));
          this.watchWorkerd();
        } catch (error) {
          const uncaught = this.recentErrors.find((line) => line.includes("Uncaught"));
          throw new Error(
            uncaught === undefined
              ? String((error as Error).message)
              : uncaught.replace(/^service core:user:[^:]+:[^:]+:[^:]+: /, ""),
            { cause: error },
          );
        }
        this.appliedD1 = config.d1;
        this.appliedKv = config.kv;
      });
    this.pending = next;
    this.running = next;
    return next;
  }

  /**
   * An id for a new D1 database: one the live configuration already binds when there is one, so
   * the database's first query needs no restart; the next restart binds fresh spares.
   *
   * @example
   *   const record = { uuid: runtime.newD1Id(), name: "wfp-tenant-acme" };
   */
  newD1Id(): string {
    const index = this.spareD1.findIndex((id) => this.appliedD1.has(id));
    return index === -1 ? randomUUID() : this.spareD1.splice(index, 1)[0]!;
  }

  /**
   * Runs statements as one D1 batch (one transaction) on the database with this id, inside
   * workerd: one request to the admin Worker. (Through Miniflare's D1 proxy every `prepare()` and
   * `bind()` is a synchronous round trip that blocks this process: two per statement, over a
   * hundred for a tenant's migrations.) Rejects with D1's own message when a statement fails.
   *
   * @example
   *   const [result] = await runtime.queryD1(uuid, [{ sql: "SELECT 1 AS one", params: [] }]);
   *   result.results // [{ one: 1 }]
   */
  async queryD1(uuid: string, statements: readonly D1Statement[]): Promise<D1StatementResult[]> {
    if (!this.appliedD1.has(uuid)) await this.reconfigure();
    const reply = await this.gate.use(async () => {
      const admin = await this.requireMf().getWorker(ADMIN_WORKER);
      const response = await admin.fetch(`http://admin/d1/${d1Binding(uuid)}`, {
        method: "POST",
        headers: { [ADMIN_SECRET_HEADER]: this.adminSecret },
        body: JSON.stringify(statements),
      });
      return (await response.json()) as { results: D1StatementResult[] } | { error: string };
    });
    if ("error" in reply) throw new Error(reply.error);
    return reply.results;
  }

  /**
   * Where a database's data is: its own id, and its read replica's when it has one, so deleting
   * the database can empty both (each is a valid id for {@link queryD1}).
   */
  storageIds(uuid: string): string[] {
    const replica = replicaDatabaseId(uuid);
    return this.appliedD1.has(replica) ? [uuid, replica] : [uuid];
  }

  /**
   * Runs `work` on the KV namespace with this id, as its Workers see it; no restart happens while
   * it runs, so the namespace must not be kept beyond it.
   *
   * @example
   *   const value = await runtime.withKv(id, (kv) => kv.get("key", "text"));
   */
  async withKv<T>(id: string, work: (kv: Kv) => Promise<T>): Promise<T> {
    if (!this.appliedKv.has(id)) await this.reconfigure();
    return this.gate.use(async () => work(await this.requireMf().getKVNamespace(kvBinding(id), ADMIN_WORKER)));
  }

  /** The URL tenant traffic reaches (the port is fixed across restarts). */
  async url(): Promise<string> {
    const url = await this.requireMf().ready;
    return url.origin;
  }

  async dispose(): Promise<void> {
    await this.running.catch(() => undefined);
    await this.mf?.dispose();
    this.mf = undefined;
    this.watchdog.stop();
  }

  private requireMf(): Miniflare {
    if (this.mf === undefined) throw new Error("the runtime is not started");
    return this.mf;
  }

  private buildOptions(): { options: MiniflareOptions; d1: Set<string>; kv: Set<string> } {
    const data = this.state.data;
    const { dispatcher } = this.options;
    const scripts = Object.values(data.scripts);

    const table: Record<string, string> = {};
    const serviceBindings: Record<string, string> = {};
    scripts
      .filter((script) => script.namespace === dispatcher.namespace)
      .forEach((script, index) => {
        const binding = `${SCRIPT_BINDING_PREFIX}${index}`;
        table[script.name] = binding;
        serviceBindings[binding] = scriptWorkerName(script.namespace, script.name);
      });

    const dispatcherWorker: WorkerOptions = {
      name: "wfp-dispatcher",
      modules: [{ type: "ESModule", path: "dispatcher.js", contents: dispatcher.code }],
      compatibilityDate: dispatcher.compatibilityDate,
      compatibilityFlags: dispatcher.compatibilityFlags,
      bindings: { ...dispatcher.vars, [SCRIPT_TABLE_VAR]: table },
      kvNamespaces: { [dispatcher.routesBinding]: this.options.routesNamespaceId() },
      serviceBindings,
    };
    // Miniflare hands it only a platform host's `/_tenant/` paths (its routes); everything else
    // goes to the first Worker, the dispatcher, with no extra hop.
    const platformHosts = dispatcher.vars.PLATFORM_HOSTS ?? DEFAULT_PLATFORM_HOSTS;
    const tenantPathWorker: WorkerOptions = {
      name: TENANT_PATH_WORKER,
      modules: [{ type: "ESModule", path: "tenant-path.js", contents: this.tenantPathCode }],
      compatibilityDate: dispatcher.compatibilityDate,
      compatibilityFlags: dispatcher.compatibilityFlags,
      bindings: { PLATFORM_HOSTS: platformHosts },
      serviceBindings: { DISPATCHER: dispatcherWorker.name! },
      routes: platformHostList(platformHosts).map((host) => `${host}${LOCAL_TENANT_PATH_PREFIX}*`),
    };

    this.spareD1 = this.spareD1.filter((id) => data.d1[id] === undefined);
    while (this.spareD1.length < SPARE_D1_IDS) this.spareD1.push(randomUUID());
    const d1 = new Set([...Object.keys(data.d1), ...this.spareD1]);
    const kv = new Set(Object.keys(data.kv));
    const replicated = [...d1].filter((uuid) => this.replicated(uuid));
    const adminWorker: WorkerOptions = {
      name: ADMIN_WORKER,
      modules: true,
      script: ADMIN_SCRIPT,
      bindings: { ADMIN_SECRET: this.adminSecret },
      compatibilityDate: dispatcher.compatibilityDate,
      // A replicated database's writes must pass the replica Worker too, or its replica misses them.
      // (Its replica is bound plainly, so deleting the database can empty the replica too.)
      d1Databases: Object.fromEntries(
        [...[...d1].filter((uuid) => !replicated.includes(uuid)), ...replicated.map(replicaDatabaseId)].map((uuid) => [
          d1Binding(uuid),
          uuid,
        ]),
      ),
      unsafeBindings: replicated.map((uuid) => replicatedD1(d1Binding(uuid), uuid)),
      kvNamespaces: Object.fromEntries([...kv].map((id) => [kvBinding(id), id])),
    };
    const replicaWorkers: WorkerOptions[] =
      replicated.length === 0
        ? []
        : [
            {
              name: D1_REPLICA_WORKER,
              modules: [{ type: "ESModule", path: "d1-read-replica.js", contents: this.options.d1ReplicaCode ?? "" }],
              compatibilityDate: dispatcher.compatibilityDate,
              bindings: { REPLICA_LAG_MS: String(this.options.d1ReplicaLagMs) },
              // Bound only so Miniflare runs both databases; the Worker reaches them as plain fetchers.
              d1Databases: Object.fromEntries(
                replicated.flatMap((uuid) => [
                  [`D1_${primaryBinding(uuid)}`, uuid],
                  [`D1_${replicaBinding(uuid)}`, replicaDatabaseId(uuid)],
                ]),
              ),
              unsafeBindings: replicated.flatMap((uuid) => [
                d1Storage(primaryBinding(uuid), uuid),
                d1Storage(replicaBinding(uuid), replicaDatabaseId(uuid)),
              ]),
            },
          ];

    const options: MiniflareOptions = {
      host: this.options.host,
      port: this.options.port,
      d1Persist: join(this.state.dir, "d1"),
      kvPersist: join(this.state.dir, "kv"),
      // No request.cf from Cloudflare's servers: this machine has no internet, and user Workers
      // in a dispatch namespace do not see request.cf anyway.
      cf: false,
      unsafeRuntimeEnv: { [WORKERD_TOKEN_VARIABLE]: this.runtimeToken },
      unsafeHandleRuntimeRestart: this.onRuntimeRestart,
      handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
        stdout.on("data", (chunk: Buffer) => process.stdout.write(chunk));
        stderr.on("data", (chunk: Buffer) => {
          const text = chunk.toString();
          this.recentErrors.push(...text.split("\n").filter((line) => line.trim() !== ""));
          if (this.recentErrors.length > 50) this.recentErrors.splice(0, this.recentErrors.length - 50);
          process.stderr.write(chunk);
        });
      },
      log: new Log(this.options.logLevel ?? LogLevel.WARN),
      // The first Worker receives all traffic but the path form's: that is the dispatcher.
      workers: [
        dispatcherWorker,
        tenantPathWorker,
        adminWorker,
        ...replicaWorkers,
        ...scripts.map((script) => this.scriptWorker(script)),
      ],
    };
    return { options, d1: new Set([...d1, ...replicated.map(replicaDatabaseId)]), kv };
  }

  private scriptWorker(script: ScriptRecord): WorkerOptions {
    const bindings: Record<string, unknown> = {};
    const d1Databases: Record<string, string> = {};
    const unsafeBindings: NonNullable<WorkerOptions["unsafeBindings"]> = [];
    const kvNamespaces: Record<string, string> = {};
    for (const binding of script.bindings) {
      switch (binding.type) {
        case "d1":
          if (this.replicated(binding.database_id))
            unsafeBindings.push(replicatedD1(binding.name, binding.database_id));
          else d1Databases[binding.name] = binding.database_id;
          break;
        case "kv_namespace":
          kvNamespaces[binding.name] = binding.namespace_id;
          break;
        case "plain_text":
        case "secret_text":
          bindings[binding.name] = binding.text;
          break;
        case "json":
          bindings[binding.name] = binding.json;
          break;
      }
    }
    return {
      name: scriptWorkerName(script.namespace, script.name),
      // Miniflare treats the first module as the entry point.
      modules: [...script.modules]
        .sort((a, b) => Number(b.name === script.mainModule) - Number(a.name === script.mainModule))
        .map((module) => ({
          type: module.type,
          path: module.name,
          contents: this.state.readModule(script, module.name),
        })),
      compatibilityDate: script.compatibilityDate,
      compatibilityFlags: script.compatibilityFlags,
      bindings: bindings as WorkerOptions["bindings"],
      d1Databases,
      unsafeBindings,
      kvNamespaces,
    };
  }

  /** Whether this database runs with a read replica (replicas on, and its read replication "auto"). */
  private replicated(uuid: string): boolean {
    return (this.options.d1ReplicaLagMs ?? 0) > 0 && this.state.data.d1[uuid]?.readReplicationMode === "auto";
  }
}

type UnsafeBinding = NonNullable<WorkerOptions["unsafeBindings"]>[number];
/** Miniflare imports the plugin by path, in Node. */
const D1_REPLICA_PLUGIN = {
  package: fileURLToPath(new URL("./d1-replica-plugin.ts", import.meta.url)),
  name: D1_REPLICA_PLUGIN_NAME,
};

/** A D1 binding whose queries pass the replica Worker (d1-replica-plugin.ts). */
const replicatedD1 = (name: string, databaseId: string): UnsafeBinding => ({
  name,
  type: "replicated-d1",
  plugin: D1_REPLICA_PLUGIN,
  options: { databaseId },
});

/** A database's storage service as a plain fetcher, for the replica Worker. */
const d1Storage = (name: string, databaseId: string): UnsafeBinding => ({
  name,
  type: "d1-storage",
  plugin: D1_REPLICA_PLUGIN,
  options: { databaseId },
});
