/**
 * The user Worker every tenant runs, uploaded into the dispatch namespace by the provisioner with
 * the tenant's own bindings (docs/contracts.md). It is only ever reached through the dispatcher,
 * which has already checked the host and stripped platform-reserved `x-wfp-*` headers.
 *
 * The registry itself (document store, hierarchical and Confluent APIs) comes in later issues;
 * each mounts here with `app.route()`.
 */
import { Hono } from "hono";
import { discardBody } from "../../contracts/discard-body.ts";
import { onApiError } from "./api-error.ts";
import { apiAccess } from "./auth/api-access.ts";
import { dispatchProof } from "./auth/dispatch-proof.ts";
import { backupApi } from "./backup/backup-api.ts";
import { confluentApi } from "./confluent/confluent-api.ts";
import { consoleRoutes } from "./console/console-routes.ts";
import { documentation } from "./docs/docs-routes.ts";
import type { TenantEnv } from "./env.ts";
import { health } from "./health.ts";
import { requestInput } from "./http/request-input.ts";
import { onNotFound } from "./not-found.ts";
import { registryApi } from "./registry/registry-api.ts";
import { requestId } from "./request-id.ts";
import { webhookPumpRoute } from "./webhooks/webhook-pump-route.ts";

const app = new Hono<TenantEnv>();

app.use(requestId());
// A handler that answers without reading the body (a 404, an early refusal) would otherwise leave
// the keep-alive connection unusable (see discardBody).
app.use(async (c, next) => {
  await next();
  await discardBody(c.req.raw);
});
// First of all checks: no tenant code runs for a request the dispatcher did not route here
// (after the body drain above, so a refused request with a body keeps its connection usable).
app.use(dispatchProof());
// The dispatcher's webhook clock asking for due deliveries (contracts/webhook-pump.ts): no API key.
app.use(webhookPumpRoute());
// API keys, roles and scopes for every route but /health and its probes, and the audit log
// (auth/access-policy.ts).
app.use(apiAccess());
app.route("/health", health);
// One OpenAPI document for both APIs (api-docs.ts): /openapi.json, /api/openapi.json, /openapi.yaml,
// and the documentation page at /docs and /api/docs (docs/docs-routes.ts).
app.route("/", documentation);
// The console in the browser (/ui, console/console-routes.ts): a public page that signs in with a key.
app.route("/", consoleRoutes);
// Before the /api/* input layer: the import route has its own, larger body limit (backup-api.ts).
app.route("/api", backupApi);
app.use("/api/*", requestInput());
app.route("/api", registryApi);
// The Confluent-compatible API at the root, as Confluent clients expect it (docs/confluent-api.md).
app.route("/", confluentApi);

// An unknown path: Confluent's 404 outside /api, the API's own under it (not-found.ts).
app.notFound(onNotFound);
app.onError(onApiError);

export default app;
