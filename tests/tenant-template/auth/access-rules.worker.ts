/**
 * A tiny Worker that answers the tenant app's route table (`app.routes`) and the access rules
 * (tenant-template/src/auth/access-policy.ts), as built for workerd, so access-matrix.test.ts can
 * check that every route has a rule and then call every route with every kind of key.
 */
import { ACCESS_RULES } from "../../../tenant-template/src/auth/access-policy.ts";
import app from "../../../tenant-template/src/index.ts";

export default {
  async fetch(): Promise<Response> {
    return Response.json({
      routes: app.routes.map(({ method, path }) => ({ method, path })),
      rules: ACCESS_RULES.map((rule) => ({
        method: rule.method,
        path: rule.path,
        role: rule.role,
        scope: rule.scope.kind,
        action: rule.action,
        audited: rule.audited,
      })),
    });
  },
};
