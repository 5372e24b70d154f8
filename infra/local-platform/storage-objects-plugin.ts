/**
 * A Miniflare plugin (loaded through a Worker's `unsafeBindings`) that gives the tenant host
 * Worker (worker-shims/tenant-host.ts) the storage behind every local D1 database and KV namespace
 * as workerd durable object namespace bindings: Miniflare's `D1DatabaseObject` (service `d1:db`)
 * and `KVNamespaceObject` (service `kv:ns`). With them one Worker reaches any database or
 * namespace by id (`idFromName(id)`, the id Miniflare's own bindings use, so the data is in the
 * same files), and creating one needs no change to workerd's configuration.
 *
 * Miniflare's options cannot express such a binding. Miniflare imports this file by path in Node
 * (not through the project's bundler), so it imports nothing and uses only syntax Node can strip
 * types from.
 *
 * @example
 *   const plugin = { package: "/abs/path/storage-objects-plugin.ts", name: STORAGE_OBJECTS_PLUGIN_NAME };
 *   unsafeBindings: [{ name: "D1_OBJECTS", type: "d1-objects", plugin, options: {} }]
 */

/** The plugin's name, as a Worker's `unsafeBindings` entry gives it (with this file's path). */
export const STORAGE_OBJECTS_PLUGIN_NAME = "wfp-storage-objects";

interface UnsafeBinding {
  name: string;
  type: string;
}

/** Miniflare's services and classes for local D1 and KV storage (its D1 and KV plugins' naming). */
const OBJECTS: Record<string, { serviceName: string; className: string }> = {
  "d1-objects": { serviceName: "d1:db", className: "D1DatabaseObject" },
  "kv-objects": { serviceName: "kv:ns", className: "KVNamespaceObject" },
};

function workerdBinding(binding: UnsafeBinding): Record<string, unknown> {
  const durableObjectNamespace = OBJECTS[binding.type];
  if (durableObjectNamespace === undefined) throw new Error(`${binding.name}: unknown binding type ${binding.type}`);
  return { name: binding.name, durableObjectNamespace };
}

/** The module shape Miniflare's `loadExternalPlugins` reads. */
export const plugins = {
  [STORAGE_OBJECTS_PLUGIN_NAME]: {
    getBindings: (bindings: UnsafeBinding[] | undefined) => (bindings ?? []).map(workerdBinding),
    getNodeBindings: () => ({}),
    getServices: async () => [],
  },
};
