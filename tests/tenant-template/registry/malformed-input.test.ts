/**
 * No input, however malformed, produces a 5xx or changes stored data: every route of the registry
 * API is hit with bad ids, bodies, queries and headers, and the database is compared before and
 * after. Each refusal is the API's one error shape with a 4xx.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startRegistryHarness, type RegistryHarness } from "./registry-harness.ts";

let api: RegistryHarness;
const P = "00000000-0000-7000-8000-000000000001";
const D = "00000000-0000-7000-8000-000000000002";
const C = "00000000-0000-7000-8000-000000000003";
let S = "";
let V = "";

beforeAll(async () => {
  api = await startRegistryHarness(["malformed"]);
  S = (
    await api.call<{ id: string }>("malformed", "POST", `/api/contexts/${C}/schemas`, {
      name: "S",
      schemaTypeCategory: "Data",
      scope: "Public",
    })
  ).json.id;
  V = (
    await api.call<{ id: string }>("malformed", "POST", `/api/schemas/${S}/versions`, {
      semanticVersion: "1.0.0",
      format: "JSON",
      specification: "{}",
      status: "Published",
    })
  ).json.id;
});
afterAll(async () => {
  await api?.dispose();
});

async function snapshot(): Promise<string> {
  const db = await api.d1("malformed");
  const tables = ["products", "domains", "contexts", "schemas", "schema_versions"];
  const dumps = await Promise.all(
    tables.map(
      async (table) => (await db.prepare(`SELECT id, body, _version FROM ${table} ORDER BY id`).all()).results,
    ),
  );
  return JSON.stringify(dumps);
}

const collections = () => [
  `/api/products`,
  `/api/products/${P}/domains`,
  `/api/domains/${D}/contexts`,
  `/api/contexts/${C}/schemas`,
  `/api/schemas/${S}/versions`,
];
const items = () => [
  `/api/products/${P}`,
  `/api/domains/${D}`,
  `/api/contexts/${C}`,
  `/api/schemas/${S}`,
  `/api/schemas/${S}/versions/${V}`,
];
const BAD_IDS = [
  "..",
  "a%2Fb",
  "x".repeat(65),
  "%27%3B%20drop%20table%20products",
  "%00",
  "-leading-dash",
  "%F0%9F%92%A5",
];
const BAD_BODIES: [string, string, Record<string, string>?][] = [
  ["malformed JSON", '{"name": "a",'],
  ["an array", "[1,2]"],
  ["null", "null"],
  ["a string", '"name"'],
  ["a number", "42"],
  ["unknown fields", '{"name":"a","colour":"red","__proto__":{"x":1}}'],
  [
    "wrong types",
    '{"name":7,"description":[],"schemaTypeCategory":1,"scope":null,' +
      '"semanticVersion":1,"format":"XML","specification":{},"status":"Gone"}',
  ],
  ["an empty name", '{"name":""}'],
  ["a huge name", JSON.stringify({ name: "n".repeat(100_000) })],
  ["form data", "name=a", { "content-type": "application/x-www-form-urlencoded" }],
  ["a deep specification", JSON.stringify({ specification: "[".repeat(5000) })],
  [
    "a parent id in the body",
    JSON.stringify({ productId: "other", domainId: "other", contextId: "other", schemaId: "other" }),
  ],
];

it("refuses every malformed request with a 4xx in the API's shape, and stored data never changes", async () => {
  const before = await snapshot();
  const problems: string[] = [];
  let checked = 0;
  const check = async (method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
    checked += 1;
    const hasBody = body !== undefined;
    const res = await api.call(
      "malformed",
      method,
      path,
      body,
      hasBody && headers["content-type"] === undefined ? { "content-type": "application/json", ...headers } : headers,
    );
    const shaped = typeof (res.json as { error?: { code?: unknown } } | undefined)?.error?.code === "string";
    if (res.status < 400 || res.status >= 500 || !shaped)
      problems.push(`${method} ${path} ${body?.slice(0, 40) ?? ""} -> ${res.status} ${res.text.slice(0, 120)}`);
  };

  for (const path of collections()) {
    for (const [, body, headers] of BAD_BODIES) await check("POST", path, body, headers);
    for (const query of [
      "limit=0",
      "limit=501",
      "limit=abc",
      "limit=1.5",
      "cursor=%%%",
      "cursor=eyJhZnRlciI6MX0",
      "colour=red",
      "name=a&name=b",
    ])
      await check("GET", `${path}?${query}`);
  }
  for (const path of items()) {
    for (const [, body, headers] of BAD_BODIES) await check("PATCH", path, body, headers);
    await check("PATCH", path, '{"name":"x"}', { "if-match": "garbage" });
    await check("PATCH", path, '{"description":"x"}', { "if-match": '"999"' });
    await check("DELETE", path, undefined, { "if-match": '"999"' });
    await check("DELETE", path, undefined, { "if-match": "W/garbage" });
    await check("GET", path, undefined, { "x-d1-bookmark": "not a bookmark; drop table" });
    await check("PUT", path, '{"name":"x"}');
  }
  for (const bad of BAD_IDS) {
    await check("GET", `/api/products/${bad}`);
    await check("PATCH", `/api/domains/${bad}`, '{"name":"x"}');
    await check("DELETE", `/api/contexts/${bad}`);
    await check("POST", `/api/products/${bad}/domains`, '{"name":"x"}');
    await check("GET", `/api/schemas/${S}/versions/${bad}`);
  }
  // A published version: changing what is immutable, or an impossible transition.
  await check("PATCH", `/api/schemas/${S}/versions/${V}`, '{"specification":"{\\"type\\":\\"string\\"}"}');
  await check("PATCH", `/api/schemas/${S}/versions/${V}`, '{"status":"Draft"}');
  // workerd answers 413 before the client has finished sending, so the client may see its upload
  // cut instead of the answer: either is a refusal; a response, if any, must be the 413.
  for (const path of [collections()[0]!, items()[0]!]) {
    const oversized = await api
      .call(
        "malformed",
        path === items()[0] ? "PATCH" : "POST",
        path,
        JSON.stringify({ name: "a", description: "d".repeat(1_100_000) }),
      )
      .catch(() => null);
    if (oversized !== null && oversized.status !== 413) problems.push(`oversized ${path} -> ${oversized.status}`);
  }
  await check("GET", "/api/stats?x=1");
  await check("GET", "/api/nothing-here");

  expect(checked).toBeGreaterThan(200);
  expect(problems).toEqual([]);
  expect(await snapshot()).toBe(before);
});
