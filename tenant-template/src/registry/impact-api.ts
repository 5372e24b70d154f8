/**
 * `POST /api/impact`: /api's side of the impact analysis (confluent/impact-analysis.ts; docs:
 * registry-api.md and confluent-api.md, "Impact analysis"). The body names the subject and the
 * candidate in the shape of a Confluent registration; the answer is the same report as
 * `POST /impact/subjects/{subject}` gives. Nothing is written. Unscoped keys only (auth/access-policy.ts).
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ApiError } from "../api-error.ts";
import { ConfluentError } from "../confluent/confluent-error.ts";
import { parseSubject, type SchemaType } from "../confluent/confluent-store.ts";
import { analyseImpact } from "../confluent/impact-analysis.ts";
import { impactReportSchema } from "../confluent/impact-report.ts";
import { SCHEMA_FORMATS } from "../store/collections.ts";
import type { RegistryEnv } from "./level-routes.ts";

const reference = z.strictObject({
  name: z.string().min(1),
  subject: z.string().min(1),
  version: z.number().int().openapi({ description: "A version number, or -1 for the latest." }),
});

const impactRequest = z
  .strictObject({
    subject: z.string().min(1).openapi({ description: "The subject the candidate would be registered under." }),
    schema: z.string().min(1).openapi({ description: "The candidate's text." }),
    schemaType: z.enum(SCHEMA_FORMATS).default("AVRO"),
    references: z.array(reference).default([]),
  })
  .openapi("ImpactRequest");

export const impactApi = new OpenAPIHono<RegistryEnv>();

impactApi.openapi(
  createRoute({
    method: "post",
    path: "/impact",
    tags: ["registry"],
    summary: "What a new schema would do to its subject and to every subject referencing it",
    request: { body: { required: true, content: { "application/json": { schema: impactRequest } } } },
    responses: {
      200: { description: "The analysis.", content: { "application/json": { schema: impactReportSchema } } },
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    try {
      return c.json(
        await analyseImpact(c.var.session, {
          subject: parseSubject(body.subject),
          schemaType: body.schemaType as SchemaType,
          schema: body.schema,
          references: body.references,
        }),
        200,
      );
    } catch (error) {
      // The candidate does not parse, or a reference names nothing: the Confluent check's words.
      if (error instanceof ConfluentError) throw new ApiError(422, "invalid_schema", error.message);
      throw error;
    }
  },
);
