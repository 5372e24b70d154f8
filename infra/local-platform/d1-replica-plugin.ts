/**
 * A Miniflare plugin (loaded through a Worker's `unsafeBindings`) that gives the local platform
 * two workerd bindings Miniflare's own options cannot express:
 *
 * - `replicated-d1`: a D1 binding made by workerd's own D1 client (`cloudflare-internal:d1-api`,
 *   the same code a Worker gets for `d1Databases`) whose wire requests go to the read-replica
 *   Worker (worker-shims/d1-read-replica.ts) instead of straight to the database. The database id
 *   travels as the binding's props, so one replica Worker serves every database.
 * - `d1-storage`: the database's storage service itself, as a plain fetcher, so the replica
 *   Worker forwards D1's wire protocol byte for byte (results, errors and bookmarks are D1's).
 *
 * Miniflare imports this file by path in Node (not through the project's bundler), so it imports
 * nothing and uses only syntax Node can strip types from.
 *
 * @example
 *   const plugin = { package: "/abs/path/d1-replica-plugin.ts", name: D1_REPLICA_PLUGIN_NAME };
 *   unsafeBindings: [{ name: "DB", type: "replicated-d1", plugin, options: { databaseId } }]
 */

/** The plugin's name, as a Worker's `unsafeBindings` entry gives it (with this file's path). */
export const D1_REPLICA_PLUGIN_NAME = "wfp-d1-replica";

/** The Miniflare name of the Worker that serves every replicated database. */
export const D1_REPLICA_WORKER = "wfp-d1-read-replicas";

/** The props the replica Worker receives with each request (`ctx.props`). */
export interface D1ReplicaProps {
  databaseId: string;
}

/** The binding names the replica Worker gets for a database's primary and replica. */
export const primaryBinding = (databaseId: string) => `PRIMARY_${databaseId.replaceAll("-", "_")}`;
export const replicaBinding = (databaseId: string) => `REPLICA_${databaseId.replaceAll("-", "_")}`;
/** The id of the D1 database that holds a database's replica. */
export const replicaDatabaseId = (databaseId: string) => `${databaseId}-replica`;

interface UnsafeBinding {
  name: string;
  type: string;
  options: Record<string, unknown>;
}

/** Miniflare's name for the service behind a local D1 database (its D1 plugin's naming). */
const storageService = (databaseId: string) => `d1:db:${databaseId}`;

function workerdBinding(binding: UnsafeBinding): Record<string, unknown> {
  const databaseId = binding.options.databaseId;
  if (typeof databaseId !== "string") throw new Error(`${binding.name}: options.databaseId must be a string`);
  if (binding.type === "d1-storage") return { name: binding.name, service: { name: storageService(databaseId) } };
  if (binding.type !== "replicated-d1") throw new Error(`${binding.name}: unknown binding type ${binding.type}`);
  const props: D1ReplicaProps = { databaseId };
  return {
    name: binding.name,
    wrapped: {
      moduleName: "cloudflare-internal:d1-api",
      innerBindings: [
        {
          name: "fetcher",
          service: { name: `core:user:${D1_REPLICA_WORKER}`, props: { json: JSON.stringify(props) } },
        },
      ],
    },
  };
}

/** The module shape Miniflare's `loadExternalPlugins` reads. */
export const plugins = {
  [D1_REPLICA_PLUGIN_NAME]: {
    getBindings: (bindings: UnsafeBinding[] | undefined) => (bindings ?? []).map(workerdBinding),
    getNodeBindings: () => ({}),
    getServices: async () => [],
  },
};
