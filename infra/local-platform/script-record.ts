/**
 * A script (in a dispatch namespace, or the account's own, such as the dispatcher) as the local
 * platform keeps it (platform-state.ts) and as the tenant host Worker loads it
 * (tenant-host-protocol.ts). Types only, free of Node, so the Worker side can import them.
 */
export type WorkerBinding =
  | { type: "d1"; name: string; database_id: string; id?: string }
  | { type: "kv_namespace"; name: string; namespace_id: string }
  | { type: "plain_text"; name: string; text: string }
  | { type: "secret_text"; name: string; text: string }
  | { type: "json"; name: string; json: unknown }
  // Workers Analytics Engine; locally only the account's own Workers (the dispatcher) get one.
  | { type: "analytics_engine"; name: string; dataset: string }
  // Only the account's own Workers (the dispatcher) have one; a user Worker in a namespace cannot.
  | { type: "dispatch_namespace"; name: string; namespace: string }
  // A Durable Object class the script itself exports (account Workers only); `namespace_id` as
  // Cloudflare reports it, derived from the script and class names.
  | { type: "durable_object_namespace"; name: string; class_name: string; namespace_id: string };

/** The `namespace` of a script that is the account's own (uploaded to /workers/scripts), not a namespace's. */
export const ACCOUNT_SCRIPT = "";

export type ModuleType = "ESModule" | "CommonJS" | "Text" | "Data" | "CompiledWasm";

export interface ScriptRecord {
  /** Its dispatch namespace; {@link ACCOUNT_SCRIPT} for the account's own Workers. */
  namespace: string;
  name: string;
  etag: string;
  createdOn: string;
  modifiedOn: string;
  mainModule: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  bindings: WorkerBinding[];
  tags: string[];
  limits?: { cpu_ms?: number; subrequests?: number };
  modules: { name: string; type: ModuleType; contentType: string }[];
  /** The last migration tag applied (`migrations.new_tag`), as Cloudflare keeps a script's `migration_tag`. */
  migrationTag?: string;
  /** Its Durable Object classes, as its migrations made them (`new_sqlite_classes`): the ones a binding may name. */
  durableObjectClasses?: string[];
  /** The version's `workers/message` and `workers/tag`, as uploaded. */
  annotations?: { "workers/message"?: string; "workers/tag"?: string };
}
