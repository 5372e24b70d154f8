/**
 * One store, one truth (docs/registry-api.md, "Publication"): a version published through /api is
 * held to the rules of a Confluent registration (the subject's compatibility level in force, and
 * publication in semantic version order), and a Confluent registration is filed in /api as a minor
 * bump when it is backward compatible, else a major one. Through the tenant Worker in workerd
 * with real D1; every test makes its own subjects.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  compareSemanticVersions,
  nextSemanticVersion,
} from "../../../tenant-template/src/registry/semantic-version.ts";
import { startRegistryHarness, type RegistryHarness } from "./registry-harness.ts";

const DB = "publication";
const DEFAULT_DOMAIN = "00000000-0000-7000-8000-000000000002";
const DEFAULT_CONTEXT = "00000000-0000-7000-8000-000000000003";
const CONFLUENT = { "content-type": "application/vnd.schemaregistry.v1+json" };

let h: RegistryHarness;
beforeAll(async () => {
  h = await startRegistryHarness([DB]);
});
afterAll(async () => {
  await h?.dispose();
});

interface ErrorJson {
  error: { code: string; message: string; details?: { path: string; message: string }[] };
}
type Json = Record<string, unknown>;

const order = (idType: string, extra: Json[] = []) =>
  JSON.stringify({ type: "record", name: "Order", fields: [{ name: "id", type: idType }, ...extra] });
const withNote = order("string", [{ name: "note", type: "string", default: "" }]);

let counter = 0;
/** A new schema (a Confluent subject when in a context of My Domain), answering its id and subject name. */
async function newSchema(contextId = DEFAULT_CONTEXT): Promise<{ id: string; name: string }> {
  counter += 1;
  const name = `Order${counter}`;
  const created = await h.call(DB, "POST", `/api/contexts/${contextId}/schemas`, {
    name,
    schemaTypeCategory: "Events",
    scope: "Public",
  });
  expect(created.status, created.text).toBe(201);
  return { id: created.json.id as string, name };
}

function publish(schemaId: string, semanticVersion: string, specification: string, status = "Published") {
  return h.call<Json & ErrorJson>(DB, "POST", `/api/schemas/${schemaId}/versions`, {
    semanticVersion,
    format: "AVRO",
    specification,
    status,
  });
}

function confluent(method: string, path: string, body?: unknown) {
  return h.call<Json>(DB, method, path, body, CONFLUENT);
}

async function apiVersions(schemaId: string): Promise<{ semanticVersion: string; status: string }[]> {
  const listed = await h.call<{ items: { semanticVersion: string; status: string }[] }>(
    DB,
    "GET",
    `/api/schemas/${schemaId}/versions`,
  );
  return listed.json.items.map(({ semanticVersion, status }) => ({ semanticVersion, status }));
}

describe("publishing through /api obeys the subject's compatibility level", () => {
  test("an incompatible publication is refused with Confluent's reasons; nothing is written", async () => {
    const schema = await newSchema();
    expect((await publish(schema.id, "1.0.0", order("string"))).status).toBe(201);
    const refused = await publish(schema.id, "2.0.0", order("int"));
    expect(refused.status, refused.text).toBe(409);
    expect(refused.json.error.code).toBe("incompatible_version");
    expect(refused.json.error.message).toContain("BACKWARD");
    expect(refused.json.error.details?.[0]?.path).toBe("body/specification");
    // The same verbose reason the Confluent API gives for the same candidate.
    const verdict = await confluent("POST", `/compatibility/subjects/${schema.name}/versions/latest?verbose=true`, {
      schema: order("int"),
    });
    expect(verdict.json.is_compatible).toBe(false);
    const messages = verdict.json.messages as string[];
    expect(messages.length).toBeGreaterThan(0);
    expect(refused.json.error.details?.map((detail) => detail.message)).toEqual(messages);
    expect(await apiVersions(schema.id)).toEqual([{ semanticVersion: "1.0.0", status: "Published" }]);
    expect((await confluent("GET", `/subjects/${schema.name}/versions/latest`)).json.schema).toBe(order("string"));
  });

  test("a Draft is not checked; moving it to Published is", async () => {
    const schema = await newSchema();
    await publish(schema.id, "1.0.0", order("string"));
    const draft = await publish(schema.id, "2.0.0", order("int"), "Draft");
    expect(draft.status, draft.text).toBe(201);
    const moved = await h.call<ErrorJson>(DB, "PATCH", `/api/schemas/${schema.id}/versions/${draft.json.id}`, {
      status: "Published",
    });
    expect(moved.status, moved.text).toBe(409);
    expect(moved.json.error.code).toBe("incompatible_version");
    expect((await confluent("GET", `/subjects/${schema.name}/versions`)).json).toEqual([1]);
  });

  test("a compatible publication passes, and a subject's own level set through Confluent applies", async () => {
    const schema = await newSchema();
    await publish(schema.id, "1.0.0", order("string"));
    expect((await publish(schema.id, "1.1.0", withNote)).status).toBe(201);
    expect((await confluent("PUT", `/config/${schema.name}`, { compatibility: "NONE" })).status).toBe(200);
    const breaking = await publish(schema.id, "2.0.0", order("int"));
    expect(breaking.status, breaking.text).toBe(201);
    expect((await confluent("GET", `/subjects/${schema.name}/versions`)).json).toEqual([1, 2, 3]);
    expect((await confluent("GET", `/subjects/${schema.name}/versions/latest`)).json.schema).toBe(order("int"));
  });

  test("in a named context, the context's own level applies", async () => {
    const context = await h.call(DB, "POST", `/api/domains/${DEFAULT_DOMAIN}/contexts`, {
      name: `orders${Date.now()}`,
    });
    expect(context.status, context.text).toBe(201);
    const contextName = context.json.name as string;
    const schema = await newSchema(context.json.id as string);
    await publish(schema.id, "1.0.0", order("string"));
    // FORWARD at the context: adding a field without a default is forward compatible, not backward.
    const forwardOnly = order("string", [{ name: "total", type: "int" }]);
    expect((await confluent("PUT", `/config/:.${contextName}:`, { compatibility: "FORWARD" })).status).toBe(200);
    expect((await publish(schema.id, "1.1.0", forwardOnly)).status).toBe(201);
    expect((await confluent("PUT", `/config/:.${contextName}:`, { compatibility: "BACKWARD" })).status).toBe(200);
    const refused = await publish(schema.id, "1.2.0", order("string", [{ name: "total2", type: "int" }]));
    expect(refused.status, refused.text).toBe(409);
    expect(refused.json.error.message).toContain(`:.${contextName}:${schema.name}`);
    expect((await confluent("GET", `/subjects/:.${contextName}:${schema.name}/versions`)).json).toEqual([1, 2]);
  });

  test("a schema outside My Domain is held to the __GLOBAL level", async () => {
    const product = await h.call(DB, "POST", "/api/products", { name: `Elsewhere ${Date.now()}` });
    const domain = await h.call(DB, "POST", `/api/products/${product.json.id}/domains`, { name: "d" });
    const context = await h.call(DB, "POST", `/api/domains/${domain.json.id}/contexts`, { name: "c" });
    const schema = await newSchema(context.json.id as string);
    await publish(schema.id, "1.0.0", order("string"));
    const refused = await publish(schema.id, "2.0.0", order("int"));
    expect(refused.status, refused.text).toBe(409);
    expect(refused.json.error.code).toBe("incompatible_version");
  });
});

describe("publication order, semantic versions and Confluent version numbers agree", () => {
  test("a publication below the latest published version is refused", async () => {
    const schema = await newSchema();
    await publish(schema.id, "1.0.0", order("string"));
    expect((await publish(schema.id, "2.0.0", withNote)).status).toBe(201);
    for (const lower of ["1.1.0", "2.0.0-rc.1", "2.0.0+build.7"]) {
      const refused = await publish(schema.id, lower, withNote);
      expect(refused.status, `${lower}: ${refused.text}`).toBe(409);
      expect(refused.json.error.code, lower).toMatch(/^(version_order|conflict)$/);
    }
    expect((await publish(schema.id, "1.1.0", withNote)).json.error.code).toBe("version_order");
    expect((await confluent("GET", `/subjects/${schema.name}/versions/latest`)).json).toMatchObject({ version: 2 });
  });

  test("Drafts published out of creation order are numbered in publication order", async () => {
    const schema = await newSchema();
    await publish(schema.id, "1.0.0", order("string"));
    const later = await publish(schema.id, "1.2.0", order("string", [{ name: "b", type: "int", default: 0 }]), "Draft");
    const earlier = await publish(schema.id, "1.1.0", withNote, "Draft");
    // No Confluent read in between: both are numbered on the next read.
    for (const draft of [earlier, later]) {
      const moved = await h.call(DB, "PATCH", `/api/schemas/${schema.id}/versions/${draft.json.id}`, {
        status: "Published",
      });
      expect(moved.status, moved.text).toBe(200);
    }
    const latest = await confluent("GET", `/subjects/${schema.name}/versions/latest`);
    expect(latest.json).toMatchObject({ version: 3 });
    expect(String(latest.json.schema)).toContain('"b"');
  });
});

describe("a Confluent registration is filed in /api by what it changes", () => {
  test("backward compatible: a minor bump; incompatible (level NONE): a major bump", async () => {
    const schema = await newSchema();
    const subject = `/subjects/${schema.name}/versions`;
    expect((await confluent("POST", subject, { schema: order("string") })).status).toBe(200);
    expect((await confluent("POST", subject, { schema: withNote })).status).toBe(200);
    expect((await confluent("PUT", `/config/${schema.name}`, { compatibility: "NONE" })).status).toBe(200);
    expect((await confluent("POST", subject, { schema: order("int") })).status).toBe(200);
    expect(await apiVersions(schema.id)).toEqual([
      { semanticVersion: "1.0.0", status: "Published" },
      { semanticVersion: "1.1.0", status: "Published" },
      { semanticVersion: "2.0.0", status: "Published" },
    ]);
  });

  test("under FORWARD, a change that is forward but not backward compatible is still a major bump", async () => {
    const schema = await newSchema();
    const subject = `/subjects/${schema.name}/versions`;
    await confluent("PUT", `/config/${schema.name}`, { compatibility: "FORWARD" });
    expect((await confluent("POST", subject, { schema: order("string") })).status).toBe(200);
    const forwardOnly = order("string", [{ name: "total", type: "int" }]);
    expect((await confluent("POST", subject, { schema: forwardOnly })).status).toBe(200);
    expect((await apiVersions(schema.id)).map((each) => each.semanticVersion)).toEqual(["1.0.0", "2.0.0"]);
  });

  test("a registration after /api versions continues above them, skipping a version a Draft holds", async () => {
    const schema = await newSchema();
    await publish(schema.id, "3.4.0", order("string"));
    await publish(schema.id, "3.5.0", withNote, "Draft");
    const registered = await confluent("POST", `/subjects/${schema.name}/versions`, {
      schema: order("string", [{ name: "other", type: "string", default: "" }]),
    });
    expect(registered.status, registered.text).toBe(200);
    expect((await apiVersions(schema.id)).map((each) => each.semanticVersion).sort(compareSemanticVersions)).toEqual([
      "3.4.0",
      "3.5.0",
      "3.6.0",
    ]);
  });

  test("in a named context too", async () => {
    const subject = `:.bump${Date.now()}:Order`;
    expect((await confluent("POST", `/subjects/${subject}/versions`, { schema: order("string") })).status).toBe(200);
    expect((await confluent("POST", `/subjects/${subject}/versions`, { schema: withNote })).status).toBe(200);
    const contextName = subject.slice(2, subject.indexOf(":", 2));
    const contexts = await h.call<{ items: { id: string }[] }>(
      DB,
      "GET",
      `/api/domains/${DEFAULT_DOMAIN}/contexts?name=${contextName}`,
    );
    const schemas = await h.call<{ items: { id: string }[] }>(
      DB,
      "GET",
      `/api/contexts/${contexts.json.items[0]!.id}/schemas?name=Order`,
    );
    expect((await apiVersions(schemas.json.items[0]!.id)).map((each) => each.semanticVersion)).toEqual([
      "1.0.0",
      "1.1.0",
    ]);
  });
});

describe("semantic version precedence and bumps", () => {
  test.each([
    ["1.0.0", "2.0.0", -1],
    ["2.0.0", "1.10.0", 1],
    ["1.0.0-rc.1", "1.0.0", -1],
    ["1.0.0-alpha", "1.0.0-alpha.1", -1],
    ["1.0.0-alpha.1", "1.0.0-alpha.beta", -1],
    ["1.0.0-beta.2", "1.0.0-beta.11", -1],
    ["1.0.0+a", "1.0.0+b", 0],
  ])("%s against %s", (a, b, sign) => {
    expect(Math.sign(compareSemanticVersions(a, b))).toBe(sign);
    expect(Math.sign(compareSemanticVersions(b, a))).toBe(-sign || 0);
  });

  test("bumps", () => {
    expect(nextSemanticVersion(null, "minor", [])).toBe("1.0.0");
    expect(nextSemanticVersion("1.2.3", "minor", [])).toBe("1.3.0");
    expect(nextSemanticVersion("1.2.3", "major", ["2.0.0", "3.0.0+x"])).toBe("4.0.0");
    expect(nextSemanticVersion("2.0.0-rc.1", "minor", [])).toBe("2.1.0");
  });
});
