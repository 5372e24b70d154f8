/**
 * `GET /api/whoami`: what the presented key may do (its id, role and scopes), so a client such as
 * the console (/ui) offers only what the key allows instead of finding out by trying. Any valid
 * key may ask, scoped or not; nothing secret is answered (never a hash, never the key).
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { validationHook } from "../http/request-input.ts";
import type { RequestIdVariables } from "../request-id.ts";
import { ROLES } from "../../../contracts/api-key.ts";
import type { Principal } from "./key-store.ts";

// The principal is set by auth/api-access.ts, which is not imported here: route modules build the
// access table that middleware reads, so importing it back would be a cycle (see audit/note-change.ts).
type WhoamiEnv = { Variables: RequestIdVariables & { principal: Principal } };

const whoami = z
  .object({
    keyId: z.string().openapi({ description: "The key's id (`admin` for the provisioner's key)." }),
    role: z.enum(ROLES).openapi({ description: "read < write < admin." }),
    productId: z.string().nullable().openapi({ description: "Set: /api is limited to this product's subtree." }),
    subjectPrefix: z
      .string()
      .nullable()
      .openapi({ description: "Set: the Confluent API is limited to subjects starting with this." }),
  })
  .openapi("Whoami");

/**
 * @example
 *   app.route("/api", whoamiApi); // GET /api/whoami
 */
export const whoamiApi = new OpenAPIHono<WhoamiEnv>({ defaultHook: validationHook });

whoamiApi.openapi(
  createRoute({
    method: "get",
    path: "/whoami",
    tags: ["keys"],
    summary: "The presented key's id, role and scopes",
    request: { query: z.strictObject({}) },
    responses: { 200: { description: "What this key may do.", content: { "application/json": { schema: whoami } } } },
  }),
  (c) => {
    const { keyId, role, productId, subjectPrefix } = c.var.principal;
    c.header("Cache-Control", "no-store");
    return c.json({ keyId, role, productId, subjectPrefix }, 200);
  },
);
