/**
 * The local platform's tenant host: runs every tenant Worker of the dispatch namespace, loading
 * each with workerd's Worker Loader when it is first needed and dropping it when it has been idle
 * or others are in use, so workerd's configuration never changes with the tenants and its memory
 * grows with the tenants in use, not with those that exist.
 *
 * - The dispatcher's namespace shim calls {@link Dispatch}`.dispatch(name, request)`, which passes
 *   it to the one {@link TenantHost} object: it finds
 *   the script (asking Node through `PLATFORM` the first time), loads it (its modules fetched from
 *   Node), and passes the request to it unchanged.
 * - A loaded Worker's `env` holds exactly the bindings its upload declared: vars and secrets as
 *   values; each D1 and KV binding as an entrypoint of this Worker whose props, fixed here, name
 *   that one database or namespace ({@link TenantD1}, {@link TenantKv}); so a tenant can reach
 *   only its own. D1 runs through workerd's own D1 client, built over the database's storage.
 * - Storage: Miniflare's D1 and KV storage objects, reached by id through durable object namespace
 *   bindings (storage-objects-plugin.ts), the same files Miniflare's own bindings use.
 * - Node reaches the same storage through this Worker's default entrypoint (tenant-host-protocol.ts),
 *   so creating a database or namespace never restarts anything.
 *
 * Reaches into one workerd detail that is not documented: the D1 client class is taken from a real
 * D1 binding (`Object.getPrototypeOf(env.BOOT).constructor`) and built over a fetcher of ours.
 * tests/local-platform/tenant-host.test.ts pins it.
 */
import { DurableObject, WorkerEntrypoint } from "cloudflare:workers";
import { KvWireClient } from "../kv-wire-client.ts";
import {
  HOST_PATHS,
  HOST_SECRET_HEADER,
  type HostedScript,
  type HostStats,
  PLATFORM_PATHS,
} from "../tenant-host-protocol.ts";
import { d1LimitRefusal } from "./d1-limits.ts";
import { ReplicatedDatabase, replicaDatabaseId, type WireFetcher } from "./d1-read-replica.ts";
import { D1_BINDINGS_VAR } from "./tenant-bindings.ts";

interface Env {
  LOADER: WorkerLoader;
  TENANT_HOST: DurableObjectNamespace<TenantHost>;
  PLATFORM: Fetcher;
  D1_OBJECTS: DurableObjectNamespace;
  KV_OBJECTS: DurableObjectNamespace;
  /** A real D1 binding, for workerd's D1 client class. */
  BOOT: D1Database;
  HOST_SECRET: string;
  /** The dispatch namespace the dispatcher reads. */
  NAMESPACE: string;
  /** worker-shims/tenant-bindings.ts, bundled: loaded into every tenant Worker. */
  TENANT_BINDINGS_MODULE: string;
  /** Above 0: replicated databases' replicas trail their primaries by this much. */
  REPLICA_LAG_MS: string;
  /** How many tenant Workers stay loaded at most. */
  MAX_LOADED: string;
  /** A tenant Worker unused this long is dropped. */
  IDLE_UNLOAD_MS: string;
}

interface D1Props {
  databaseId: string;
  replicated: boolean;
}
interface KvProps {
  namespaceId: string;
}
type Exports = {
  D1Wire(options: { props: D1Props }): Fetcher;
  TenantD1(options: { props: D1Props }): unknown;
  TenantKv(options: { props: KvProps }): unknown;
};
type Context = { exports: Exports; props: unknown };
const contextOf = (ctx: unknown) => ctx as Context;

/** The entry module of every loaded tenant Worker; `__WfpProbe` lets an upload start it without a request. */
const entryModule = (main: string) => `import * as tenant from ${JSON.stringify(`./${main}`)};
import { WorkerEntrypoint } from "cloudflare:workers";
import { withPlatformBindings } from "./__wfp_bindings.js";
export * from ${JSON.stringify(`./${main}`)};
export default withPlatformBindings(tenant.default);
export class __WfpProbe extends WorkerEntrypoint { ping() { return true; } }
`;
const ENTRY = "__wfp_entry.js";

/**
 * A storage object by id, as a fetcher (Miniflare's objects require their name in `cf`). The stub
 * is made per call: a stub belongs to the request that made it, and replicas outlive requests.
 */
function storageObject(namespace: DurableObjectNamespace, id: string): WireFetcher {
  return {
    fetch: (input: string | Request, init?: RequestInit) =>
      namespace.get(namespace.idFromName(id)).fetch(input, { ...init, cf: { miniflare: { name: id } } } as RequestInit),
  } as WireFetcher;
}

type D1Client = D1Database;
let D1Class: (new (fetcher: Fetcher) => D1Client) | undefined;
function d1Client(env: Env, ctx: Context, props: D1Props): D1Client {
  D1Class ??= Object.getPrototypeOf(env.BOOT).constructor as new (fetcher: Fetcher) => D1Client;
  return new D1Class(ctx.exports.D1Wire({ props }));
}

const replicas = new Map<string, ReplicatedDatabase>();

/**
 * D1's wire requests for one database: refused past D1's per-statement limits (d1-limits.ts), as
 * D1 refuses them; else to its storage, or through its read replica.
 */
export class D1Wire extends WorkerEntrypoint<Env> {
  override async fetch(incoming: Request): Promise<Response> {
    const { databaseId, replicated } = contextOf(this.ctx).props as D1Props;
    // D1's wire requests are POSTs of JSON; anything else goes on as it came.
    const body = incoming.method === "POST" ? await incoming.text() : null;
    const refusal = body === null ? null : d1LimitRefusal(body);
    if (refusal !== null) return Response.json({ success: false, error: refusal });
    const request =
      body === null ? incoming : new Request(incoming.url, { method: "POST", headers: incoming.headers, body });
    if (!replicated) return storageObject(this.env.D1_OBJECTS, databaseId).fetch(request as never, {});
    let database = replicas.get(databaseId);
    if (database === undefined) {
      database = new ReplicatedDatabase(
        storageObject(this.env.D1_OBJECTS, databaseId),
        storageObject(this.env.D1_OBJECTS, replicaDatabaseId(databaseId)),
      );
      replicas.set(databaseId, database);
    }
    return database.handle(request, Number(this.env.REPLICA_LAG_MS));
  }
}

interface WireStatement {
  sql: string;
  params: unknown[];
}

/** One tenant's D1 binding: every call runs on the database its props name, through D1's client. */
export class TenantD1 extends WorkerEntrypoint<Env> {
  private runner(token: string | null) {
    const db = d1Client(this.env, contextOf(this.ctx), contextOf(this.ctx).props as D1Props);
    const session = token === null ? null : db.withSession(token);
    return { on: session ?? db, bookmark: () => session?.getBookmark() ?? null };
  }

  async statement(token: string | null, statement: WireStatement, kind: string, arg: unknown) {
    const { on, bookmark } = this.runner(token);
    const prepared = on.prepare(statement.sql).bind(...statement.params);
    const result =
      kind === "first"
        ? await prepared.first(arg as string)
        : kind === "raw"
          ? await prepared.raw(arg as { columnNames: true })
          : kind === "all"
            ? await prepared.all()
            : await prepared.run();
    return { result, bookmark: bookmark() };
  }

  async batch(token: string | null, statements: WireStatement[]) {
    const { on, bookmark } = this.runner(token);
    const result = await on.batch(statements.map((s) => on.prepare(s.sql).bind(...s.params)));
    return { result, bookmark: bookmark() };
  }

  exec(sql: string) {
    return d1Client(this.env, contextOf(this.ctx), contextOf(this.ctx).props as D1Props).exec(sql);
  }
}

function kvClient(env: Env, namespaceId: string): KvWireClient {
  const storage = storageObject(env.KV_OBJECTS, namespaceId);
  return new KvWireClient((path, init) => storage.fetch(`http://kv${path}`, init));
}

/** One tenant's KV binding, with KV's methods, on the namespace its props name. */
export class TenantKv extends WorkerEntrypoint<Env> {
  private kv(): KvWireClient {
    return kvClient(this.env, (contextOf(this.ctx).props as KvProps).namespaceId);
  }
  get(key: string | string[], options?: never) {
    return this.kv().get(key, options);
  }
  getWithMetadata(key: string | string[], options?: never) {
    return this.kv().getWithMetadata(key, options);
  }
  put(key: string, value: never, options?: never) {
    return this.kv().put(key, value, options);
  }
  delete(key: string) {
    return this.kv().delete(key);
  }
  list(options?: never) {
    return this.kv().list(options);
  }
}

interface Loaded {
  etag: string;
  worker: WorkerStub;
  lastUsed: number;
}

const LOADER_TYPES: Record<string, string> = {
  ESModule: "js",
  CommonJS: "cjs",
  Text: "text",
  Data: "data",
  CompiledWasm: "wasm",
};

/**
 * What the host holds, in one Durable Object: a Worker stub from the loader belongs to the request
 * that made it, except in a Durable Object, whose requests share one context; so loaded Workers
 * live here and every request for a tenant passes through it. (If workerd evicts the object when
 * idle, its Workers go with it and load again on the next request.)
 */
export class TenantHost extends DurableObject<Env> {
  /** Loaded tenant Workers by script name; Map order is least recently used first. */
  private readonly loaded = new Map<string, Loaded>();
  /** Loads in flight, by `name@etag`, so concurrent first requests share one. */
  private readonly loading = new Map<string, Promise<WorkerStub>>();
  /** Script records by name; null for a name the namespace does not have. */
  private readonly scripts = new Map<string, HostedScript | null>();
  /** Bumped by each forget, so an answer fetched before a change is not kept after it. */
  private readonly generations = new Map<string, number>();
  private loads = 0;
  /** Whether an alarm will look for idle Workers (so they go even when no request comes). */
  private alarmSet = false;

  async dispatch(name: string, request: Request): Promise<Response> {
    const script = await this.hostedScript(name);
    if (script === null) throw new Error("Worker not found.");
    const worker = await this.workerFor(script);
    return worker.getEntrypoint().fetch(request);
  }

  /** Loads a script version afresh and starts it; never kept. Resolves with workerd's error, if any. */
  async check(script: HostedScript): Promise<string | null> {
    try {
      const worker = this.env.LOADER.load(await this.workerCode(script));
      await (worker.getEntrypoint("__WfpProbe") as unknown as { ping(): Promise<boolean> }).ping();
      return null;
    } catch (error) {
      return message(error);
    }
  }

  forget(name: string): void {
    this.generations.set(name, (this.generations.get(name) ?? 0) + 1);
    this.scripts.delete(name);
    this.loaded.delete(name);
  }

  /** Drops the Workers idle too long, and looks again later while any is loaded. */
  override async alarm(): Promise<void> {
    this.alarmSet = false;
    this.evict(Date.now());
    if (this.loaded.size > 0) await this.setIdleAlarm();
  }

  private async setIdleAlarm(): Promise<void> {
    if (this.alarmSet) return;
    this.alarmSet = true;
    await this.ctx.storage.setAlarm(Date.now() + Number(this.env.IDLE_UNLOAD_MS));
  }

  /** What is loaded now (it evicts nothing itself, so it shows what the alarm has done). */
  stats(): HostStats {
    return { loaded: [...this.loaded.keys()], loads: this.loads };
  }

  private async hostedScript(name: string): Promise<HostedScript | null> {
    const known = this.scripts.get(name);
    if (known !== undefined) return known;
    const generation = this.generations.get(name) ?? 0;
    const response = await platformFetch(this.env, PLATFORM_PATHS.script(this.env.NAMESPACE, name));
    if (response.status !== 200 && response.status !== 404) {
      throw new Error(`the local platform could not read script ${name}: ${response.status} ${await response.text()}`);
    }
    const script = response.status === 404 ? null : ((await response.json()) as HostedScript);
    if ((this.generations.get(name) ?? 0) === generation) this.scripts.set(name, script);
    return script;
  }

  private async workerCode(script: HostedScript): Promise<WorkerLoaderWorkerCode> {
    const { env } = this;
    const exports = (this.ctx as unknown as Context).exports;
    const { record, replicated } = script;
    const modules: WorkerLoaderWorkerCode["modules"] = {
      [ENTRY]: entryModule(record.mainModule),
      "__wfp_bindings.js": env.TENANT_BINDINGS_MODULE,
    };
    await Promise.all(
      record.modules.map(async (module) => {
        const path = PLATFORM_PATHS.module(record.namespace, record.name, record.etag, module.name);
        const response = await platformFetch(env, path);
        if (!response.ok) throw new Error(`module ${module.name} of ${record.name} is missing (${response.status})`);
        const kind = LOADER_TYPES[module.type] ?? "js";
        const bytes = await response.arrayBuffer();
        modules[module.name] =
          kind === "data" || kind === "wasm" ? { [kind]: bytes } : { [kind]: new TextDecoder().decode(bytes) };
      }),
    );
    const workerEnv: Record<string, unknown> = {};
    const d1: string[] = [];
    for (const binding of record.bindings) {
      switch (binding.type) {
        case "d1":
          d1.push(binding.name);
          workerEnv[binding.name] = exports.TenantD1({
            props: { databaseId: binding.database_id, replicated: replicated.includes(binding.database_id) },
          });
          break;
        case "kv_namespace":
          workerEnv[binding.name] = exports.TenantKv({ props: { namespaceId: binding.namespace_id } });
          break;
        case "plain_text":
        case "secret_text":
          workerEnv[binding.name] = binding.text;
          break;
        case "json":
          workerEnv[binding.name] = binding.json;
          break;
      }
    }
    workerEnv[D1_BINDINGS_VAR] = JSON.stringify(d1);
    // Tests run webhook receivers on loopback over http, which Cloudflare's rule refuses
    // (tenant-template/src/webhooks/webhook-url.ts): allowed here, and only here.
    workerEnv.WEBHOOK_ALLOW_LOOPBACK = "true";
    return {
      compatibilityDate: record.compatibilityDate,
      compatibilityFlags: record.compatibilityFlags,
      mainModule: ENTRY,
      modules,
      env: workerEnv,
    };
  }

  /** Drops Workers idle too long, then the least recently used beyond the limit. */
  private evict(now: number): void {
    const idleMs = Number(this.env.IDLE_UNLOAD_MS);
    for (const [name, entry] of this.loaded) if (now - entry.lastUsed > idleMs) this.loaded.delete(name);
    const max = Number(this.env.MAX_LOADED);
    for (const name of this.loaded.keys()) {
      if (this.loaded.size <= max) break;
      this.loaded.delete(name);
    }
  }

  private workerFor(script: HostedScript): Promise<WorkerStub> {
    const { name, etag } = script.record;
    const now = Date.now();
    const held = this.loaded.get(name);
    if (held !== undefined && held.etag === etag) {
      this.loaded.delete(name);
      held.lastUsed = now;
      this.loaded.set(name, held);
      this.evict(now);
      return Promise.resolve(held.worker);
    }
    const key = `${name}@${etag}`;
    let pending = this.loading.get(key);
    if (pending === undefined) {
      pending = (async () => {
        const worker = this.env.LOADER.load(await this.workerCode(script));
        this.loads++;
        // Unless the script changed while it loaded.
        if (this.scripts.get(name)?.record.etag === etag) {
          this.loaded.delete(name);
          this.loaded.set(name, { etag, worker, lastUsed: Date.now() });
          this.evict(Date.now());
          await this.setIdleAlarm();
        }
        return worker;
      })();
      this.loading.set(key, pending);
      const settled = () => this.loading.delete(key);
      pending.then(settled, settled);
    }
    return pending;
  }
}

async function platformFetch(env: Env, path: string): Promise<Response> {
  return env.PLATFORM.fetch(`http://platform${path}`);
}

/** The one TenantHost object. */
const tenantHost = (env: Env) => env.TENANT_HOST.get(env.TENANT_HOST.idFromName("tenant-host"));

/** What the dispatcher's namespace shim calls for `env.DISPATCHER.get(name).fetch(request)`. */
export class Dispatch extends WorkerEntrypoint<Env> {
  dispatch(name: string, request: Request): Promise<Response> {
    return tenantHost(this.env).dispatch(name, request);
  }
}

const message = (error: unknown) => String((error as Error)?.message ?? error);

function allowed(request: Request, env: Env): boolean {
  const presented = new TextEncoder().encode(request.headers.get(HOST_SECRET_HEADER) ?? "");
  const expected = new TextEncoder().encode(env.HOST_SECRET);
  return presented.byteLength === expected.byteLength && crypto.subtle.timingSafeEqual(presented, expected);
}

/** Node's requests (tenant-host-protocol.ts); nothing else may use them. */
export default {
  async fetch(request: Request, env: Env, executionContext: ExecutionContext): Promise<Response> {
    if (!allowed(request, env)) return new Response(null, { status: 404 });
    const ctx = contextOf(executionContext);
    const url = new URL(request.url);
    const path = url.pathname;
    if (path.startsWith("/d1/") && request.method === "POST") {
      const databaseId = decodeURIComponent(path.slice("/d1/".length));
      const { statements, replicated } = (await request.json()) as { statements: WireStatement[]; replicated: boolean };
      const db = d1Client(env, ctx, { databaseId, replicated });
      try {
        return Response.json({ results: await db.batch(statements.map((s) => db.prepare(s.sql).bind(...s.params))) });
      } catch (error) {
        return Response.json({ error: message(error) });
      }
    }
    if (path.startsWith("/kv/")) {
      const [, , encodedId, ...rest] = path.split("/");
      const namespaceId = decodeURIComponent(encodedId ?? "");
      const headers = new Headers(request.headers);
      headers.delete(HOST_SECRET_HEADER);
      return storageObject(env.KV_OBJECTS, namespaceId).fetch(`http://kv/${rest.join("/")}${url.search}`, {
        method: request.method,
        headers,
        body: request.body,
      });
    }
    if (path === HOST_PATHS.check && request.method === "POST") {
      const error = await tenantHost(env).check((await request.json()) as HostedScript);
      return Response.json(error === null ? { ok: true } : { error });
    }
    if (path === HOST_PATHS.forget && request.method === "POST") {
      const { name } = (await request.json()) as { namespace: string; name: string };
      await tenantHost(env).forget(name);
      return Response.json({ ok: true });
    }
    if (path === HOST_PATHS.stats) return Response.json(await tenantHost(env).stats());
    return new Response(null, { status: 404 });
  },
} satisfies ExportedHandler<Env>;
