/**
 * The local platform: a Cloudflare-API-compatible HTTP server backed by Miniflare (real workerd,
 * real SQLite D1, real KV), plus the tenant traffic port where the dispatcher answers.
 *
 * @example
 *   const platform = await startLocalPlatform({ port: 8787, apiPort: 8788, stateDir: ".wfp" });
 *   // ... point the `cloudflare` SDK at platform.apiUrl ...
 *   await platform.close();
 */
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { type LogLevel, MiniflareCoreError } from "miniflare";
import { resolve } from "node:path";
import { accountRoutes } from "./api/accounts.ts";
import { analyticsEngineRoutes } from "./api/analytics-engine.ts";
import { d1Routes } from "./api/d1.ts";
import { dnsRecordRoutes } from "./api/dns-records.ts";
import { dispatchNamespaceRoutes } from "./api/dispatch-namespaces.ts";
import { hostnameRoutes } from "./api/hostnames.ts";
import { kvRoutes } from "./api/kv.ts";
import { workerRoutes } from "./api/workers.ts";
import { ApiError, errorBody, jsonBody } from "./cloudflare-envelope.ts";
import { FaultInjector, FaultPlanSchema } from "./faults.ts";
import { type AccountLimits, DEFAULT_ACCOUNT_LIMITS, type PlatformContext } from "./platform-context.ts";
import { PlatformState } from "./platform-state.ts";
import { assertPortFree, PortInUseError } from "./port-in-use.ts";
import { StateFolderLock } from "./state-folder-lock.ts";
import { WorkerdRuntime } from "./workerd-runtime.ts";
import type { HostStats } from "./tenant-host-protocol.ts";

const API_PATH = "/client/v4";

export interface LocalPlatformOptions {
  /** Tenant traffic (the dispatcher). Default 8787; 0 picks a free port. */
  port?: number;
  /** The Cloudflare-compatible API. Default 8788; 0 picks a free port. */
  apiPort?: number;
  /**
   * Where state, D1 and KV data persist. Default `.wfp` in the current directory. One platform
   * per folder: a start on a folder that a running platform holds rejects with
   * `StateFolderInUseError` (state-folder-lock.ts); a busy port rejects with `PortInUseError`.
   */
  stateDir?: string;
  host?: string;
  /** The SaaS zone tenants' custom hostnames point at. */
  zoneName?: string;
  /** How long a new custom hostname takes to become active. Default 1000 ms. */
  hostnameActivationMs?: number;
  /**
   * The clock that time-based states (a custom hostname's validation) are read against; default
   * `Date.now`. Tests move it forward instead of sleeping, so a busy machine cannot skip a state.
   */
  now?: () => number;
  /**
   * Read replicas: above 0, every D1 database with read replication on ("auto") runs with a
   * replica that trails its primary by this many milliseconds, and Workers' D1 sessions are
   * served as D1 serves them (docs/local-platform.md). Default 0: primaries only.
   */
  d1ReplicaLagMs?: number;
  /**
   * Tenant Workers are loaded when first needed (workerd-runtime.ts); at most this many stay
   * loaded, the least recently used dropped first. Default 50 (about 16 MB each).
   */
  maxLoadedTenants?: number;
  /** A loaded tenant Worker unused this long is dropped. Default 10 minutes. */
  idleUnloadMs?: number;
  /**
   * The account limits Cloudflare enforces (KV namespaces 1,000, D1 databases 50,000); tests lower
   * them to reach the refusals.
   */
  accountLimits?: Partial<AccountLimits>;
  /** workerd's log level; default WARN. */
  logLevel?: LogLevel;
  /**
   * Where the platform says what it did on its own, such as restarting workerd after it died;
   * default `console.warn`.
   */
  log?: (message: string) => void;
}

export interface LocalPlatform {
  trafficUrl: string;
  apiUrl: string;
  accountId: string;
  zoneId: string;
  zoneName: string;
  /** The dispatcher's dispatch namespace, as uploaded; "" until `platform init` has run. */
  readonly dispatchNamespace: string;
  /** The dispatcher's routing store (KV namespace id), as uploaded; "" until `platform init` has run. */
  readonly routesNamespaceId: string;
  stateDir: string;
  faults: FaultInjector;
  /** The live workerd's pid, when it can be known (Linux); it changes when workerd restarts. */
  workerdPid(): number | undefined;
  /** Which tenant Workers are loaded now, and how many loads there have been. */
  loadedTenants(): Promise<HostStats>;
  close(): Promise<void>;
}

export async function startLocalPlatform(options: LocalPlatformOptions = {}): Promise<LocalPlatform> {
  const stateDir = resolve(options.stateDir ?? ".wfp");
  // Before anything reads or writes the folder: the holder's state.json would overwrite ours.
  const lock = await StateFolderLock.acquire(stateDir, {
    port: options.port ?? 8787,
    apiPort: options.apiPort ?? 8788,
  });
  try {
    return await startOnLockedFolder(options, stateDir, lock);
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function startOnLockedFolder(
  options: LocalPlatformOptions,
  stateDir: string,
  lock: StateFolderLock,
): Promise<LocalPlatform> {
  const host = options.host ?? "127.0.0.1";
  const trafficPort = options.port ?? 8787;
  const requestedApiPort = options.apiPort ?? 8788;
  // Both ports before workerd starts (on a busy port it prints a fatal exception and a stack), and
  // before the dispatcher's build, so the refusal comes at once.
  await assertPortFree("traffic", host, trafficPort);
  await assertPortFree("api", host, requestedApiPort);
  const state = new PlatformState(stateDir, options.zoneName ?? "platform.localhost");

  // The account starts empty, as a new Cloudflare account does: `platform init` (which `npm start`
  // runs) creates the dispatch namespace and routing store and uploads the dispatcher through the API.
  const d1ReplicaLagMs = options.d1ReplicaLagMs ?? 0;
  if (!Number.isFinite(d1ReplicaLagMs) || d1ReplicaLagMs < 0) {
    throw new Error(`d1ReplicaLagMs must be 0 or a positive number of milliseconds, not ${d1ReplicaLagMs}`);
  }
  for (const [name, value, min] of [
    ["maxLoadedTenants", options.maxLoadedTenants, 1],
    ["idleUnloadMs", options.idleUnloadMs, 1],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < min)) {
      throw new Error(`${name} must be a whole number of at least ${min}, not ${value}`);
    }
  }
  const runtime = new WorkerdRuntime(state, {
    host,
    port: trafficPort,
    ...(d1ReplicaLagMs > 0 ? { d1ReplicaLagMs } : {}),
    ...(options.maxLoadedTenants === undefined ? {} : { maxLoadedTenants: options.maxLoadedTenants }),
    ...(options.idleUnloadMs === undefined ? {} : { idleUnloadMs: options.idleUnloadMs }),
    ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  try {
    await runtime.start();
  } catch (error) {
    // Miniflare's dispose() rejects again with the start's own error.
    await runtime.dispose().catch(() => undefined);
    // Taken between the check and workerd's start.
    if (error instanceof MiniflareCoreError && error.code === "ERR_ADDRESS_IN_USE") {
      throw new PortInUseError("traffic", host, trafficPort, { cause: error });
    }
    throw error;
  }

  const ctx: PlatformContext = {
    state,
    runtime,
    hostnameActivationMs: options.hostnameActivationMs ?? 1000,
    now: options.now ?? Date.now,
    limits: { ...DEFAULT_ACCOUNT_LIMITS, ...options.accountLimits },
  };
  const faults = new FaultInjector();
  /** The dispatcher's dispatch namespace, or its routing store's id; "" before `platform init`. */
  const zoneBinding = (type: "dispatch_namespace" | "kv_namespace"): string => {
    for (const b of runtime.zoneScript()?.bindings ?? []) {
      if (b.type === "dispatch_namespace" && type === b.type) return b.namespace;
      if (b.type === "kv_namespace" && type === b.type) return b.namespace_id;
    }
    return "";
  };
  const app = new Hono();

  // Test control: not part of Cloudflare's API, and not counted as an API call.
  app.get("/__platform/faults", (c) => c.json(faults.status()));
  app.post("/__platform/faults", async (c) => {
    faults.set(await jsonBody(c, FaultPlanSchema));
    return c.json(faults.status());
  });
  app.delete("/__platform/faults", (c) => {
    faults.clear();
    return c.json(faults.status());
  });
  // trafficUrl: where tenant traffic goes; the CLI prints each hostname's path-form URL under it.
  app.get("/__platform/info", async (c) =>
    c.json({
      accountId: state.data.accountId,
      zoneId: state.data.zoneId,
      zoneName: state.data.zoneName,
      dispatchNamespace: zoneBinding("dispatch_namespace"),
      routesNamespaceId: zoneBinding("kv_namespace"),
      trafficUrl: await runtime.url(),
    }),
  );

  const api = new Hono();
  api.use(faults.middleware());
  for (const routesOf of [
    accountRoutes,
    dispatchNamespaceRoutes,
    workerRoutes,
    d1Routes,
    kvRoutes,
    hostnameRoutes,
    dnsRecordRoutes,
    analyticsEngineRoutes,
  ])
    api.route("/", routesOf(ctx));
  app.route(API_PATH, api);
  app.notFound((c) =>
    c.req.path.startsWith(API_PATH)
      ? c.json(
          errorBody(
            7003,
            `Could not route to ${c.req.path.slice(API_PATH.length)}, perhaps your object identifier is invalid?`,
          ),
          404,
        )
      : c.json(errorBody(7000, "No route for that URI"), 404),
  );
  app.onError((error, c) => {
    if (error instanceof ApiError) return c.json(errorBody(error.code, error.message), error.status);
    console.error("local platform: unexpected error", error);
    return c.json(errorBody(10000, "Internal error in the local platform"), 500);
  });

  let server: ServerType;
  try {
    server = await new Promise<ServerType>((resolveServer, reject) => {
      const s = serve({ fetch: app.fetch, port: requestedApiPort, hostname: host }, () => resolveServer(s));
      s.once("error", (error: NodeJS.ErrnoException) =>
        reject(
          error.code === "EADDRINUSE" ? new PortInUseError("api", host, requestedApiPort, { cause: error }) : error,
        ),
      );
    });
  } catch (error) {
    await runtime.dispose().catch(() => undefined);
    throw error;
  }
  const address = server.address();
  const apiPort = typeof address === "object" && address !== null ? address.port : requestedApiPort;
  const trafficUrl = await runtime.url();
  lock.update({ port: Number(new URL(trafficUrl).port), apiPort });

  return {
    trafficUrl,
    apiUrl: `http://${host}:${apiPort}${API_PATH}`,
    accountId: state.data.accountId,
    zoneId: state.data.zoneId,
    zoneName: state.data.zoneName,
    get dispatchNamespace() {
      return zoneBinding("dispatch_namespace");
    },
    get routesNamespaceId() {
      return zoneBinding("kv_namespace");
    },
    stateDir,
    faults,
    workerdPid: () => runtime.workerdPid(),
    loadedTenants: () => runtime.hostStats(),
    async close() {
      try {
        await new Promise<void>((done) => server.close(() => done()));
        await runtime.dispose();
      } finally {
        // Last: a new platform on this folder must not start while this workerd still runs.
        lock.release();
      }
    },
  };
}
