/**
 * The server's own description, as Confluent's clients and tools ask it: `GET /` and
 * `/v1/metadata/{id,version}`. One registry per tenant and no Kafka cluster of ours: fixed names,
 * as a single-node Confluent has.
 */
import { z } from "@hono/zod-openapi";
import { NONE } from "../../auth/access-rule.ts";
import { ConfluentResource, errors, ok, reply } from "../confluent-route.ts";

/** The version Confluent's metadata endpoint reports (the features were checked against it). */
const CONFLUENT_VERSION = "8.1.1";
const describe = { role: "read", scope: NONE, action: "api.describe" } as const;

export const metadata = new ConfluentResource("Confluent: metadata");

metadata.route(
  {
    method: "get",
    path: "/",
    summary: "The registry answers (`{}`), as Confluent's root does",
    access: describe,
    rootOnly: true,
    responses: { ...ok(z.object({}), "An empty object."), ...errors() },
  },
  (c) => reply(c, {}),
);

metadata.route(
  {
    method: "get",
    path: "/v1/metadata/id",
    summary: "The registry's cluster ids",
    access: describe,
    rootOnly: true,
    responses: {
      ...ok(
        z.object({ scope: z.object({ path: z.array(z.string()), clusters: z.record(z.string(), z.string()) }) }),
        "Confluent's metadata id shape.",
      ),
      ...errors(),
    },
  },
  (c) =>
    reply(c, {
      scope: { path: [], clusters: { "kafka-cluster": "wfp-tenant", "schema-registry-cluster": "wfp-tenant" } },
    }),
);

metadata.route(
  {
    method: "get",
    path: "/v1/metadata/version",
    summary: "The Confluent version this API follows",
    access: describe,
    rootOnly: true,
    responses: { ...ok(z.object({ version: z.string(), commitId: z.string() }), "The version."), ...errors() },
  },
  (c) => reply(c, { version: CONFLUENT_VERSION, commitId: "wfp" }),
);
