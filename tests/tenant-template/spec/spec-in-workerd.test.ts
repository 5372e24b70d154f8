/**
 * The specification validators inside real workerd, where code generation from strings is
 * refused: the same cases as the Node tests, plus every real-world fixture, through a tiny Worker
 * (spec-probe.worker.ts) bundled with the template's own esbuild options.
 */
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { WORKER_BUILD_OPTIONS } from "../../../contracts/worker-build-options.ts";
import type { SpecFormat } from "../../../tenant-template/src/spec/validate-specification.ts";
import fixtures from "./fixtures/confluent-bdd.json" with { type: "json" };
import { invalidCases, validCases } from "./spec-cases.ts";

const ENTRY = fileURLToPath(new URL("./spec-probe.worker.ts", import.meta.url));

type Summary =
  | { ok: true; format: SpecFormat; [key: string]: unknown }
  | { ok: false; errors: Array<{ path: string; message: string; line?: number; column?: number }> };

let mf: Miniflare;

beforeAll(async () => {
  const result = await build({ ...WORKER_BUILD_OPTIONS, entryPoints: [ENTRY] });
  const script = result.outputFiles[0]?.text;
  if (script === undefined) throw new Error("esbuild produced no spec probe bundle");
  // Same compatibility date as the tenant template: no nodejs_compat, no eval allowance.
  mf = new Miniflare({ modules: true, script, compatibilityDate: "2026-06-01" });
});

afterAll(async () => {
  await mf?.dispose();
});

async function validateInWorkerd(cases: ReadonlyArray<{ format: SpecFormat; text: string }>): Promise<Summary[]> {
  const res = await mf.dispatchFetch("http://spec/", { method: "POST", body: JSON.stringify({ cases }) });
  expect(res.status).toBe(200);
  return (await res.json()) as Summary[];
}

test("the premise: workerd refuses new Function, so nothing here may generate code", async () => {
  const res = await mf.dispatchFetch("http://spec/codegen");
  expect(await res.json()).toEqual({
    allowed: false,
    error: "EvalError: Code generation from strings disallowed for this context",
  });
});

describe("in workerd", () => {
  test("every hand-written invalid specification fails where the Node tests say", async () => {
    const results = await validateInWorkerd(invalidCases);
    results.forEach((result, index) => {
      const { name, error } = invalidCases[index]!;
      expect({ name, ok: result.ok }).toEqual({ name, ok: false });
      if (!result.ok) expect(result.errors[0], name).toMatchObject(error);
    });
  });

  test("valid specifications parse, and their parsed forms work here", async () => {
    const results = await validateInWorkerd(validCases);
    expect(results).toEqual([
      { ok: true, format: "JSON", draft: "draft-07", validatesEmptyObject: false },
      { ok: true, format: "JSON", draft: "2020-12", validatesEmptyObject: true },
      { ok: true, format: "JSON", draft: "draft-07", validatesEmptyObject: true },
      { ok: true, format: "AVRO", type: "string", namedTypes: [] },
      {
        ok: true,
        format: "AVRO",
        type: "record",
        namedTypes: ["shop.v1.Order", "shop.v1.Status", "shop.v1.Line", "shop.crypto.Digest"],
      },
      { ok: true, format: "PROTOBUF", syntax: "proto3", types: ["shop", "google"] },
      { ok: true, format: "PROTOBUF", syntax: "proto2", types: ["Legacy", "note"] },
    ]);
  });

  test("every real-world JSON Schema (draft-07, 2020-12) and Avro fixture is valid", async () => {
    const cases = [
      ...fixtures.jsonSchemaDraft07.map((text) => ({ format: "JSON" as const, text })),
      ...fixtures.jsonSchemaDraft2020.map((text) => ({ format: "JSON" as const, text })),
      ...fixtures.avro.map(({ schema }) => ({ format: "AVRO" as const, text: schema })),
    ];
    const results = await validateInWorkerd(cases);
    const failures = results.flatMap((result, index) =>
      result.ok ? [] : [{ text: cases[index]!.text, errors: result.errors }],
    );
    expect(failures).toEqual([]);
    expect(cases.length).toBeGreaterThan(300);
  });

  test("every real-world .proto fixture parses, except those importing files that need schema references", async () => {
    const results = await validateInWorkerd(fixtures.protobuf.map((text) => ({ format: "PROTOBUF" as const, text })));
    const refused = results.flatMap((result) => (result.ok ? [] : result.errors.map((e) => e.message)));
    expect(refused.every((message) => message.includes("neither a well-known type nor a schema reference"))).toBe(true);
    expect(results.filter((r) => r.ok).length).toBeGreaterThan(40);
  });
});
