/**
 * The five levels of the registry's hierarchy as the HTTP API sees them: products > domains >
 * contexts > schemas > versions. Each level says which collection holds it, how it is named in
 * URLs, what a client may send (strict zod objects: unknown fields are refused, not stripped),
 * which indexed fields it can be listed by, and how it hangs from its parent. The routes
 * (level-routes.ts), the cascade (cascade-delete.ts) and the OpenAPI document all come from this.
 */
import { z } from "@hono/zod-openapi";
import {
  contexts,
  domains,
  products,
  SCHEMA_FORMATS,
  SCHEMA_SCOPES,
  SCHEMA_TYPE_CATEGORIES,
  schemas,
  schemaVersions,
  VERSION_STATUSES,
} from "../store/collections.ts";
import type { Collection } from "../store/define-collection.ts";
import { MAX_NAME_LENGTH, nameProblem } from "../http/input-limits.ts";
import { isSemanticVersion, MAX_SEMANTIC_VERSION_LENGTH } from "./semantic-version.ts";

/** One level of the hierarchy. */
export interface RegistryLevel {
  /** URL segment and the key of cascade counts, e.g. `domains`. */
  readonly plural: string;
  /** Used in messages and OpenAPI tags, e.g. `domain`. */
  readonly singular: string;
  /** The path parameter naming one of these, e.g. `domainId`. */
  readonly idParam: string;
  readonly collection: Collection;
  /** The level above and the body field / indexed column that points at it; null for products. */
  readonly parent: { readonly level: RegistryLevel; readonly field: string; readonly column: string } | null;
  /**
   * Whether one item's URL is under its parent (`/schemas/{schemaId}/versions/{versionId}`) or
   * top-level (`/domains/{domainId}`). Versions are nested: a version means nothing without its schema.
   */
  readonly nestedItem: boolean;
  /** What POST accepts (the parent id comes from the path, never the body). */
  readonly create: z.ZodObject;
  /** What PATCH accepts: the same fields, all optional; the parent cannot be changed. */
  readonly patch: z.ZodObject;
  /** List filters: query parameter -> indexed column. */
  readonly filters: Readonly<Record<string, string>>;
  /** The filter parameters' schemas (strings, or enums for enum fields). */
  readonly filterShape: Readonly<Record<string, z.ZodType>>;
  /** The response body of one document (for the OpenAPI document). */
  readonly resource: z.ZodObject;
}

// Names are shown to people and compared for uniqueness: no control or bidi characters, no lone
// surrogates, and NFC only, so two names that look the same are the same (docs/security.md).
const name = z
  .string()
  .min(1)
  .max(MAX_NAME_LENGTH)
  .superRefine((value, ctx) => {
    // min/max already reported an empty or over-long name.
    const problem =
      value.length === 0 || value.length > MAX_NAME_LENGTH ? null : nameProblem(value, { requireNfc: true });
    if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
  })
  .openapi({
    example: "Payments",
    description: `1..${MAX_NAME_LENGTH} characters, Unicode NFC, no control or bidirectional-override characters.`,
  });
const description = z.string().max(4_000).optional();
const category = z.enum(SCHEMA_TYPE_CATEGORIES);
const scope = z.enum(SCHEMA_SCOPES);
const status = z.enum(VERSION_STATUSES);
const format = z.enum(SCHEMA_FORMATS);
const semanticVersion = z
  .string()
  .max(MAX_SEMANTIC_VERSION_LENGTH)
  .refine(isSemanticVersion, { message: "must be a Semantic Versioning 2.0.0 version, e.g. 1.0.0 or 2.1.0-rc.1" })
  .openapi({ example: "1.0.0" });
// The store's bound on specifications is the validator's (256 KiB), checked with the format; the
// body limit (1 MiB) keeps anything larger from being read at all.
const specification = z
  .string()
  .min(1)
  .openapi({ example: '{"type":"record","name":"OrderPlaced","fields":[{"name":"id","type":"string"}]}' });

const metadata = {
  id: z.string(),
  version: z.number().int().openapi({ description: "Increments on every write; the ETag is this number, quoted." }),
  createdAt: z.string(),
  updatedAt: z.string(),
};

function level(
  spec: Omit<RegistryLevel, "patch" | "resource" | "filterShape"> & { filterShape?: Record<string, z.ZodType> },
): RegistryLevel {
  const filterShape: Record<string, z.ZodType> = {};
  for (const key of Object.keys(spec.filters))
    filterShape[key] = spec.filterShape?.[key] ?? z.string().max(MAX_NAME_LENGTH);
  const parentField = spec.parent === null ? {} : { [spec.parent.field]: z.string() };
  return {
    ...spec,
    filterShape,
    patch: spec.create.partial().strict(),
    resource: z.object({ ...metadata, ...parentField, ...spec.create.shape }).openapi(capitalized(spec.singular)),
  };
}

function capitalized(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

const productLevel: RegistryLevel = level({
  plural: "products",
  singular: "product",
  idParam: "productId",
  collection: products,
  parent: null,
  nestedItem: false,
  create: z.strictObject({ name, description }),
  filters: { name: "name" },
});

const domainLevel: RegistryLevel = level({
  plural: "domains",
  singular: "domain",
  idParam: "domainId",
  collection: domains,
  parent: { level: productLevel, field: "productId", column: "product_id" },
  nestedItem: false,
  create: z.strictObject({ name, description }),
  filters: { name: "name" },
});

const contextLevel: RegistryLevel = level({
  plural: "contexts",
  singular: "context",
  idParam: "contextId",
  collection: contexts,
  parent: { level: domainLevel, field: "domainId", column: "domain_id" },
  nestedItem: false,
  create: z.strictObject({ name, description }),
  filters: { name: "name" },
});

const schemaLevel: RegistryLevel = level({
  plural: "schemas",
  singular: "schema",
  idParam: "schemaId",
  collection: schemas,
  parent: { level: contextLevel, field: "contextId", column: "context_id" },
  nestedItem: false,
  create: z.strictObject({ name, description, schemaTypeCategory: category, scope }),
  filters: { name: "name", schemaTypeCategory: "schema_type_category", scope: "scope" },
  filterShape: { schemaTypeCategory: category, scope },
});

export const versionLevel: RegistryLevel = level({
  plural: "versions",
  singular: "version",
  idParam: "versionId",
  collection: schemaVersions,
  parent: { level: schemaLevel, field: "schemaId", column: "schema_id" },
  nestedItem: true,
  create: z.strictObject({
    semanticVersion,
    format,
    specification,
    description,
    status: status.optional().openapi({ description: "Draft (the default) or Published." }),
  }),
  filters: { status: "status", semanticVersion: "semantic_version" },
  filterShape: { status },
});

/** Every level, parents first (the cascade deletes the levels after a given one). */
export const REGISTRY_LEVELS: readonly RegistryLevel[] = [
  productLevel,
  domainLevel,
  contextLevel,
  schemaLevel,
  versionLevel,
];
