/**
 * Every Cloudflare API call the provisioner makes, and the `cloudflare` SDK type of its answer:
 * the table tests/local-platform/sdk-contract.test.ts checks the local platform's answers against.
 * When the provisioner gains a call, add its row here (docs/local-platform.md, "The SDK contract").
 */

/**
 * How the SDK reads the envelope of the answer:
 * - `object`: `result` is the answer (`APIPromise<T>`);
 * - a pagination class (core/pagination.d.ts): `result` is an array of T, each item checked, and
 *   `result_info` holds what that class reads;
 * - `body`: the SDK returns the whole body, no `result` unwrapped (two deletes): the body is T;
 * - `raw`: not an envelope (a KV value); only an error answer is checked.
 */
export type SdkEnvelope = "object" | "body" | "V4PagePaginationArray" | "CursorLimitPagination" | "SinglePage" | "raw";

export interface SdkCall {
  /** The SDK method, or the raw `client.get/put` with the SDK type its answer is read as. */
  sdk: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Below the API base; `:name` is one path segment. */
  path: string;
  envelope: SdkEnvelope;
  /** The type of `result` (of one item, for lists), as a TypeScript type expression. */
  type: string;
}

/** `import("cloudflare/resources/<module>").<name>`: an SDK type, written as the check file imports it. */
const sdk = (module: string, name: string) => `import("cloudflare/resources/${module}").${name}`;

const ACCOUNT = "/accounts/:account_id";
const ZONE = "/zones/:zone_id";
const KV = `${ACCOUNT}/storage/kv/namespaces`;
const D1 = `${ACCOUNT}/d1/database`;
const SCRIPTS = `${ACCOUNT}/workers/dispatch/namespaces/:dispatch_namespace/scripts`;

export const SDK_CALLS: readonly SdkCall[] = [
  // Target discovery (config.ts) and platform check (platform-check.ts).
  {
    sdk: "client.user.tokens.verify",
    method: "GET",
    path: "/user/tokens/verify",
    envelope: "object",
    type: sdk("user/tokens/tokens", "TokenVerifyResponse"),
  },
  {
    sdk: "client.accounts.list",
    method: "GET",
    path: "/accounts",
    envelope: "V4PagePaginationArray",
    type: sdk("accounts/accounts", "Account"),
  },
  {
    sdk: "client.accounts.get",
    method: "GET",
    path: ACCOUNT,
    envelope: "object",
    type: sdk("accounts/accounts", "Account"),
  },
  {
    sdk: "client.zones.list",
    method: "GET",
    path: "/zones",
    envelope: "V4PagePaginationArray",
    type: sdk("zones/zones", "Zone"),
  },
  { sdk: "client.zones.get", method: "GET", path: ZONE, envelope: "object", type: sdk("zones/zones", "Zone") },
  {
    sdk: "client.workersForPlatforms.dispatch.namespaces.list",
    method: "GET",
    path: `${ACCOUNT}/workers/dispatch/namespaces`,
    envelope: "SinglePage",
    type: sdk("workers-for-platforms/dispatch/namespaces/namespaces", "NamespaceListResponse"),
  },

  // KV namespaces (kv-namespace.ts) and the routing store's values and keys (routing-store.ts).
  {
    sdk: "client.kv.namespaces.list",
    method: "GET",
    path: KV,
    envelope: "V4PagePaginationArray",
    type: sdk("kv/namespaces/namespaces", "Namespace"),
  },
  {
    sdk: "client.kv.namespaces.create",
    method: "POST",
    path: KV,
    envelope: "object",
    type: sdk("kv/namespaces/namespaces", "Namespace"),
  },
  {
    sdk: "client.kv.namespaces.delete",
    method: "DELETE",
    path: `${KV}/:namespace_id`,
    envelope: "object",
    type: `${sdk("kv/namespaces/namespaces", "NamespaceDeleteResponse")} | null`,
  },
  {
    sdk: "client.kv.namespaces.values.get",
    method: "GET",
    path: `${KV}/:namespace_id/values/:key_name`,
    envelope: "raw",
    type: "Response",
  },
  {
    sdk: "client.kv.namespaces.values.update",
    method: "PUT",
    path: `${KV}/:namespace_id/values/:key_name`,
    envelope: "object",
    type: `${sdk("kv/namespaces/values", "ValueUpdateResponse")} | null`,
  },
  {
    sdk: "client.kv.namespaces.values.delete",
    method: "DELETE",
    path: `${KV}/:namespace_id/values/:key_name`,
    envelope: "object",
    type: `${sdk("kv/namespaces/values", "ValueDeleteResponse")} | null`,
  },
  {
    sdk: "client.kv.namespaces.keys.list",
    method: "GET",
    path: `${KV}/:namespace_id/keys`,
    envelope: "CursorLimitPagination",
    type: sdk("kv/namespaces/keys", "Key"),
  },

  // D1 (d1-database.ts, migrations.ts, tenant-keys.ts).
  {
    sdk: "client.d1.database.list",
    method: "GET",
    path: D1,
    envelope: "V4PagePaginationArray",
    type: sdk("d1/database/database", "DatabaseListResponse"),
  },
  { sdk: "client.d1.database.create", method: "POST", path: D1, envelope: "object", type: sdk("d1/d1", "D1") },
  {
    sdk: "client.d1.database.get",
    method: "GET",
    path: `${D1}/:database_id`,
    envelope: "object",
    type: sdk("d1/d1", "D1"),
  },
  {
    sdk: "client.d1.database.edit",
    method: "PATCH",
    path: `${D1}/:database_id`,
    envelope: "object",
    type: sdk("d1/d1", "D1"),
  },
  {
    sdk: "client.d1.database.delete",
    method: "DELETE",
    path: `${D1}/:database_id`,
    envelope: "object",
    type: `${sdk("d1/database/database", "DatabaseDeleteResponse")} | null`,
  },
  {
    sdk: "client.d1.database.query",
    method: "POST",
    path: `${D1}/:database_id/query`,
    envelope: "SinglePage",
    type: sdk("d1/database/database", "QueryResult"),
  },

  // The tenant's Worker in the dispatch namespace (worker-script.ts).
  {
    sdk: "client.workersForPlatforms.dispatch.namespaces.scripts.tags.list",
    method: "GET",
    path: `${SCRIPTS}/:script_name/tags`,
    envelope: "SinglePage",
    type: sdk("workers-for-platforms/dispatch/namespaces/scripts/tags", "TagListResponse"),
  },
  {
    // Raw: the SDK's typed update mis-encodes the multipart body (worker-script.ts).
    sdk: "client.put (as scripts.update)",
    method: "PUT",
    path: `${SCRIPTS}/:script_name`,
    envelope: "object",
    type: sdk("workers-for-platforms/dispatch/namespaces/scripts/scripts", "ScriptUpdateResponse"),
  },
  {
    sdk: "client.workersForPlatforms.dispatch.namespaces.scripts.delete",
    method: "DELETE",
    path: `${SCRIPTS}/:script_name`,
    envelope: "object",
    type: `${sdk("workers-for-platforms/dispatch/namespaces/scripts/scripts", "ScriptDeleteResponse")} | null`,
  },
  {
    // Raw: the SDK has no method for a namespace's script list; paged by limit and cursor.
    sdk: "client.get (scripts by tag)",
    method: "GET",
    path: SCRIPTS,
    envelope: "CursorLimitPagination",
    type: sdk("workers-for-platforms/dispatch/namespaces/scripts/scripts", "Script"),
  },

  // Custom hostnames (custom-hostname.ts).
  {
    sdk: "client.customHostnames.list",
    method: "GET",
    path: `${ZONE}/custom_hostnames`,
    envelope: "V4PagePaginationArray",
    type: sdk("custom-hostnames/custom-hostnames", "CustomHostnameListResponse"),
  },
  {
    sdk: "client.customHostnames.create",
    method: "POST",
    path: `${ZONE}/custom_hostnames`,
    envelope: "object",
    type: sdk("custom-hostnames/custom-hostnames", "CustomHostnameCreateResponse"),
  },
  {
    sdk: "client.customHostnames.get",
    method: "GET",
    path: `${ZONE}/custom_hostnames/:custom_hostname_id`,
    envelope: "object",
    type: sdk("custom-hostnames/custom-hostnames", "CustomHostnameGetResponse"),
  },
  {
    sdk: "client.customHostnames.delete",
    method: "DELETE",
    path: `${ZONE}/custom_hostnames/:custom_hostname_id`,
    envelope: "body",
    type: sdk("custom-hostnames/custom-hostnames", "CustomHostnameDeleteResponse"),
  },
  {
    sdk: "client.customHostnames.fallbackOrigin.get",
    method: "GET",
    path: `${ZONE}/custom_hostnames/fallback_origin`,
    envelope: "object",
    type: sdk("custom-hostnames/fallback-origin", "FallbackOriginGetResponse"),
  },

  // Regional hostnames (regional-hostname.ts).
  {
    sdk: "client.addressing.regionalHostnames.regions.list",
    method: "GET",
    path: `${ACCOUNT}/addressing/regional_hostnames/regions`,
    envelope: "SinglePage",
    type: sdk("addressing/regional-hostnames/regions", "RegionListResponse"),
  },
  {
    sdk: "client.addressing.regionalHostnames.create",
    method: "POST",
    path: `${ZONE}/addressing/regional_hostnames`,
    envelope: "object",
    type: sdk("addressing/regional-hostnames/regional-hostnames", "RegionalHostnameCreateResponse"),
  },
  {
    sdk: "client.addressing.regionalHostnames.get",
    method: "GET",
    path: `${ZONE}/addressing/regional_hostnames/:hostname`,
    envelope: "object",
    type: sdk("addressing/regional-hostnames/regional-hostnames", "RegionalHostnameGetResponse"),
  },
  {
    sdk: "client.addressing.regionalHostnames.edit",
    method: "PATCH",
    path: `${ZONE}/addressing/regional_hostnames/:hostname`,
    envelope: "object",
    type: sdk("addressing/regional-hostnames/regional-hostnames", "RegionalHostnameEditResponse"),
  },
  {
    sdk: "client.addressing.regionalHostnames.delete",
    method: "DELETE",
    path: `${ZONE}/addressing/regional_hostnames/:hostname`,
    envelope: "body",
    type: sdk("addressing/regional-hostnames/regional-hostnames", "RegionalHostnameDeleteResponse"),
  },
  {
    sdk: "client.kv.namespaces.bulkDelete",
    method: "POST",
    path: `${KV}/:namespace_id/bulk/delete`,
    envelope: "object",
    type: `${sdk("kv/namespaces/namespaces", "NamespaceBulkDeleteResponse")} | null`,
  },

  // platform init (platform-init.ts): the dispatch namespace, the dispatcher, its route, DNS, the fallback origin.
  {
    sdk: "client.workersForPlatforms.dispatch.namespaces.get",
    method: "GET",
    path: `${ACCOUNT}/workers/dispatch/namespaces/:dispatch_namespace`,
    envelope: "object",
    type: sdk("workers-for-platforms/dispatch/namespaces/namespaces", "NamespaceGetResponse"),
  },
  {
    sdk: "client.workersForPlatforms.dispatch.namespaces.create",
    method: "POST",
    path: `${ACCOUNT}/workers/dispatch/namespaces`,
    envelope: "object",
    type: sdk("workers-for-platforms/dispatch/namespaces/namespaces", "NamespaceCreateResponse"),
  },
  {
    sdk: "client.kv.namespaces.get",
    method: "GET",
    path: `${KV}/:namespace_id`,
    envelope: "object",
    type: sdk("kv/namespaces/namespaces", "Namespace"),
  },
  {
    sdk: "client.workers.scripts.scriptAndVersionSettings.get",
    method: "GET",
    path: `${ACCOUNT}/workers/scripts/:script_name/settings`,
    envelope: "object",
    type: sdk("workers/scripts/script-and-version-settings", "ScriptAndVersionSettingGetResponse"),
  },
  {
    sdk: "client.put (as workers.scripts.update)",
    method: "PUT",
    path: `${ACCOUNT}/workers/scripts/:script_name`,
    envelope: "object",
    type: sdk("workers/scripts/scripts", "ScriptUpdateResponse"),
  },
  {
    sdk: "client.workers.routes.list",
    method: "GET",
    path: `${ZONE}/workers/routes`,
    envelope: "SinglePage",
    type: sdk("workers/routes", "RouteListResponse"),
  },
  {
    sdk: "client.workers.routes.create",
    method: "POST",
    path: `${ZONE}/workers/routes`,
    envelope: "object",
    type: sdk("workers/routes", "RouteCreateResponse"),
  },
  {
    sdk: "client.dns.records.list",
    method: "GET",
    path: `${ZONE}/dns_records`,
    envelope: "V4PagePaginationArray",
    type: sdk("dns/records", "RecordResponse"),
  },
  {
    sdk: "client.dns.records.create",
    method: "POST",
    path: `${ZONE}/dns_records`,
    envelope: "object",
    type: sdk("dns/records", "RecordResponse"),
  },
  {
    sdk: "client.customHostnames.fallbackOrigin.update",
    method: "PUT",
    path: `${ZONE}/custom_hostnames/fallback_origin`,
    envelope: "object",
    type: sdk("custom-hostnames/fallback-origin", "FallbackOriginUpdateResponse"),
  },
];
