/**
 * The route template of a request path: the path with every name, id and version replaced by its
 * parameter, e.g. `/subjects/orders-value/versions/3` -> `/subjects/{subject}/versions/{version}`.
 * The dispatcher records it with each request's usage (dispatcher/src/usage.ts), so usage is
 * grouped per endpoint with a bounded number of values and never carries a subject's or a
 * product's name. One vocabulary per API (contracts/confluent-paths.ts decides which a path is in);
 * a path outside it is {@link OTHER_ROUTE} (a 404 for the tenant), so a client cannot make new
 * values by inventing paths.
 */
import { isConfluentPath, REGISTRY_API_PREFIX } from "./confluent-paths.ts";

/** Any path outside the APIs' vocabulary (or deeper than {@link MAX_SEGMENTS}). */
export const OTHER_ROUTE = "(other)";
/** The deepest real route: /api/products/{p}/domains/{d}/contexts/{c}/schemas/{s}/versions/{v}. */
const MAX_SEGMENTS = 11;

interface Vocabulary {
  /** A segment after which the next one is a parameter, and that parameter's name. */
  collections: Readonly<Record<string, string>>;
  /** Segments kept as they are. */
  words: ReadonlySet<string>;
}

const CONFLUENT: Vocabulary = {
  collections: {
    subjects: "subject",
    versions: "version",
    ids: "id",
    guids: "guid",
    config: "subject",
    mode: "subject",
    keys: "keyId",
    // The console's static files (/ui/<asset>): a bounded set, kept as one route.
    ui: "asset",
  },
  words: new Set([
    "impact",
    "schemas",
    "schema",
    "types",
    "referencedby",
    "metadata",
    "compatibility",
    "contexts",
    "v1",
    "id",
    "version",
    "audit",
    "export",
    "import",
    "settings",
    "stats",
    "docs",
    "openapi.json",
    "openapi.yaml",
    "live",
    "ready",
    "startup",
  ]),
};

const REGISTRY_API: Vocabulary = {
  collections: {
    products: "productId",
    domains: "domainId",
    contexts: "contextId",
    schemas: "schemaId",
    versions: "versionId",
    keys: "keyId",
  },
  words: new Set([
    "api",
    "audit",
    "settings",
    "stats",
    "docs",
    "openapi.json",
    "usage",
    "export",
    "import",
    "whoami",
    "impact",
  ]),
};

/**
 * @example
 *   routeTemplate("/subjects/orders-value/versions/3")       // "/subjects/{subject}/versions/{version}"
 *   routeTemplate("/api/products/p1/domains")                // "/api/products/{productId}/domains"
 *   routeTemplate("/schemas/ids/42")                         // "/schemas/ids/{id}"
 *   routeTemplate("/no/such/path")                           // "(other)"
 */
export function routeTemplate(path: string): string {
  const segments = path.split("/").filter((s) => s.length > 0);
  if (segments.length > MAX_SEGMENTS) return OTHER_ROUTE;
  const vocabulary = isConfluentPath(path) ? CONFLUENT : REGISTRY_API;
  const out: string[] = [];
  let parameter: string | undefined;
  for (const [i, segment] of segments.entries()) {
    if (parameter !== undefined) {
      out.push(`{${parameter}}`);
      parameter = undefined;
    } else if (i === 0 && vocabulary === REGISTRY_API && `/${segment}` === REGISTRY_API_PREFIX) {
      out.push(segment);
    } else if (Object.hasOwn(vocabulary.collections, segment)) {
      out.push(segment);
      parameter = vocabulary.collections[segment];
    } else if (vocabulary.words.has(segment)) {
      out.push(segment);
    } else {
      return OTHER_ROUTE;
    }
  }
  return `/${out.join("/")}`;
}
