/**
 * The route templates usage is grouped by (contracts/route-template.ts): every real route maps to
 * its template, names never pass through, and invented paths collapse to one value.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OTHER_ROUTE, routeTemplate } from "../../contracts/route-template.ts";

describe("routeTemplate", () => {
  it.each([
    ["/", "/"],
    ["/subjects", "/subjects"],
    ["/subjects/orders-value", "/subjects/{subject}"],
    ["/subjects/orders-value/versions", "/subjects/{subject}/versions"],
    ["/subjects/orders-value/versions/latest/schema", "/subjects/{subject}/versions/{version}/schema"],
    ["/subjects/versions/versions/1", "/subjects/{subject}/versions/{version}"],
    ["/schemas/ids/42/subjects", "/schemas/ids/{id}/subjects"],
    ["/schemas/types", "/schemas/types"],
    ["/config/orders-value", "/config/{subject}"],
    ["/compatibility/subjects/a/versions/3", "/compatibility/subjects/{subject}/versions/{version}"],
    [
      "/api/products/p1/domains/d1/contexts/c1/schemas/s1/versions/v1",
      "/api/products/{productId}/domains/{domainId}/contexts/{contextId}/schemas/{schemaId}/versions/{versionId}",
    ],
    ["/api/keys/k1", "/api/keys/{keyId}"],
    ["/api/usage", "/api/usage"],
    ["/api/whoami", "/api/whoami"],
    ["/api/impact", "/api/impact"],
    ["/impact/subjects/orders-value", "/impact/subjects/{subject}"],
    ["/ui/app.js", "/ui/{asset}"],
    ["/ui", "/ui"],
    ["/no/such/path", OTHER_ROUTE],
    ["/api/nope", OTHER_ROUTE],
  ])("%s -> %s", (path, template) => {
    expect(routeTemplate(path)).toBe(template);
  });

  it("never carries a segment that is not in the vocabulary", () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z0-9-]{1,12}$/), { maxLength: 14 }), (segments) => {
        const template = routeTemplate(`/${segments.join("/")}`);
        const words = template === OTHER_ROUTE ? [] : template.split("/").filter((s) => s !== "");
        for (const word of words) {
          if (word.startsWith("{")) continue;
          // A kept word is one of the APIs' own, never a random name.
          expect(word).toMatch(/^[a-z0-9.]+$/);
          expect(segments).toContain(word);
          expect(word.length).toBeLessThanOrEqual(13);
        }
      }),
    );
  });
});
