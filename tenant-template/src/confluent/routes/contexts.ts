/**
 * `GET /contexts`: the contexts holding subjects. Served at the root only: every other route is
 * also served under `/contexts/{context}` (confluent-route.ts).
 */
import { z } from "@hono/zod-openapi";
import { TENANT } from "../../auth/access-rule.ts";
import { ConfluentResource, errors, ok, reply } from "../confluent-route.ts";
import { contextLabel, listContexts } from "../confluent-store.ts";

export const contexts = new ConfluentResource("Confluent: contexts");

contexts.route(
  {
    method: "get",
    path: "/contexts",
    summary: "The contexts holding subjects (`.` is the default)",
    // Every context of the tenant, whatever a key's prefix: tenant-wide.
    access: { role: "read", scope: TENANT, action: "context.list" },
    rootOnly: true,
    responses: { ...ok(z.array(z.string()), 'Context names, e.g. [".", ".payments"].'), ...errors() },
  },
  async (c) => reply(c, (await listContexts(c.var.session)).map(contextLabel)),
);
