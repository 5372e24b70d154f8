/**
 * The Protobuf compatibility engine inside real workerd, where code generation from strings is
 * refused: Confluent's diff vectors that need no references (the engine only walks protobufjs's
 * reflection tree, which must hold there), through a tiny Worker bundled with the template's own
 * esbuild options. The same answers as in Node, where protobuf-compatibility.test.ts checks them.
 */
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import { WORKER_BUILD_OPTIONS } from "../../../contracts/worker-build-options.ts";

const ENTRY = fileURLToPath(new URL("./protobuf-compat-probe.worker.ts", import.meta.url));
const VECTORS = fileURLToPath(
  new URL("../../../../shared/conformance/confluent-bdd/testdata/protobuf-diff-schema-examples.json", import.meta.url),
);

interface Vector {
  description: string;
  original_schema: string;
  update_schema: string;
  original_dependencies?: unknown[];
  update_dependencies?: unknown[];
  changes: string[];
  compatible: boolean;
}

let mf: Miniflare;

beforeAll(async () => {
  const result = await build({ ...WORKER_BUILD_OPTIONS, entryPoints: [ENTRY] });
  const script = result.outputFiles[0]?.text;
  if (script === undefined) throw new Error("esbuild produced no probe bundle");
  // Same compatibility date as the tenant template: no nodejs_compat, no eval allowance.
  mf = new Miniflare({ modules: true, script, compatibilityDate: "2026-06-01" });
});

afterAll(async () => {
  await mf?.dispose();
});

test.skipIf(!existsSync(VECTORS))(
  "in workerd, every diff vector without references gets Confluent's answer",
  async () => {
    const vectors = (JSON.parse(readFileSync(VECTORS, "utf8")) as Vector[]).filter(
      (v) => !v.original_dependencies?.length && !v.update_dependencies?.length,
    );
    const res = await mf.dispatchFetch("http://probe/", {
      method: "POST",
      body: JSON.stringify({ cases: vectors.map((v) => ({ original: v.original_schema, update: v.update_schema })) }),
    });
    expect(res.status).toBe(200);
    const results = (await res.json()) as Array<{
      ok: boolean;
      isCompatible?: boolean;
      changes?: string[];
      backward?: boolean;
    }>;
    const got = results.map((r, i) => ({
      vector: vectors[i]!.description,
      ok: r.ok,
      compatible: r.isCompatible,
      backward: r.backward,
      changes: [...(r.changes ?? [])].sort(),
    }));
    const want = vectors.map((v) => ({
      vector: v.description,
      ok: true,
      compatible: v.compatible,
      backward: v.compatible,
      changes: [...v.changes].sort(),
    }));
    expect(got).toEqual(want);
    expect(vectors.length).toBeGreaterThan(30);
  },
);
