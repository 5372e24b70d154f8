/**
 * Build the tenant Worker from tenant-template/ into one ES module, the way wrangler would, and
 * fingerprint it. The fingerprint becomes the script's `tpl-<hash>` tag, which is how a re-run
 * knows whether the uploaded code is already current without downloading it.
 */
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { WORKER_BUILD_OPTIONS } from "../../contracts/worker-build-options.ts";
import { readWranglerConfig } from "../../contracts/wrangler-config.ts";
import { TEMPLATE_VERSION } from "../../contracts/template-version.ts";
import { templateTag } from "./tenant-names.ts";

const DEFAULT_TEMPLATE_DIR = fileURLToPath(new URL("../../tenant-template/", import.meta.url));

export interface TemplateConfig {
  /** Entry point relative to the template dir (wrangler's `main`). */
  main: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
}

export interface TemplateBuild extends TemplateConfig {
  /** The bundled module. */
  code: string;
  /** Name of the module part in the upload (the metadata's `main_module`). */
  mainModule: string;
  /** sha-256 hex of code + compatibility settings. */
  hash: string;
  /** `tpl-<first 12 hex>`: the script tag that tells a re-run whether the code is current. */
  tag: string;
  /**
   * What the Worker reports as TEMPLATE_VERSION: the template's human version with the build's
   * fingerprint as semver build metadata, e.g. `0.1.0+847c840303ab`.
   */
  version: string;
  buildMs: number;
}

/**
 * Read `main`, `compatibility_date` and `compatibility_flags` from tenant-template/wrangler.jsonc.
 *
 * @example
 *   const { compatibilityDate } = await readTemplateConfig(); // "2025-09-01"
 */
export async function readTemplateConfig(templateDir: string = DEFAULT_TEMPLATE_DIR): Promise<TemplateConfig> {
  const path = join(templateDir, "wrangler.jsonc");
  const config = await readWranglerConfig(path);
  const date = config.compatibility_date;
  if (typeof date !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(date)) {
    throw new Error(`${path}: compatibility_date must be a date like "2025-09-01"`);
  }
  const flags = config.compatibility_flags ?? [];
  if (!Array.isArray(flags) || !flags.every((f): f is string => typeof f === "string")) {
    throw new Error(`${path}: compatibility_flags must be a list of strings`);
  }
  const main = typeof config.main === "string" ? config.main : "src/index.ts";
  return { main, compatibilityDate: date, compatibilityFlags: flags };
}

const cache = new Map<string, Promise<TemplateBuild>>();

/**
 * Bundle the template with esbuild (one ES module, `cloudflare:*` and `node:*` left to the
 * runtime) and fingerprint it. Memoised per directory: a fleet run builds once.
 *
 * @example
 *   const { code, tag } = await buildTemplate(); // tag "tpl-3f2a9c0d1b2e"
 */
export function buildTemplate(templateDir: string = DEFAULT_TEMPLATE_DIR): Promise<TemplateBuild> {
  const key = resolve(templateDir);
  let pending = cache.get(key);
  if (!pending) {
    pending = buildUncached(key);
    cache.set(key, pending);
    // A failed build must not stick: the next call tries again.
    pending.catch(() => cache.delete(key));
  }
  return pending;
}

async function buildUncached(templateDir: string): Promise<TemplateBuild> {
  const started = performance.now();
  const config = await readTemplateConfig(templateDir);
  const result = await build({
    ...WORKER_BUILD_OPTIONS,
    absWorkingDir: templateDir,
    entryPoints: [join(templateDir, config.main)],
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild produced no output for ${config.main}`);
  const code = output.text;
  const hash = createHash("sha256")
    .update(JSON.stringify({ code, compatibilityDate: config.compatibilityDate, flags: config.compatibilityFlags }))
    .digest("hex");
  const tag = templateTag(hash);
  return {
    ...config,
    code,
    mainModule: "index.js",
    hash,
    tag,
    version: `${TEMPLATE_VERSION}+${tag.slice("tpl-".length)}`,
    buildMs: performance.now() - started,
  };
}
