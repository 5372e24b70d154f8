/**
 * `/subjects` and `/subjects/{subject}`: listing subjects, looking a schema up in one, deleting
 * one, and its latest metadata (docs/confluent-api.md, "Endpoints").
 */
import { z } from "@hono/zod-openapi";
import { SUBJECT, SUBJECTS } from "../../auth/access-rule.ts";
import { presentVersion, versionAnswer } from "../confluent-answers.ts";
import { CONFLUENT_ERRORS } from "../confluent-error.ts";
import {
  deletedFlag,
  flag,
  lookupBody,
  page,
  paging,
  subjectOf,
  subjectParams,
  subjectPrefixQuery,
  subjectsListParams,
  urlContextOf,
} from "../confluent-input.ts";
import { ConfluentResource, errors, fail, ok, reply } from "../confluent-route.ts";
import { readSubject, hardDelete, listSubjects, parseSubject, softDelete } from "../confluent-store.ts";
import { sameSchemaText } from "../registration-rules.ts";
import {
  dataSubject,
  parseSchemaInput,
  refuseIfReferenced,
  requireSubject,
  requireWritable,
  visibleTo,
} from "../subject-lookup.ts";

const { subjectNotFound, schemaNotFound, invalidSchema, invalidSubject, invalidContext } = CONFLUENT_ERRORS;

export const subjects = new ConfluentResource("Confluent: subjects");

subjects.route(
  {
    method: "get",
    path: "/subjects",
    summary: "List subjects with a live version",
    description:
      "Subject names of the default context (under /contexts/{context}: that context's, plain); " +
      "`subjectPrefix=:*:` lists every context's, qualified `:.ctx:name`.",
    access: { role: "read", scope: SUBJECTS, action: "subject.list" },
    params: subjectsListParams,
    query: z.object({
      subjectPrefix: subjectPrefixQuery,
      deleted: flag("Include subjects whose versions are all soft-deleted."),
      deletedOnly: flag("Only subjects whose versions are all soft-deleted."),
      ...paging,
    }),
    responses: { ...ok(z.array(z.string()), "Subject names."), ...errors(invalidContext) },
  },
  async (c, { params, query }) => {
    const inContext = params.context !== undefined;
    const prefix = query.subjectPrefix ?? "";
    // At the root, the default context's subjects, unless the prefix names another context
    // (`:.ctx:`) or all of them (`:*:`).
    const context = inContext
      ? urlContextOf(params)
      : prefix.startsWith(":*:") || prefix.startsWith(":.")
        ? undefined
        : ".";
    // A key scoped to a subject prefix is answered only the subjects inside it.
    const visible = visibleTo(c);
    const listed = (await listSubjects(c.var.session, context))
      .filter((summary) =>
        query.deletedOnly ? summary.live === 0 && summary.deleted > 0 : summary.live > 0 || query.deleted,
      )
      .filter((summary) => visible(summary.subject.qualified))
      .map((summary) => (inContext ? summary.subject.name : summary.subject.qualified))
      .filter(
        (name) =>
          prefix === "" ||
          prefix.startsWith(":*:") ||
          name.startsWith(prefix) ||
          parseSubject(name).name.startsWith(prefix),
      );
    return reply(c, page(query, listed));
  },
);

subjects.route(
  {
    method: "post",
    path: "/subjects/{subject}",
    summary: "Look up a schema in a subject",
    description: "Looking a schema up changes nothing: a read.",
    access: { role: "read", scope: SUBJECT, action: "subject.lookup" },
    params: subjectParams,
    query: z.object({ deleted: deletedFlag }),
    body: lookupBody,
    responses: {
      ...ok(versionAnswer, "The version holding that schema."),
      ...errors(subjectNotFound, schemaNotFound, invalidSchema, invalidSubject),
    },
  },
  async (c, { params, query, body: input }) => {
    const subject = await dataSubject(c, params);
    const { versions } = await requireSubject(c, subject, query.deleted);
    await parseSchemaInput(c, subject, input);
    const found = versions
      .filter((version) => (query.deleted || !version.deleted) && sameSchemaText(version, input))
      .at(-1);
    if (!found) fail(schemaNotFound, "Schema not found");
    return reply(c, presentVersion(subject, found));
  },
);

subjects.route(
  {
    method: "delete",
    path: "/subjects/{subject}",
    summary: "Delete a subject (soft; `?permanent=true` after a soft delete)",
    access: { role: "write", scope: SUBJECT, action: "subject.delete" },
    params: subjectParams,
    query: z.object({ permanent: flag("Hard delete (only after a soft delete).") }),
    responses: {
      ...ok(z.array(z.number().int()), "The versions deleted."),
      ...errors(
        subjectNotFound,
        CONFLUENT_ERRORS.subjectSoftDeleted,
        CONFLUENT_ERRORS.subjectNotSoftDeleted,
        CONFLUENT_ERRORS.operationNotPermitted,
        CONFLUENT_ERRORS.referenceExists,
        invalidSubject,
      ),
    },
  },
  async (c, { params, query }) => {
    const subject = subjectOf(params);
    await requireWritable(c, subject);
    const { schema, versions } = await readSubject(c.var.session, subject);
    if (schema === null || versions.length === 0) fail(subjectNotFound, `Subject '${subject.qualified}' not found.`);
    const live = versions.filter((version) => !version.deleted);
    if (query.permanent) {
      if (live.length > 0)
        fail(
          CONFLUENT_ERRORS.subjectNotSoftDeleted,
          `Subject '${subject.qualified}' was not deleted first before being permanently deleted`,
        );
      await refuseIfReferenced(c, subject, versions);
      await hardDelete(c.var.session, schema, versions, subject.qualified);
      return reply(
        c,
        versions.map((version) => version.version),
      );
    }
    if (live.length === 0)
      fail(
        CONFLUENT_ERRORS.subjectSoftDeleted,
        `Subject '${subject.qualified}' was soft deleted. Set permanent=true to delete permanently`,
      );
    await refuseIfReferenced(c, subject, live);
    for (const version of live) await softDelete(c.var.session, version);
    return reply(
      c,
      live.map((version) => version.version),
    );
  },
);

/** The latest live version's metadata (`{}` when it has none): what a client reads before a CAS registration. */
subjects.route(
  {
    method: "get",
    path: "/subjects/{subject}/metadata",
    summary: "The latest live version's metadata (`{}` when none)",
    access: { role: "read", scope: SUBJECT, action: "subject.metadata" },
    params: subjectParams,
    responses: {
      ...ok(z.record(z.string(), z.unknown()), "Metadata: properties, tags, sensitive."),
      ...errors(subjectNotFound, invalidSubject),
    },
  },
  async (c, { params }) => {
    const subject = await dataSubject(c, params);
    const { versions } = await requireSubject(c, subject, false);
    return reply(c, versions.filter((version) => !version.deleted).at(-1)?.metadata ?? {});
  },
);
