/**
 * What the local platform's Node side and its tenant host Worker (worker-shims/tenant-host.ts)
 * say to each other; both import it, so neither keeps its own copy.
 *
 * - Node -> host: HTTP requests to the host's default entrypoint, each carrying this process's
 *   random secret ({@link HOST_SECRET_HEADER}), because any client of the traffic port can pick a
 *   Worker by name (Miniflare's MF-Route-Override header).
 * - Host -> Node: the `PLATFORM` service binding (a Node function in Miniflare), which serves a
 *   script's record and its modules' bytes when the host first needs them.
 */
import type { ScriptRecord } from "./script-record.ts";

export const HOST_SECRET_HEADER = "x-wfp-host-secret";

/** Node -> host paths. */
export const HOST_PATHS = {
  /** POST, body `{ statements, replicated }`: one D1 batch; answers `{ results }` or `{ error }`. */
  d1: (databaseId: string) => `/d1/${encodeURIComponent(databaseId)}`,
  /** Any method: forwarded as it is to the namespace's KV storage (Miniflare's KV protocol). */
  kvPrefix: (namespaceId: string) => `/kv/${encodeURIComponent(namespaceId)}`,
  /** POST, body {@link HostedScript}: loads the script afresh and starts it; `{ ok }` or `{ error }`. */
  check: "/scripts/check",
  /** POST, body `{ namespace, name }`: drops what the host holds of that script. */
  forget: "/scripts/forget",
  /** GET: what the host holds ({@link HostStats}). */
  stats: "/stats",
} as const;

/** Host -> Node paths, on the `PLATFORM` binding. */
export const PLATFORM_PATHS = {
  /** GET: the script's {@link HostedScript}, or 404 when the namespace has no such script. */
  script: (namespace: string, name: string) => `/scripts/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`,
  /** GET: one module's bytes, of the script version with that etag. */
  module: (namespace: string, name: string, etag: string, module: string) =>
    `${PLATFORM_PATHS.script(namespace, name)}/${etag}/${encodeURIComponent(module)}`,
} as const;

/** A script as the host loads it: its record, and per D1 binding whether the database has a replica. */
export interface HostedScript {
  record: ScriptRecord;
  /** Ids of the bound databases that run with a read replica. */
  replicated: string[];
}

/** What the host holds, for tests and the benchmark. */
export interface HostStats {
  /** Scripts with a loaded Worker, most recently used last. */
  loaded: string[];
  /** Workers loaded since the host started (a reload after eviction or upload counts again). */
  loads: number;
}

/** The one D1 binding workerd must have so Miniflare runs its D1 storage (and the host has D1's client). */
export const HOST_BOOT_DATABASE = "wfp-local-platform-boot";
