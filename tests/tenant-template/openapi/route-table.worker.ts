/**
 * A tiny Worker that answers the tenant app's route table (`app.routes`: method and path of every
 * handler and middleware), the OpenAPI document it serves and its access table, so
 * openapi-coverage.test.ts and auth/access-rules.test.ts can compare them with the template's own
 * code as built for workerd (no request runs the app).
 */
import { tenantOpenApiDocument } from "../../../tenant-template/src/api-docs.ts";
import { ACCESS_RULES } from "../../../tenant-template/src/auth/access-policy.ts";
import app from "../../../tenant-template/src/index.ts";

export default {
  async fetch(): Promise<Response> {
    return Response.json({
      routes: app.routes.map(({ method, path }) => ({ method, path })),
      document: tenantOpenApiDocument(),
      rules: ACCESS_RULES.map(({ method, path, role, scope, action, audited }) => ({
        method,
        path,
        role,
        scope: scope.kind,
        action,
        audited,
      })),
    });
  },
};
