/**
 * The local platform's front Worker for the path form (contracts/local-tenant-url.ts): Miniflare
 * sends it only requests whose URL starts with `<platform host>/_tenant/` (its `routes`); every
 * other request goes straight to the dispatcher, so tenant traffic by hostname costs nothing more.
 *
 * A path-form request is handed to the dispatcher, through a service binding, as the request
 * `http://<hostname>:<port>/<rest>` would have been (method, headers, body and query string as sent,
 * `Host` the tenant's), so the dispatcher's unchanged code routes it by hostname and fails closed
 * exactly as it does in production: no route record, no tenant. The tenant never sees the prefix.
 * A hostname that is not a DNS name is refused here with the dispatcher's 400 `bad_host`.
 */
import { discardBody } from "../../../contracts/discard-body.ts";
import { platformErrorResponse } from "../../../dispatcher/src/platform-error.ts";
import { requestIdOf } from "../../../dispatcher/src/request-id.ts";
import { platformHostList, resolveTenantPath, tenantPathLocation } from "../tenant-path.ts";

interface TenantPathEnv {
  /** The dispatcher Worker. */
  DISPATCHER: Fetcher;
  /** The dispatcher's PLATFORM_HOSTS: the only hosts whose `/_tenant/` paths are read. */
  PLATFORM_HOSTS: string;
}

let hostsSource: string | undefined;
let hosts: string[] = [];

export default {
  async fetch(request, env) {
    if (env.PLATFORM_HOSTS !== hostsSource) {
      hosts = platformHostList(env.PLATFORM_HOSTS);
      hostsSource = env.PLATFORM_HOSTS;
    }
    const target = resolveTenantPath(request.url, hosts);
    if (target.kind === "pass") return env.DISPATCHER.fetch(request);
    if (target.kind === "bad_host") {
      await discardBody(request);
      return platformErrorResponse(
        400,
        "bad_host",
        "The host name after /_tenant/ is not valid.",
        requestIdOf(request),
      );
    }
    const forwarded = new Request(target.url, request);
    forwarded.headers.set("host", target.authority);
    const response = await env.DISPATCHER.fetch(forwarded);
    const location = response.headers.get("location");
    if (location === null) return response;
    const rewritten = tenantPathLocation(location, target);
    if (rewritten === location) return response;
    const copy = new Response(response.body, response);
    copy.headers.set("location", rewritten);
    return copy;
  },
} satisfies ExportedHandler<TenantPathEnv>;
