/**
 * `/subjects/{subject}/versions...`: registering a schema under a subject, and reading and
 * deleting its versions (docs/confluent-api.md, "Endpoints" and "Behaviour").
 */
import { z } from "@hono/zod-openapi";
import { SUBJECT } from "../../auth/access-rule.ts";
import { confluentStateQueries } from "../../audit/confluent-state.ts";
import { confluentAuditTarget, noteChange } from "../../audit/note-change.ts";
import type { CompatibilityLevel } from "../../compat/compatibility.ts";
import type { VersionBump } from "../../registry/semantic-version.ts";
import { isObject, presentVersion, registeredAnswer, versionAnswer, type Json } from "../confluent-answers.ts";
import { CONFLUENT_ERRORS } from "../confluent-error.ts";
import {
  deletedFlag,
  flag,
  page,
  paging,
  schemaBody,
  subjectOf,
  subjectParams,
  subjectVersionParams,
  versionOf,
} from "../confluent-input.ts";
import { CONFLUENT_CONTENT_TYPE, ConfluentResource, errors, fail, ok, reply } from "../confluent-route.ts";
import {
  claimGlobalId,
  createSubject,
  dropVersion,
  hardDelete,
  insertSubjectVersion,
  referencedBy,
  softDelete,
  type SubjectRead,
} from "../confluent-store.ts";
import {
  checkReservedFields,
  mergeMetadata,
  mergeRuleSets,
  sameSchema,
  versionHint,
  withoutVersionHint,
} from "../registration-rules.ts";
import { subjectCompatibility } from "../subject-compatibility.ts";
import { compatibilityLevelIn, configAmong, modeAmong, subjectLevel } from "../subject-settings.ts";
import {
  dataSubject,
  parseSchemaInput,
  pickVersion,
  readForWrite,
  refuseIfReferenced,
  requireSubject,
  requireWritable,
  writableMode,
} from "../subject-lookup.ts";

/** Levels whose check includes "backward compatible with the latest version". */
const BACKWARD_LEVELS: ReadonlySet<CompatibilityLevel> = new Set([
  "BACKWARD",
  "BACKWARD_TRANSITIVE",
  "FULL",
  "FULL_TRANSITIVE",
]);

const {
  subjectNotFound,
  versionNotFound,
  invalidSchema,
  invalidSubject,
  invalidVersion,
  invalidContext,
  operationNotPermitted,
  referenceExists,
} = CONFLUENT_ERRORS;

export const versions = new ConfluentResource("Confluent: versions");

versions.route(
  {
    method: "post",
    path: "/subjects/{subject}/versions",
    summary: "Register a schema under a subject (idempotent: the same schema answers its id)",
    access: { role: "write", scope: SUBJECT, action: "subject.register" },
    params: subjectParams,
    body: schemaBody,
    responses: {
      ...ok(registeredAnswer, "The global id."),
      ...errors(
        CONFLUENT_ERRORS.incompatibleSchema,
        invalidSchema,
        invalidSubject,
        CONFLUENT_ERRORS.schemaTooLarge,
        operationNotPermitted,
        invalidContext,
      ),
    },
  },
  async (c, { params, body: input }) => {
    const session = c.var.session;
    // The subject, its settings and versions, read once (docs/confluent-api.md, "Registration speed").
    const { subject, settings, read } = await readForWrite(c, params);
    const level = subjectLevel(subject);
    const mode = writableMode(subject, modeAmong(settings, level));
    if (input.id !== undefined && mode !== "IMPORT")
      fail(
        operationNotPermitted,
        `Subject '${subject.qualified}' is not in import mode: a schema id can only be given when importing.`,
      );
    const parsed = await parseSchemaInput(c, subject, input);
    const schema = read.schema ?? (await createSubject(session, subject, read.contextId));
    const known: Omit<SubjectRead, "schema"> = read.schema === null ? { versions: [], semanticVersions: [] } : read;
    const { versions } = known;
    const live = versions.filter((version) => !version.deleted);
    const previous = live.at(-1);

    const config = configAmong(settings, level);
    const requested = input.metadata === undefined ? previous?.metadata : input.metadata;
    const metadata = withoutVersionHint(
      mergeMetadata(
        mergeMetadata(config.defaultMetadata as Json | undefined, requested),
        config.overrideMetadata as Json | undefined,
      ),
    );
    const requestedRules = input.ruleSet === undefined ? previous?.ruleSet : input.ruleSet;
    const ruleSet = mergeRuleSets(
      mergeRuleSets(config.defaultRuleSet as Json | undefined, requestedRules),
      config.overrideRuleSet as Json | undefined,
    );
    const identity = {
      schemaType: input.schemaType,
      schema: input.schema,
      references: input.references,
      context: subject.context,
    };

    // An import says which id the schema had: without one, it is not an import.
    if (mode === "IMPORT" && input.id === undefined)
      fail(
        operationNotPermitted,
        `Subject '${subject.qualified}' is in import mode: give the schema's id (and version) to import it.`,
      );
    // Registering a schema the subject already has is idempotent: same id, no new version (with a
    // confluent:version hint, only if it names that version).
    const hint = versionHint(input.metadata);
    const same = live
      .filter(
        (version) => sameSchema(version, input, metadata, ruleSet) && (hint === undefined || version.version === hint),
      )
      .at(-1);
    if (
      same &&
      (input.id === undefined || input.id === same.globalId) &&
      (input.version === undefined || input.version === same.version)
    ) {
      // Nothing written (unless this read numbered versions published through /api): after is before.
      const audit = confluentAuditTarget(c);
      if (audit !== undefined && audit.subject === subject.qualified && !read.numbered)
        noteChange(c, audit.before, audit.before);
      return reply(c, { id: same.globalId });
    }

    if (mode === "IMPORT") {
      if (input.id === undefined)
        fail(
          operationNotPermitted,
          `Subject '${subject.qualified}' is in import mode: give the schema's id to import it.`,
        );
      const taken =
        input.version === undefined ? undefined : versions.find((version) => version.version === input.version);
      // A version that is already there is answered as it is, as Confluent does (mode_exhaustive's
      // "Confluent allows this (returns existing)"); the bulk import, POST /import/schemas, is the
      // strict one (docs/confluent-api.md, "Import").
      if (taken) return reply(c, { id: taken.globalId });
      const id = input.id;
      if (!(await claimGlobalId(session, input.id, identity)))
        fail(operationNotPermitted, `Schema id ${input.id} is already used by a different schema.`);
      await insertSubjectVersion(session, schema, {
        schemaType: input.schemaType,
        text: input.schema,
        id,
        ...(input.version === undefined ? {} : { version: input.version }),
        metadata,
        ruleSet,
        context: subject.context,
        known,
      });
      return reply(c, { id });
    }

    if (config.validateFields === true) checkReservedFields(parsed, metadata, previous?.metadata ?? null);
    const compatibility = compatibilityLevelIn(config);
    // compatibilityGroup names a metadata property: only versions with the same value are compared.
    const group =
      typeof config.compatibilityGroup === "string" && config.compatibilityGroup !== ""
        ? config.compatibilityGroup
        : undefined;
    const groupOf = (data: Json | null | undefined): unknown =>
      group !== undefined && isObject(data?.properties) ? data.properties[group] : undefined;
    const comparable =
      group === undefined ? live : live.filter((version) => groupOf(version.metadata) === groupOf(metadata));
    const result = await subjectCompatibility(
      session,
      subject,
      { schemaType: input.schemaType, parsed },
      compatibility,
      comparable,
    );
    if (!result.isCompatible) {
      fail(
        CONFLUENT_ERRORS.incompatibleSchema,
        `Schema being registered is incompatible with an earlier schema for subject "${subject.qualified}", ` +
          `details: [${result.messages.join(", ")}]`,
      );
    }
    // /api files the version as a minor bump when it is backward compatible with the latest, else major.
    const checkedBackward =
      BACKWARD_LEVELS.has(compatibility) && previous !== undefined && comparable.at(-1) === previous;
    const bump: VersionBump =
      previous === undefined
        ? "major"
        : checkedBackward ||
            (
              await subjectCompatibility(session, subject, { schemaType: input.schemaType, parsed }, "BACKWARD", [
                previous,
              ])
            ).isCompatible
          ? "minor"
          : "major";
    // The audit log's after state is read in the write's own batch when the subject written is the
    // one the URL names (an alias writes another).
    const audit = confluentAuditTarget(c);
    const state =
      audit !== undefined && audit.subject === subject.qualified
        ? confluentStateQueries(session, audit.subject, audit.context)
        : undefined;
    const written = await insertSubjectVersion(session, schema, {
      schemaType: input.schemaType,
      text: input.schema,
      id: { identity },
      metadata,
      ruleSet,
      bump,
      context: subject.context,
      known,
      ...(state === undefined ? {} : { alsoRead: state.statements }),
    });
    // Concurrent registrations of the same schema each saw none and each added a version: the
    // lowest of them stays, the others take theirs back and answer its id (one version, one id).
    // The write read the subject back in its own batch.
    const twins = written.versions.filter((each) => !each.deleted && sameSchema(each, input, metadata, ruleSet));
    const first = twins[0];
    if (first && first.version < written.version) {
      const mine = twins.find((each) => each.version === written.version);
      if (mine) await dropVersion(session, mine);
      return reply(c, { id: first.globalId });
    }
    if (audit !== undefined && state !== undefined) noteChange(c, audit.before, state.decode(written.alsoRead));
    const { id } = written;
    // Confluent answers the id alone.
    return reply(c, { id });
  },
);

versions.route(
  {
    method: "get",
    path: "/subjects/{subject}/versions",
    summary: "List a subject's versions",
    access: { role: "read", scope: SUBJECT, action: "subject.versions" },
    params: subjectParams,
    query: z.object({ deleted: deletedFlag, deletedOnly: flag("Only soft-deleted versions."), ...paging }),
    responses: {
      ...ok(z.array(z.number().int()), "Version numbers, oldest first."),
      ...errors(subjectNotFound, invalidSubject),
    },
  },
  async (c, { params, query }) => {
    const subject = await dataSubject(c, params);
    const includeDeleted = query.deleted || query.deletedOnly;
    const { versions } = await requireSubject(c, subject, includeDeleted);
    const shown = versions.filter((version) =>
      query.deletedOnly ? version.deleted : includeDeleted || !version.deleted,
    );
    return reply(
      c,
      page(
        query,
        shown.map((version) => version.version),
      ),
    );
  },
);

versions.route(
  {
    method: "get",
    path: "/subjects/{subject}/versions/{version}",
    summary: "Get one version of a subject",
    access: { role: "read", scope: SUBJECT, action: "subject.version.read" },
    params: subjectVersionParams,
    query: z.object({ deleted: deletedFlag }),
    responses: {
      ...ok(versionAnswer, "The version."),
      ...errors(subjectNotFound, versionNotFound, invalidVersion, invalidSubject),
    },
  },
  async (c, { params, query }) => {
    const subject = await dataSubject(c, params);
    const { versions } = await requireSubject(c, subject, query.deleted);
    return reply(c, presentVersion(subject, pickVersion(versions, versionOf(params), query.deleted, subject)));
  },
);

versions.route(
  {
    method: "get",
    path: "/subjects/{subject}/versions/{version}/schema",
    summary: "Get one version's schema text, exactly as registered",
    access: { role: "read", scope: SUBJECT, action: "subject.version.read" },
    params: subjectVersionParams,
    query: z.object({ deleted: deletedFlag }),
    responses: {
      ...ok(z.string(), "The schema text itself."),
      ...errors(subjectNotFound, versionNotFound, invalidVersion, invalidSubject),
    },
  },
  async (c, { params, query }) => {
    const subject = await dataSubject(c, params);
    const { versions } = await requireSubject(c, subject, query.deleted);
    // The schema text itself, exactly as registered.
    return c.body(pickVersion(versions, versionOf(params), query.deleted, subject).document.body.specification, 200, {
      "content-type": CONFLUENT_CONTENT_TYPE,
    });
  },
);

versions.route(
  {
    method: "get",
    path: "/subjects/{subject}/versions/{version}/referencedby",
    summary: "The ids of live schemas that reference this version",
    access: { role: "read", scope: SUBJECT, action: "subject.version.referencedby" },
    params: subjectVersionParams,
    responses: {
      ...ok(z.array(z.number().int()), "Schema ids."),
      ...errors(subjectNotFound, versionNotFound, invalidVersion, invalidSubject),
    },
  },
  async (c, { params }) => {
    const subject = await dataSubject(c, params);
    const { versions } = await requireSubject(c, subject, true);
    const version = pickVersion(versions, versionOf(params), true, subject);
    return reply(c, await referencedBy(c.var.session, subject.qualified, version.version));
  },
);

versions.route(
  {
    method: "delete",
    path: "/subjects/{subject}/versions/{version}",
    summary: "Delete one version (soft; `?permanent=true` after a soft delete)",
    access: { role: "write", scope: SUBJECT, action: "subject.version.delete" },
    params: subjectVersionParams,
    query: z.object({ permanent: flag("Hard delete (only after a soft delete).") }),
    responses: {
      ...ok(z.number().int(), "The version deleted."),
      ...errors(
        subjectNotFound,
        versionNotFound,
        CONFLUENT_ERRORS.versionSoftDeleted,
        CONFLUENT_ERRORS.versionNotSoftDeleted,
        invalidVersion,
        invalidSubject,
        operationNotPermitted,
        referenceExists,
      ),
    },
  },
  async (c, { params, query }) => {
    const subject = subjectOf(params);
    const wanted = versionOf(params);
    const { permanent } = query;
    await requireWritable(c, subject);
    const { schema, versions } = await requireSubject(c, subject, true);
    // `latest` means the latest live version, as in Confluent; a number may name a soft-deleted one.
    // A permanent delete of `latest` means the latest version, soft-deleted or not (it must be, to go).
    const version = pickVersion(versions, wanted, wanted !== "latest" || permanent, subject);
    if (permanent) {
      if (!version.deleted)
        fail(
          CONFLUENT_ERRORS.versionNotSoftDeleted,
          `Subject '${subject.qualified}' Version ${version.version} ` +
            `was not deleted first before being permanently deleted`,
        );
      await refuseIfReferenced(c, subject, [version]);
      await hardDelete(c.var.session, schema, [version], subject.qualified);
      return reply(c, version.version);
    }
    if (version.deleted)
      fail(
        CONFLUENT_ERRORS.versionSoftDeleted,
        `Subject '${subject.qualified}' Version ${version.version} ` +
          `was soft deleted. Set permanent=true to delete permanently`,
      );
    await refuseIfReferenced(c, subject, [version]);
    await softDelete(c.var.session, version);
    return reply(c, version.version);
  },
);
