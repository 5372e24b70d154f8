/**
 * Every template version the fleet has run, kept where the platform can reach it without the
 * source checkout that built it: a KV value `bundle:<tag>` in the routing store, holding the bundled
 * module and what an upload needs besides (main module, compatibility, the version string).
 *
 * Why a KV value: a bundle is about 2.2 MB and KV takes values up to 25 MiB; the routing store
 * already exists in every account (no R2 subscription or bucket to set up); and Workers'
 * versions are per script, so a version that no tenant runs any more would be gone with it. A
 * version installed before rollouts kept bundles (by `tenant create`) is snapshotted from a tenant
 * that runs it: its code from the script's content, its settings from the script's settings.
 */
import type { Target } from "../config.ts";
import { apiCall } from "../errors.ts";
import { readRoutingValue, writeRoutingValue } from "../routing-store.ts";
import type { TemplateBuild } from "../template-build.ts";

/** What uploading a version to a tenant needs. */
export type TemplateBundle = Pick<
  TemplateBuild,
  "tag" | "version" | "mainModule" | "code" | "compatibilityDate" | "compatibilityFlags"
>;

const bundleKey = (tag: string) => `bundle:${tag}`;

function isBundle(value: unknown): value is TemplateBundle {
  const v = value as Partial<TemplateBundle> | undefined;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.tag === "string" &&
    typeof v.version === "string" &&
    typeof v.mainModule === "string" &&
    typeof v.code === "string" &&
    typeof v.compatibilityDate === "string" &&
    Array.isArray(v.compatibilityFlags)
  );
}

/**
 * The stored bundle of a version, or undefined.
 *
 * @example
 *   const bundle = await readBundle(target, "tpl-3f2a9c0d1b2e");
 */
export async function readBundle(target: Target, tag: string): Promise<TemplateBundle | undefined> {
  const value = await readRoutingValue(target, bundleKey(tag));
  return isBundle(value) ? value : undefined;
}

/**
 * Keep a version's bundle (a build, or one snapshotted).
 *
 * @example
 *   await saveBundle(target, build);
 */
export async function saveBundle(target: Target, bundle: TemplateBundle): Promise<void> {
  const { tag, version, mainModule, code, compatibilityDate, compatibilityFlags } = bundle;
  await writeRoutingValue(target, bundleKey(tag), {
    tag,
    version,
    mainModule,
    code,
    compatibilityDate,
    compatibilityFlags,
  });
}

/**
 * The bundle a tenant's script runs now, read from Cloudflare: its main module's code
 * (`GET .../content`, which answers a module Worker as multipart form data, or the module itself),
 * its compatibility settings and its TEMPLATE_VERSION (`GET .../settings`).
 *
 * @example
 *   const bundle = await snapshotBundle(target, "tenant-acme", "tpl-3f2a9c0d1b2e");
 */
export async function snapshotBundle(target: Target, script: string, tag: string): Promise<TemplateBundle> {
  const scripts = target.client.workersForPlatforms.dispatch.namespaces.scripts;
  const params = { account_id: target.accountId, dispatch_namespace: target.dispatchNamespace };
  const settings = await apiCall("reading settings of", "Worker script", script, () =>
    scripts.settings.get(script, params),
  );
  const response = await apiCall("reading the code of", "Worker script", script, () =>
    scripts.content.get(script, params),
  );
  const type = response.headers.get("content-type") ?? "";
  let mainModule = "index.js";
  let code: string;
  if (type.startsWith("multipart/form-data")) {
    const form = await response.formData();
    const main = response.headers.get("cf-entrypoint") ?? [...form.keys()].find((k) => k !== "metadata");
    const part = main === undefined ? null : form.get(main);
    if (part === null || typeof part === "string") throw new Error(`the content of ${script} has no module part`);
    mainModule = main!;
    code = await part.text();
  } else {
    code = await response.text();
  }
  const version = (settings.bindings ?? []).find(
    (b): b is { type: "plain_text"; name: string; text: string } =>
      b.type === "plain_text" && b.name === "TEMPLATE_VERSION",
  )?.text;
  return {
    tag,
    version: version ?? tag,
    mainModule,
    code,
    compatibilityDate: settings.compatibility_date ?? "2025-01-01",
    compatibilityFlags: settings.compatibility_flags ?? [],
  };
}
