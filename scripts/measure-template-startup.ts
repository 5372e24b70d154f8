/**
 * What the tenant Worker costs to upload and to start, for this tree's template and optionally
 * another's (e.g. main's, to see what a change adds): the bundle as the provisioner builds it, its
 * size raw and gzipped (Node's zlib, level 9, as an upload compresses), V8 compiling and evaluating
 * the module in a fresh Node process (min / median), and workerd started by Miniflare until its
 * first answer to /health (min / median). The figures in docs/console.md come from this.
 *
 * Usage: node --import tsx scripts/measure-template-startup.ts [--before <tenant-template dir>] [--runs 15]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { Miniflare } from "miniflare";
import { buildTemplate } from "../provisioner/src/template-build.ts";

const { values } = parseArgs({ options: { before: { type: "string" }, runs: { type: "string", default: "15" } } });
const runs = Number(values.runs);
const workerdRuns = Math.max(3, Math.ceil(runs / 2));

/** Compiles and evaluates the module in a fresh process; answers the milliseconds it took. */
const V8_PROBE = `
import { readFileSync } from "node:fs";
import vm from "node:vm";
const code = readFileSync(process.argv[2], "utf8");
const start = performance.now();
const module = new vm.SourceTextModule(code, { identifier: "worker.js" });
await module.link(() => { throw new Error("the bundle imports nothing"); });
await module.evaluate();
console.log(performance.now() - start);
`;

const stats = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return `${Math.round(sorted[0]!)} / ${Math.round(sorted[Math.floor(sorted.length / 2)]!)} ms`;
};

async function workerdFirstAnswer(code: string): Promise<number> {
  const start = performance.now();
  const mf = new Miniflare({
    modules: true,
    script: code,
    compatibilityDate: "2026-06-01",
    d1Databases: { DB: "startup" },
    kvNamespaces: { CACHE: "startup-cache" },
    bindings: { TENANT_ID: "startup", RESIDENCY: "global", CACHE_MODE: "off", DISPATCH_PROOF: "startup-proof" },
  });
  try {
    const answer = await mf.dispatchFetch("http://startup.test/health/live", {
      headers: { "x-wfp-proof": "startup-proof" },
    });
    await answer.arrayBuffer();
    return performance.now() - start;
  } finally {
    await mf.dispose();
  }
}

async function measure(label: string, templateDir: string | undefined): Promise<string> {
  const { code } = await buildTemplate(templateDir);
  const dir = mkdtempSync(join(tmpdir(), "wfp-startup-"));
  const file = join(dir, "worker.mjs");
  writeFileSync(file, code);
  const probe = join(dir, "probe.mjs");
  writeFileSync(probe, V8_PROBE);
  const v8: number[] = [];
  for (let i = 0; i < runs; i += 1)
    v8.push(Number(execFileSync(process.execPath, ["--experimental-vm-modules", "--no-warnings", probe, file])));
  const workerd: number[] = [];
  for (let i = 0; i < workerdRuns; i += 1) workerd.push(await workerdFirstAnswer(code));
  const bytes = Buffer.byteLength(code);
  const gzip = gzipSync(code, { level: 9 }).length;
  const size = (n: number) => `${n.toLocaleString("en")} B`;
  return `| ${label} | ${size(bytes)} | ${size(gzip)} | ${stats(v8)} | ${stats(workerd)} |`;
}

console.log(
  `| bundle | size | gzip | V8 compile + evaluate, min / median of ${runs} ` +
    `| workerd start to first answer, min / median of ${workerdRuns} |`,
);
console.log("| --- | --- | --- | --- | --- |");
if (values.before !== undefined) console.log(await measure(`before (${values.before})`, values.before));
console.log(await measure("this tree", undefined));
