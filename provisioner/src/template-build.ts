/**
 * Build the tenant Worker from tenant-template/ into one ES module, the way wrangler would, and
 * fingerprint it. The fingerprint becomes the script's `tpl-<hash>` tag, which is how a re-run
 * knows whether the uploaded code is already current without downloading it.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, version as esbuildVersion } from "esbuild";
import { WORKER_BUILD_OPTIONS } from "../../contracts/worker-build-options.ts";
import { readWranglerConfig } from "../../contracts/wrangler-config.ts";
import { TEMPLATE_VERSION } from "../../contracts/template-version.ts";
import { templateTag } from "./tenant-names.ts";

const DEFAULT_TEMPLATE_DIR = fileURLToPath(new URL("../../tenant-template/", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** Where a build is kept for the next process (one file per template directory). */
const BUILD_CACHE_DIR = join(REPO_ROOT, "node_modules/.cache/wfp-template-build");

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
  /** True when an earlier process's bundle was reused: every input it was built from is unchanged. */
  reused: boolean;
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
    pending = buildTemplateNow(key);
    cache.set(key, pending);
    // A failed build must not stick: the next call tries again.
    pending.catch(() => cache.delete(key));
  }
  return pending;
}

/**
 * {@link buildTemplate} without this process's memo: the sources are checked again (and bundled
 * again only if something the last bundle read has changed).
 */
export async function buildTemplateNow(templateDir: string = DEFAULT_TEMPLATE_DIR): Promise<TemplateBuild> {
  const started = performance.now();
  const config = await readTemplateConfig(templateDir);
  const { code, reused } = await bundle(templateDir, config.main);
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
    reused,
  };
}

interface CachedBundle {
  /** What the bundle depends on besides its inputs' contents (see {@link buildContext}). */
  context: string;
  /** Every file esbuild read, relative to the repository, with its sha-256. */
  inputs: Record<string, string>;
  code: string;
}

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

/**
 * What else decides the bundle: esbuild's version and options, the entry point, the lockfile (so a
 * dependency upgrade rebuilds) and the names of the template's source files (so a new file that
 * would shadow an old one in resolution rebuilds too).
 */
function buildContext(templateDir: string, main: string): string {
  const names: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "node_modules") continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else names.push(relative(templateDir, path));
    }
  };
  walk(templateDir);
  let lockfile = "";
  try {
    lockfile = sha256(readFileSync(join(REPO_ROOT, "package-lock.json")));
  } catch {
    // No lockfile: the inputs' contents still decide.
  }
  return sha256(JSON.stringify({ esbuildVersion, WORKER_BUILD_OPTIONS, main, names: names.sort(), lockfile }));
}

/**
 * The template as one module. esbuild runs only when something it read has changed since the last
 * build (in any process): each `tenant create` is a process of its own, and the bundle is most of
 * a second of its time. The cache is checked file by file, never trusted by time stamps.
 */
async function bundle(templateDir: string, main: string): Promise<{ code: string; reused: boolean }> {
  const cacheFile = join(BUILD_CACHE_DIR, `${sha256(templateDir).slice(0, 16)}.json`);
  const context = buildContext(templateDir, main);
  try {
    const cached = JSON.parse(readFileSync(cacheFile, "utf8")) as CachedBundle;
    const unchanged =
      cached.context === context &&
      Object.entries(cached.inputs).every(([path, hash]) => sha256(readFileSync(join(REPO_ROOT, path))) === hash);
    if (unchanged) return { code: cached.code, reused: true };
  } catch {
    // No cache yet, an unreadable one, or an input gone: build.
  }
  const result = await build({
    ...WORKER_BUILD_OPTIONS,
    absWorkingDir: templateDir,
    entryPoints: [join(templateDir, main)],
    metafile: true,
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild produced no output for ${main}`);
  const inputs: Record<string, string> = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    const path = resolve(templateDir, input);
    if (statSync(path, { throwIfNoEntry: false })?.isFile()) {
      inputs[relative(REPO_ROOT, path)] = sha256(readFileSync(path));
    }
  }
  try {
    mkdirSync(BUILD_CACHE_DIR, { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ context, inputs, code: output.text } satisfies CachedBundle));
    renameSync(tmp, cacheFile);
  } catch {
    // A read-only checkout: the next process builds again.
  }
  return { code: output.text, reused: false };
}
