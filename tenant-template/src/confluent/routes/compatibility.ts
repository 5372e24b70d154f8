/**
 * `/compatibility/subjects/{subject}/versions[/{version}]`: testing a schema against a subject's
 * versions without registering it (the check itself is subject-compatibility.ts).
 */
import { z } from "@hono/zod-openapi";
import { SUBJECT } from "../../auth/access-rule.ts";
import type { CompatibilityLevel, CompatibilityResult } from "../../compat/compatibility.ts";
import { compatibilityAnswer } from "../confluent-answers.ts";
import { CONFLUENT_ERRORS } from "../confluent-error.ts";
import { flag, schemaBody, subjectParams, subjectVersionParams, versionOf } from "../confluent-input.ts";
import { ConfluentResource, errors, ok, reply, type Ctx } from "../confluent-route.ts";
import { readSubject } from "../confluent-store.ts";
import { subjectCompatibility } from "../subject-compatibility.ts";
import { compatibilityLevelOf } from "../subject-settings.ts";
import { dataSubject, parseSchemaInput, pickVersion } from "../subject-lookup.ts";

const { versionNotFound, invalidSchema, invalidVersion, invalidSubject } = CONFLUENT_ERRORS;

function answer(c: Ctx, verbose: boolean, result: CompatibilityResult): Response {
  return reply(
    c,
    verbose
      ? { is_compatible: result.isCompatible, messages: result.messages }
      : { is_compatible: result.isCompatible },
  );
}

const verbose = z.object({ verbose: flag("Add the reasons in `messages`.") });

export const compatibility = new ConfluentResource("Confluent: compatibility");

// Testing compatibility changes nothing: a read.
compatibility.route(
  {
    method: "post",
    path: "/compatibility/subjects/{subject}/versions/{version}",
    summary: "Test a schema against one version (the level's direction, not its transitivity)",
    access: { role: "read", scope: SUBJECT, action: "subject.compatibility" },
    params: subjectVersionParams,
    query: verbose,
    body: schemaBody,
    responses: {
      ...ok(compatibilityAnswer, "Compatible or not."),
      ...errors(versionNotFound, invalidSchema, invalidVersion, invalidSubject),
    },
  },
  async (c, { params, query, body: input }) => {
    const subject = await dataSubject(c, params);
    const parsed = await parseSchemaInput(c, subject, input);
    // A version of a subject that does not exist is not found as a version (40402), as Confluent answers.
    const versions = (await readSubject(c.var.session, subject)).versions.filter((version) => !version.deleted);
    const against = pickVersion(versions, versionOf(params), false, subject);
    // Against one version, the level's direction applies without its transitivity.
    const level = (await compatibilityLevelOf(c.var.session, subject)).replace("_TRANSITIVE", "") as CompatibilityLevel;
    return answer(
      c,
      query.verbose,
      await subjectCompatibility(c.var.session, subject, { schemaType: input.schemaType, parsed }, level, [against]),
    );
  },
);

compatibility.route(
  {
    method: "post",
    path: "/compatibility/subjects/{subject}/versions",
    summary: "Test a schema against the subject's live versions at its level",
    access: { role: "read", scope: SUBJECT, action: "subject.compatibility" },
    params: subjectParams,
    query: verbose,
    body: schemaBody,
    responses: {
      ...ok(compatibilityAnswer, "Compatible or not (a subject with no versions accepts anything)."),
      ...errors(invalidSchema, invalidSubject),
    },
  },
  async (c, { params, query, body: input }) => {
    const subject = await dataSubject(c, params);
    const parsed = await parseSchemaInput(c, subject, input);
    // A subject with no versions accepts anything (Confluent answers compatible too).
    const live = (await readSubject(c.var.session, subject)).versions.filter((version) => !version.deleted);
    return answer(
      c,
      query.verbose,
      await subjectCompatibility(
        c.var.session,
        subject,
        { schemaType: input.schemaType, parsed },
        await compatibilityLevelOf(c.var.session, subject),
        live,
      ),
    );
  },
);
