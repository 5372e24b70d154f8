/**
 * What publishing a version through /api must respect so that both APIs tell one truth
 * (docs/registry-api.md, "Publication"): a Confluent client reads every published version as a
 * subject version, so a publication is held to the rules of a Confluent registration.
 *
 * - Order: the semantic version must be above every version of the schema ever published.
 *   Confluent numbers versions in publication order (confluent-store.ts numbers /api's versions by
 *   semantic version), so "latest" is the same version in both APIs.
 * - Compatibility: the specification is checked against the subject's published versions at its
 *   level in force (subject, context, __GLOBAL, default: confluent/subject-settings.ts), with the
 *   check a registration uses (confluent/subject-compatibility.ts). A schema outside My Domain is
 *   no Confluent subject: it is held to the __GLOBAL level (else BACKWARD).
 *
 * Drafts are not checked: nothing reads them. A Deprecated version published again was checked
 * when it was first published.
 */
import { ApiError } from "../api-error.ts";
import { schemas } from "../store/collections.ts";
import { documentRepository } from "../store/document-repository.ts";
import type { StoreQueryable } from "../store/store-db.ts";
import { subjectOfSchema, subjectVersions } from "../confluent/confluent-store.ts";
import { parseStored, subjectCompatibility } from "../confluent/subject-compatibility.ts";
import {
  compatibilityLevelIn,
  contextLevel,
  effectiveConfig,
  GLOBAL_CONTEXT,
  subjectLevel,
} from "../confluent/subject-settings.ts";
import { compareSemanticVersions } from "./semantic-version.ts";
import type { VersionFacts } from "./version-rules.ts";

/** A version write as the publication rules see it. */
export interface PublishedVersion extends VersionFacts {
  schemaId: string;
}

/**
 * Refuses (409) a first publication that is not above the latest published version or is not
 * compatible at the subject's level; any other write passes.
 *
 * @example
 *   await checkPublication(session, draft, { ...draft, status: "Published" }); // throws 409 incompatible_version
 */
export async function checkPublication(
  session: StoreQueryable,
  before: VersionFacts | null,
  after: PublishedVersion,
): Promise<void> {
  const firstPublication = after.status === "Published" && (before === null || before.status === "Draft");
  if (!firstPublication) return;
  const schema = await documentRepository(session, schemas).get(after.schemaId);
  if (schema === null) return; // the write itself answers 404
  const published = await subjectVersions(session, schema);
  const above = published
    .map((version) => version.document.body.semanticVersion)
    .filter((semanticVersion) => compareSemanticVersions(semanticVersion, after.semanticVersion) >= 0)
    .sort(compareSemanticVersions)
    .at(-1);
  if (above !== undefined) {
    throw new ApiError(
      409,
      "version_order",
      `Version ${after.semanticVersion} is not above ${above}, already published for this schema: ` +
        "publish a higher version (both APIs serve versions in publication order).",
      { details: [{ path: "body/semanticVersion", message: `must be above ${above}` }] },
    );
  }
  const subject = await subjectOfSchema(session, schema);
  const config = await effectiveConfig(
    session,
    subject === null ? contextLevel(GLOBAL_CONTEXT) : subjectLevel(subject),
  );
  const level = compatibilityLevelIn(config);
  const parsed = parseStored(after.format, after.specification);
  if (parsed === undefined) return; // checkVersionWrite already refused an invalid specification
  // compatibilityGroup compares only versions with the same metadata property; /api versions have none.
  const group = typeof config.compatibilityGroup === "string" ? config.compatibilityGroup : "";
  const live = published.filter(
    (version) =>
      !version.deleted &&
      (group === "" || (version.metadata?.properties as Record<string, unknown> | undefined)?.[group] === undefined),
  );
  const name = subject?.qualified ?? schema.body.name;
  const result = await subjectCompatibility(
    session,
    subject ?? { context: ".", name, qualified: name },
    { schemaType: after.format, parsed },
    level,
    live,
  );
  if (result.isCompatible) return;
  throw new ApiError(
    409,
    "incompatible_version",
    `Version ${after.semanticVersion} is incompatible with an earlier version of subject "${name}" ` +
      `at compatibility level ${level}: change it, or publish it under another schema.`,
    { details: result.messages.map((message) => ({ path: "body/specification", message })) },
  );
}
