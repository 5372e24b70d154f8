/**
 * The Avro compatibility engine inside real workerd, bundled with the template's own esbuild
 * options (compat-probe.worker.ts): the same answers as in Node, recursion included.
 */
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import { WORKER_BUILD_OPTIONS } from "../../../contracts/worker-build-options.ts";
import { avroCompatibility } from "../../../tenant-template/src/compat/avro-compatibility.ts";
import { validateSpecification } from "../../../tenant-template/src/spec/validate-specification.ts";

const ENTRY = fileURLToPath(new URL("./compat-probe.worker.ts", import.meta.url));

let mf: Miniflare;

beforeAll(async () => {
  const result = await build({ ...WORKER_BUILD_OPTIONS, entryPoints: [ENTRY] });
  const script = result.outputFiles[0]?.text;
  if (script === undefined) throw new Error("esbuild produced no compat probe bundle");
  // Same compatibility date as the tenant template: no nodejs_compat, no eval allowance.
  mf = new Miniflare({ modules: true, script, compatibilityDate: "2026-06-01" });
});

afterAll(async () => {
  await mf?.dispose();
});

const list = (extra: string) =>
  `{"type":"record","name":"Node","fields":[{"name":"value","type":"int"},` +
  `{"name":"next","type":["null","Node"]}${extra}]}`;
const pairs = [
  {
    reader: '{"type":"record","name":"U","fields":[{"name":"id","type":"long"},{"name":"email","type":"string"}]}',
    writer: '{"type":"record","name":"U","fields":[{"name":"id","type":"int"}]}',
  },
  { reader: list(',{"name":"label","type":"string","default":""}'), writer: list("") },
  { reader: list(',{"name":"label","type":"string"}'), writer: list("") },
  { reader: '{"type":"enum","name":"S","symbols":["A"]}', writer: '{"type":"enum","name":"S","symbols":["A","B"]}' },
  { reader: '{"type":"fixed","name":"H","size":16}', writer: '{"type":"fixed","name":"G","size":32}' },
  { reader: '["null","string"]', writer: '["null","string","int"]' },
  { reader: '"string"', writer: '["null","string"]' },
  {
    reader: '{"type":"map","values":{"type":"array","items":"double"}}',
    writer: '{"type":"map","values":{"type":"array","items":"float"}}',
  },
];

test("in workerd, the engine gives the answers it gives in Node", async () => {
  const res = await mf.dispatchFetch("http://compat/", { method: "POST", body: JSON.stringify({ pairs }) });
  expect(res.status).toBe(200);
  const inNode = pairs.map(({ reader, writer }) => {
    const r = validateSpecification("AVRO", reader);
    const w = validateSpecification("AVRO", writer);
    if (!r.ok || !w.ok) throw new Error("invalid test schema");
    return avroCompatibility.canRead(r.parsed, w.parsed);
  });
  expect(await res.json()).toEqual(inNode);
  // Not vacuous: some pairs break, some do not.
  expect(inNode.map((issues) => issues.map((i) => i.type))).toEqual([
    ["READER_FIELD_MISSING_DEFAULT_VALUE"],
    [],
    ["READER_FIELD_MISSING_DEFAULT_VALUE"],
    ["MISSING_ENUM_SYMBOLS"],
    ["NAME_MISMATCH", "FIXED_SIZE_MISMATCH"],
    ["MISSING_UNION_BRANCH"],
    ["TYPE_MISMATCH"],
    [],
  ]);
});
