/**
 * Bad-input fuzz (issue 5, section 7): fast-check generates malformed requests to both APIs of a
 * real tenant Worker in workerd (broken and truncated JSON, bodies over the limit, invalid Avro /
 * JSON Schema / Protobuf, odd unicode in names and paths, wrong JSON types, wrong content types,
 * bad query and path parameters). Every answer must be a 4xx in the error shape of the API asked
 * (never a 5xx, never a 2xx), and the tenant's data, read through both APIs and straight from D1,
 * must be byte-identical before and after.
 *
 *   FUZZ_RUNS=5000 FUZZ_SEED=42 npx vitest run tests/security/bad-input-fuzz.test.ts
 */
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { COMPATIBILITY_LEVELS } from "../../tenant-template/src/compat/compatibility.ts";
import { MAX_BODY_BYTES } from "../../tenant-template/src/http/input-limits.ts";
import { startRegistryHarness, type RegistryHarness } from "../tenant-template/registry/registry-harness.ts";
import { fuzzSettings } from "./fuzz-settings.ts";

const DB = "badinput";
const { runs: RUNS, seed: SEED } = fuzzSettings({ runs: 1_000 });
const PRODUCT = "00000000-0000-7000-8000-000000000001";
const CONTEXT = "00000000-0000-7000-8000-000000000003";
const SUBJECT = "fuzz-orders-value";
const AVRO_V1 = JSON.stringify({ type: "record", name: "Order", fields: [{ name: "id", type: "string" }] });
const AVRO_V2 = JSON.stringify({
  type: "record",
  name: "Order",
  fields: [
    { name: "id", type: "string" },
    { name: "note", type: ["null", "string"], default: null },
  ],
});

type Api = "registry" | "confluent";
interface FuzzRequest {
  kind: string;
  /** Whose error shape the answer must have. */
  api: Api;
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

let api: RegistryHarness;
let schemaId = "";
let versionId = "";

beforeAll(async () => {
  api = await startRegistryHarness([DB]);
  const schema = await api.call<{ id: string }>(DB, "POST", `/api/contexts/${CONTEXT}/schemas`, {
    name: "Seeded",
    schemaTypeCategory: "Data",
    scope: "Public",
  });
  schemaId = schema.json.id;
  const version = await api.call<{ id: string }>(DB, "POST", `/api/schemas/${schemaId}/versions`, {
    semanticVersion: "1.0.0",
    format: "JSON",
    specification: '{"type":"object"}',
    status: "Published",
  });
  versionId = version.json.id;
  for (const schema of [AVRO_V1, AVRO_V2])
    expect((await api.call(DB, "POST", `/subjects/${SUBJECT}/versions`, { schema })).status).toBe(200);
  expect(
    (
      await api.call(DB, "POST", `/subjects/:.fuzzctx:${SUBJECT}/versions`, {
        schemaType: "JSON",
        schema: '{"type":"string"}',
      })
    ).status,
  ).toBe(200);
  expect((await api.call(DB, "PUT", `/config/${SUBJECT}`, { compatibility: "FULL" })).status).toBe(200);
}, 120_000);
afterAll(async () => {
  await api?.dispose();
});

/**
 * The tenant's data as its clients see it (both APIs) and as D1 holds it (registry tables only:
 * audit and key tables record refusals by design).
 */
async function snapshot(): Promise<string> {
  const parts: string[] = [];
  const read = async (path: string) => parts.push(`${path} ${(await api.call(DB, "GET", path)).text}`);
  await read("/api/export");
  await read("/config");
  const subjects = (await api.call<string[]>(DB, "GET", "/subjects?deleted=true")).json;
  parts.push(JSON.stringify(subjects));
  for (const subject of subjects) {
    await read(`/subjects/${encodeURIComponent(subject)}/versions?deleted=true`);
    await read(`/subjects/${encodeURIComponent(subject)}/versions/latest`);
    await read(`/config/${encodeURIComponent(subject)}`);
  }
  for (let id = 1; id <= 5; id++) await read(`/schemas/ids/${id}`);
  const db = await api.d1(DB);
  const tables = (
    await db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'" +
          " AND name NOT IN ('d1_migrations', 'audit_log', 'api_keys', 'tenant_settings') ORDER BY name",
      )
      .all<{ name: string }>()
  ).results;
  for (const { name } of tables)
    parts.push(`${name} ${JSON.stringify((await db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()).results)}`);
  return parts.join("\n");
}

// ---- generators -------------------------------------------------------------------------------

const json = (value: unknown) => JSON.stringify(value);
const nonString = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 }),
);
const isJsonObject = (text: string) => {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
};
/** Characters no name may hold (as JS strings, for JSON bodies). */
const forbiddenChar = fc.constantFrom(
  "\u0000",
  "\u0007",
  "\u001b",
  "\u007f",
  "\u0085",
  "\u202e",
  "\u202d",
  "\u2066",
  "\u2069",
  "\ud800",
  "\udfff",
  "\ufffe",
  "\uffff",
  "e\u0301",
);
/** The same, percent-encoded in a URL path; plus undecodable UTF-8 and reserved names. */
const forbiddenEscape = fc.constantFrom(
  "%00",
  "%01",
  "%0A",
  "%1F",
  "%7F",
  "%C2%85",
  "%E2%80%AE",
  "%E2%81%A6",
  "%ED%A0%80",
  "%ED%BF%BF",
  "%FF",
  "%C0%AF",
  "%E0%80",
  "%EF%BF%BE",
);
/** encodeURIComponent, except that a lone surrogate becomes its (invalid) three UTF-8 bytes instead of throwing. */
const encodeOdd = (text: string) =>
  text.replace(/[\s\S]/gu, (ch) => {
    const unit = ch.charCodeAt(0);
    if (ch.length === 1 && unit >= 0xd800 && unit <= 0xdfff)
      return [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
        .map((byte) => `%${byte.toString(16).toUpperCase()}`)
        .join("");
    return encodeURIComponent(ch);
  });
const plainText = fc.string({ unit: fc.constantFrom(..."abcXYZ09-_.é注😀"), maxLength: 12 });
const badName = fc.tuple(plainText, forbiddenChar, plainText).map(([a, bad, b]) => a + bad + b);
const badSubjectPath = fc.oneof(
  fc
    .tuple(plainText, forbiddenEscape, plainText)
    .map(([a, bad, b]) => encodeURIComponent(a) + bad + encodeURIComponent(b)),
  fc.constantFrom(
    "__GLOBAL",
    "__EMPTY",
    ":.ctx:__GLOBAL",
    `${"x".repeat(256)}`,
    `:.${"c".repeat(256)}:s`,
    `:.bad%E2%80%AEctx:s`,
  ),
);

/** Registry bodies that are valid, to corrupt. */
const registryTargets = () => [
  { method: "POST", path: "/api/products", body: { name: "Fuzzed", description: "d" } },
  {
    method: "POST",
    path: `/api/contexts/${CONTEXT}/schemas`,
    body: { name: "Fuzzed", schemaTypeCategory: "Events", scope: "Private" },
  },
  {
    method: "POST",
    path: `/api/schemas/${schemaId}/versions`,
    body: { semanticVersion: "9.9.9", format: "AVRO", specification: AVRO_V1, status: "Draft" },
  },
  { method: "PATCH", path: `/api/products/${PRODUCT}`, body: { name: "Renamed" } },
  { method: "PATCH", path: `/api/schemas/${schemaId}`, body: { description: "changed" } },
  { method: "PATCH", path: `/api/schemas/${schemaId}/versions/${versionId}`, body: { description: "changed" } },
];
const confluentTargets = () => [
  { method: "POST", path: `/subjects/${SUBJECT}/versions`, body: { schema: AVRO_V1 } as Record<string, unknown> },
  {
    method: "POST",
    path: `/subjects/new-subject-value/versions`,
    body: { schema: AVRO_V1 } as Record<string, unknown>,
  },
  { method: "POST", path: `/subjects/${SUBJECT}`, body: { schema: AVRO_V1 } as Record<string, unknown> },
  {
    method: "POST",
    path: `/compatibility/subjects/${SUBJECT}/versions/latest`,
    body: { schema: AVRO_V2 } as Record<string, unknown>,
  },
  { method: "PUT", path: "/config", body: { compatibility: "NONE" } as Record<string, unknown> },
  { method: "PUT", path: `/config/${SUBJECT}`, body: { compatibility: "BACKWARD" } as Record<string, unknown> },
];
const anyTarget = () =>
  fc.oneof(
    fc.constantFrom(...registryTargets()).map((t) => ({ ...t, api: "registry" as Api })),
    fc.constantFrom(...confluentTargets()).map((t) => ({ ...t, api: "confluent" as Api })),
  );

const brokenJson = anyTarget().chain((t) => {
  const text = json(t.body);
  return fc
    .oneof(
      fc.nat({ max: text.length - 1 }).map((n) => text.slice(0, n)),
      fc.string({ unit: "binary", maxLength: 200 }).filter((s) => !isJsonObject(s) && s.trim() !== ""),
      fc.constantFrom(
        "{",
        "}",
        "{,}",
        '{"a":}',
        "{'a':1}",
        '{"a":1,}',
        "[1,",
        "nul",
        "NaN",
        "\u0000",
        "\ufeff{}x",
        '{"a":"\\x"}',
        '{"a":"\\ud800"',
        "{}{}",
        '{"a":1}garbage',
      ),
    )
    .map((body): FuzzRequest => ({ kind: "broken-json", api: t.api, method: t.method, path: t.path, body }));
});

const wrongTypes = fc.oneof(
  // A registry body with one field of the wrong type, an unknown field, or a missing required one.
  fc.constantFrom(...registryTargets()).chain((t) =>
    fc
      .oneof(
        fc
          .tuple(fc.constantFrom(...Object.keys(t.body)), nonString)
          .map(([key, value]) => ({ ...t.body, [key]: value })),
        fc
          .tuple(
            fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !(k in t.body) && k !== "__proto__"),
            fc.jsonValue(),
          )
          .map(([key, value]) => ({ ...t.body, [key]: value })),
        fc.jsonValue().filter((v) => typeof v !== "object" || v === null || Array.isArray(v)),
      )
      .map(
        (body): FuzzRequest => ({
          kind: "wrong-types",
          api: "registry",
          method: t.method,
          path: t.path,
          body: json(body),
        }),
      ),
  ),
  // A Confluent body with a non-string schema / schemaType / compatibility, or not an object.
  fc.constantFrom(...confluentTargets()).chain((t) => {
    const key = "compatibility" in t.body ? "compatibility" : "schema";
    return fc
      .oneof(
        // null is "leave it as it is" for both fields (schemaType AVRO; a config update without a
        // level), as in Confluent.
        nonString.filter((v) => v !== null).map((value) => ({ ...t.body, [key]: value })),
        key === "schema"
          ? nonString
              .filter((v) => v !== null)
              .map((schemaType) => ({ ...t.body, schemaType })) /* null means the default, AVRO, as in Confluent */
          : fc
              .string()
              .filter((s) => !(COMPATIBILITY_LEVELS as readonly string[]).includes(s.toUpperCase()))
              .map((compatibility) => ({ compatibility })),
        key === "schema"
          ? fc
              .string()
              .filter((s) => !["AVRO", "JSON", "PROTOBUF"].includes(s))
              .map((schemaType) => ({ ...t.body, schemaType }))
          : fc.constant({ compatibility: "" }),
        fc.jsonValue().filter((v) => typeof v !== "object" || v === null || Array.isArray(v)),
      )
      .map(
        (body): FuzzRequest => ({
          kind: "wrong-types",
          api: "confluent",
          method: t.method,
          path: t.path,
          body: json(body),
        }),
      );
  }),
);

const hugeBody = fc.tuple(anyTarget(), fc.integer({ min: 1, max: 64 * 1024 })).map(([t, extra]): FuzzRequest => {
  const filler = "a".repeat(MAX_BODY_BYTES + extra);
  const body = t.api === "registry" ? `{"name":"${filler}"}` : `{"schema":"${filler}"}`;
  return { kind: "huge-body", api: t.api, method: t.method, path: t.path, body };
});

const invalidAvro = fc.oneof(
  fc.constantFrom(
    "record Order { string id; }",
    '{"type":"record"}',
    '{"type":"record","name":"R"}',
    '{"type":"record","name":"1R","fields":[]}',
    '{"type":"record","name":"R","fields":[{"name":"a","type":"a","default":1},{"name":"a","type":"int"}]}',
    '{"type":"enum","name":"E","symbols":[1,2]}',
    '{"type":"fixed","name":"F","size":-1}',
    '{"type":"array"}',
    '{"type":12}',
    '["int","int"]',
    '{"type":"map","values":"nope"}',
    "[".repeat(200),
  ),
  fc
    .stringMatching(/^[A-Z][a-z]{2,6}$/)
    .map((t) => json({ type: "record", name: "R", fields: [{ name: "a", type: `Missing${t}` }] })),
);
const invalidJsonSchema = fc.oneof(
  fc.constantFrom(
    "{not json",
    '{"type":5}',
    '{"type":"strin"}',
    '{"properties":5}',
    '{"required":"a"}',
    '{"minimum":"x"}',
    '{"enum":5}',
    '{"$schema":5}',
    "[".repeat(200) + "]".repeat(200),
    '{"type":["string","string"]}',
  ),
  fc
    .string({ minLength: 1, maxLength: 30 })
    .filter((s) => !isJsonObject(s) && s !== "true" && s !== "false")
    .map((s) => `{${s}`),
);
const invalidProtobuf = fc.oneof(
  fc.constantFrom(
    'syntax = "proto4";',
    "message {",
    "message M { string a = ; }",
    "message M { nope a = 1; }",
    'syntax = "proto3"; message M { string a = 1; string b = 1; }',
    "enum E { }x",
    "{".repeat(100),
    'syntax = "proto3"; import "missing.proto"; message M { missing.T t = 1; }',
  ),
  fc.stringMatching(/^[A-Z][a-z]{2,6}$/).map((t) => `syntax = "proto3";\nmessage M { Undefined${t} field = 1; }`),
);
const invalidSchema = fc.oneof(
  invalidAvro.map((schema) => ({ schemaType: "AVRO", schema })),
  invalidJsonSchema.map((schema) => ({ schemaType: "JSON", schema })),
  invalidProtobuf.map((schema) => ({ schemaType: "PROTOBUF", schema })),
);
const invalidSchemas = fc
  .tuple(
    invalidSchema,
    fc.constantFrom("register", "new-subject", "lookup", "compat", "registry-version"),
    fc.nat({ max: 999 }),
  )
  .map(([{ schemaType, schema }, where, n]): FuzzRequest => {
    const body = json({ schemaType, schema });
    switch (where) {
      case "register":
        return {
          kind: "invalid-schema",
          api: "confluent",
          method: "POST",
          path: `/subjects/${SUBJECT}/versions`,
          body,
        };
      case "new-subject":
        return {
          kind: "invalid-schema",
          api: "confluent",
          method: "POST",
          path: `/subjects/brand-new-${n}/versions`,
          body,
        };
      case "lookup":
        return { kind: "invalid-schema", api: "confluent", method: "POST", path: `/subjects/${SUBJECT}`, body };
      case "compat":
        return {
          kind: "invalid-schema",
          api: "confluent",
          method: "POST",
          path: `/compatibility/subjects/${SUBJECT}/versions`,
          body,
        };
      default:
        return {
          kind: "invalid-schema",
          api: "registry",
          method: "POST",
          path: `/api/schemas/${schemaId}/versions`,
          body: json({ semanticVersion: `2.0.${n}`, format: schemaType, specification: schema }),
        };
    }
  });

const oddUnicode = fc.oneof(
  // Names with a forbidden character, in creates and renames.
  fc.tuple(fc.constantFrom(...registryTargets().filter((t) => "name" in t.body)), badName).map(
    ([t, name]): FuzzRequest => ({
      kind: "odd-unicode-name",
      api: "registry",
      method: t.method,
      path: t.path,
      body: json({ ...t.body, name }),
    }),
  ),
  fc
    .tuple(fc.constantFrom("PATCH /api/products/P", "PATCH /api/contexts/C", "POST /api/products/P/domains"), badName)
    .map(([route, name]): FuzzRequest => {
      const [method, path] = route.replace("/P", `/${PRODUCT}`).replace("/C", `/${CONTEXT}`).split(" ") as [
        string,
        string,
      ];
      return { kind: "odd-unicode-name", api: "registry", method, path, body: json({ name }) };
    }),
  // Subjects with one, on every kind of subject route (bodies valid: only the subject is wrong).
  fc
    .tuple(
      badSubjectPath,
      fc.constantFrom("register", "lookup", "versions", "version", "config-put", "config-get", "delete", "compat"),
    )
    .map(([subject, route]): FuzzRequest => {
      const avro = json({ schema: AVRO_V1 });
      const r = (method: string, path: string, body?: string): FuzzRequest => ({
        kind: "odd-unicode-subject",
        api: "confluent",
        method,
        path,
        ...(body === undefined ? {} : { body }),
      });
      switch (route) {
        case "register":
          return r("POST", `/subjects/${subject}/versions`, avro);
        case "lookup":
          return r("POST", `/subjects/${subject}`, avro);
        case "versions":
          return r("GET", `/subjects/${subject}/versions`);
        case "version":
          return r("GET", `/subjects/${subject}/versions/1`);
        case "config-put":
          return r("PUT", `/config/${subject}`, json({ compatibility: "NONE" }));
        case "config-get":
          return r("GET", `/config/${subject}`);
        case "delete":
          return r("DELETE", `/subjects/${subject}`);
        default:
          return r("POST", `/compatibility/subjects/${subject}/versions`, avro);
      }
    }),
  // Ids with odd characters in /api paths.
  fc
    .tuple(
      fc.constantFrom("products", "domains", "contexts", "schemas"),
      fc.oneof(
        forbiddenEscape,
        badName.map(encodeOdd).filter((s) => s.length > 0),
        fc.constantFrom("%2e%2e", "..%2F..", "%00", "x".repeat(300)),
      ),
    )
    .map(
      ([level, id]): FuzzRequest => ({
        kind: "odd-unicode-path",
        api: "registry",
        method: "GET",
        path: `/api/${level}/${id}`,
      }),
    ),
);

const wrongContentType = fc
  .tuple(
    anyTarget(),
    fc.constantFrom(
      "text/plain",
      "application/xml",
      "text/html; charset=utf-8",
      "multipart/form-data; boundary=x",
      "application/x-www-form-urlencoded",
      "image/png",
      "application/jsonp",
      "text/json",
    ),
  )
  .map(
    ([t, type]): FuzzRequest => ({
      kind: "wrong-content-type",
      api: t.api,
      method: t.method,
      path: t.path,
      body: json(t.body),
      headers: { "content-type": type },
    }),
  );

const badLimit = fc.oneof(
  fc.constantFrom(
    "0",
    "-1",
    "501",
    "1e3",
    "1e2",
    "abc",
    "1.5",
    "",
    " ",
    " 5",
    "+5",
    "NaN",
    "Infinity",
    "0x10",
    "99999999999999999999",
  ),
  fc.integer({ min: 501 }).map(String),
  fc.integer({ max: 0 }).map(String),
);
const badQuery = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(
        `/api/products`,
        `/api/products/${PRODUCT}/domains`,
        `/api/contexts/${CONTEXT}/schemas`,
        `/api/schemas/SCHEMA/versions`,
        `/api/audit`,
        `/api/keys`,
      ),
      badLimit,
    )
    .map(
      ([path, limit]): FuzzRequest => ({
        kind: "bad-query",
        api: "registry",
        method: "GET",
        path: `${path.replace("SCHEMA", schemaId)}?limit=${encodeURIComponent(limit)}`,
      }),
    ),
  fc.string({ minLength: 1, maxLength: 40 }).map(
    (cursor): FuzzRequest => ({
      kind: "bad-query",
      api: "registry",
      method: "GET",
      path: `/api/products?cursor=${encodeURIComponent(cursor)}`,
    }),
  ),
  fc
    .tuple(
      fc.stringMatching(/^[a-z]{1,8}$/).filter((k) => !["limit", "cursor", "name"].includes(k)),
      fc.string({ maxLength: 8 }),
    )
    .map(
      ([key, value]): FuzzRequest => ({
        kind: "bad-query",
        api: "registry",
        method: "GET",
        path: `/api/products?${key}=${encodeURIComponent(value)}`,
      }),
    ),
  fc.tuple(fc.constantFrom("status", "scope", "schemaTypeCategory"), fc.string({ maxLength: 8 })).map(
    ([key, value]): FuzzRequest => ({
      kind: "bad-query",
      api: "registry",
      method: "GET",
      path:
        key === "status"
          ? `/api/schemas/${schemaId}/versions?status=x${encodeURIComponent(value)}`
          : `/api/contexts/${CONTEXT}/schemas?${key}=x${encodeURIComponent(value)}`,
    }),
  ),
  fc.constantFrom("0", "-2", "abc", "2147483648", "1.0", "%20", "latest2", "99999999999", "%00").map(
    (v): FuzzRequest => ({
      kind: "bad-query",
      api: "confluent",
      method: "GET",
      path: `/subjects/${SUBJECT}/versions/${v}`,
    }),
  ),
  fc
    .constantFrom("abc", "-1", "99999999999", "1.5", "0x1", "%00", "1%20")
    .map((id): FuzzRequest => ({ kind: "bad-query", api: "confluent", method: "GET", path: `/schemas/ids/${id}` })),
  fc
    .constantFrom(
      `DELETE /subjects/${SUBJECT}?permanent=true`,
      `DELETE /subjects/${SUBJECT}/versions/1?permanent=true`,
      `DELETE /subjects/${SUBJECT}/versions/0`,
      `DELETE /subjects/no-such-subject`,
      `DELETE /config/no-such-subject`,
      `GET /subjects/${SUBJECT}/versions/7`,
    )
    .map((route): FuzzRequest => {
      const [method, path] = route.split(" ") as [string, string];
      return { kind: "bad-query", api: "confluent", method, path };
    }),
);

const malformedRequest: fc.Arbitrary<FuzzRequest> = fc.oneof(
  brokenJson,
  wrongTypes,
  { arbitrary: hugeBody, weight: 1 },
  { arbitrary: invalidSchemas, weight: 3 },
  { arbitrary: oddUnicode, weight: 3 },
  wrongContentType,
  { arbitrary: badQuery, weight: 2 },
);

// ---- the oracle -------------------------------------------------------------------------------

/** Why an answer is wrong for a malformed request, or null. */
function problemWith(request: FuzzRequest, status: number, parsed: unknown): string | null {
  if (status < 400 || status > 499) return `status ${status}`;
  const body = parsed as Record<string, unknown> | undefined;
  if (request.api === "confluent") {
    const code = body?.error_code;
    if (typeof code !== "number" || typeof body?.message !== "string") return "not Confluent's error shape";
    if (code !== status && Math.trunc(code / 100) !== status)
      return `error_code ${code} does not match status ${status}`;
    return null;
  }
  const error = body?.error as Record<string, unknown> | undefined;
  if (typeof error?.code !== "string" || typeof error.message !== "string" || typeof error.requestId !== "string")
    return "not the /api error shape";
  return null;
}

it(`answers ${RUNS} generated malformed requests with 4xx only, in each API's error shape, \
and leaves the data byte-identical`, async () => {
  // The Confluent API numbers a version published through /api the first time it reads its
  // subject (docs/confluent-api.md); the first snapshot does that, the second is the reference.
  await snapshot();
  const before = await snapshot();
  const tally = { requests: 0, status4xx: 0, status5xx: 0, status2xx: 0, wrongShape: 0, resets: 0 };
  const kinds = new Map<string, number>();
  const problems: string[] = [];
  await fc
    .assert(
      fc.asyncProperty(malformedRequest, async (request) => {
        tally.requests += 1;
        let res: Awaited<ReturnType<RegistryHarness["call"]>>;
        try {
          res = await api.call(DB, request.method, request.path, request.body, request.headers);
        } catch (error) {
          // A body past the limit is refused (413) without being read, and workerd then closes the
          // connection: a client still uploading may see the reset before it reads the 413.
          if (
            request.kind === "huge-body" &&
            /ECONNRESET|EPIPE|socket hang up|other side closed/.test(
              `${String(error)} ${String((error as Error).cause ?? "")}`,
            )
          ) {
            tally.resets += 1;
            return true;
          }
          problems.push(
            `[${request.kind}] ${request.method} ${request.path.slice(0, 200)} ` +
              `(${request.body?.length ?? 0} body chars) -> no answer: ` +
              `${String(error)} ${String((error as Error).cause ?? "")}`,
          );
          return false;
        }
        kinds.set(request.kind, (kinds.get(request.kind) ?? 0) + 1);
        if (res.status >= 500) tally.status5xx += 1;
        else if (res.status < 400) tally.status2xx += 1;
        else tally.status4xx += 1;
        const problem = problemWith(request, res.status, res.json);
        if (problem !== null) {
          if (res.status >= 400 && res.status < 500) tally.wrongShape += 1;
          const sent =
            request.body === undefined
              ? ""
              : ` body ${JSON.stringify(request.body.slice(0, 160))}` +
                (request.body.length > 160 ? `... (${request.body.length} chars)` : "");
          problems.push(
            `[${request.kind}] ${request.method} ${request.path.slice(0, 200)}${sent} ` +
              `${JSON.stringify(request.headers ?? {})} -> ${problem}: ${res.text.slice(0, 300)}`,
          );
        }
        return problem === null;
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true, verbose: 0 },
    )
    .catch((error: unknown) => {
      // The first lines say the seed and path to replay; the counterexample itself is in `problems`, cut short.
      problems.unshift(String(error).split("\n").slice(0, 2).join(" ").slice(0, 300));
    });
  const after = await snapshot();
  const summary =
    `bad-input fuzz: seed=${SEED} runs=${RUNS} requests=${tally.requests} 4xx=${tally.status4xx} ` +
    `5xx=${tally.status5xx} 2xx/3xx=${tally.status2xx} reset-while-uploading-over-limit=${tally.resets} ` +
    `wrong-shape=${tally.wrongShape} data-unchanged=${before === after} ` +
    `kinds=${JSON.stringify(Object.fromEntries(kinds))}`;
  console.log(summary);
  expect(problems, summary).toEqual([]);
  expect(tally.requests).toBe(RUNS);
  if (after !== before) {
    // Name what changed: the first differing line of the two snapshots.
    const [b, a] = [before.split("\n"), after.split("\n")];
    const at = b.findIndex((line, i) => line !== a[i]);
    expect(a[at]?.slice(-700), "stored data changed").toBe(b[at]?.slice(-700));
  }
  expect(after).toBe(before);
}, 600_000);
