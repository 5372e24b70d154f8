/**
 * `POST /impact/subjects/{subject}`: what registering a schema under a subject would do to it and
 * to every subject that references it (impact-analysis.ts; docs/confluent-api.md, "Impact
 * analysis"). The body is a registration's. Nothing is written. Unscoped keys only: the answer
 * names subjects outside any prefix.
 */
import { TENANT } from "../../auth/access-rule.ts";
import { CONFLUENT_ERRORS } from "../confluent-error.ts";
import { schemaBody, subjectOf, subjectParams } from "../confluent-input.ts";
import { ConfluentResource, errors, ok, reply } from "../confluent-route.ts";
import { analyseImpact } from "../impact-analysis.ts";
import { impactReportSchema } from "../impact-report.ts";

export const impact = new ConfluentResource("Confluent: impact");

impact.route(
  {
    method: "post",
    path: "/impact/subjects/{subject}",
    summary: "What registering a schema would do to its subject and to every subject referencing it",
    description:
      "Whether the schema is compatible with the subject; for each subject whose latest version references it, " +
      "directly or transitively, whether that version stays valid with the new versions in place and compatible " +
      "under its own level, and why not; reference cycles; an order to evolve them in. Writes nothing.",
    access: { role: "read", scope: TENANT, action: "subject.impact" },
    params: subjectParams,
    body: schemaBody,
    responses: {
      ...ok(impactReportSchema, "The analysis."),
      ...errors(CONFLUENT_ERRORS.invalidSchema, CONFLUENT_ERRORS.invalidSubject),
    },
  },
  async (c, { params, body }) =>
    reply(
      c,
      await analyseImpact(c.var.session, {
        subject: subjectOf(params),
        schemaType: body.schemaType,
        schema: body.schema,
        references: body.references,
      }),
    ),
);
