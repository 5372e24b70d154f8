/**
 * The dispatcher in one module with the local dispatch namespace shim, for the dispatcher's own
 * tests and bench:dispatch, which run it in Miniflare beside a fixed tenant
 * (scripts/lib/static-tenant-host.ts). The platform itself runs the dispatcher `platform init`
 * uploads, behind the same shim (workerd-runtime.ts). Its settings (compatibility date, vars,
 * binding names, namespace) come from dispatcher/wrangler.jsonc.
 */
import { join } from "node:path";
import { build } from "esbuild";
import { WORKER_BUILD_OPTIONS } from "../../contracts/worker-build-options.ts";
import { readWranglerConfig } from "../../contracts/wrangler-config.ts";

/** The dispatcher as one module, wrapped with the namespace shim, and its settings. */
export interface DispatcherWorker {
  code: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  vars: Record<string, string>;
  routesBinding: string;
  namespace: string;
}

interface DispatcherWranglerConfig {
  main: string;
  compatibility_date: string;
  compatibility_flags?: string[];
  vars?: Record<string, string>;
  kv_namespaces?: { binding: string }[];
  dispatch_namespaces?: { binding: string; namespace: string }[];
  durable_objects?: { bindings?: { class_name: string }[] };
}

/** @example const dispatcher = await buildDispatcherWorker("/repo", { PLATFORM_HOSTS: "localhost" }) */
export async function buildDispatcherWorker(
  repoRoot: string,
  varOverrides: Record<string, string> = {},
): Promise<DispatcherWorker> {
  const dir = join(repoRoot, "dispatcher");
  // Shape as wrangler documents it; a missing entry fails below with what to add.
  const config = (await readWranglerConfig(join(dir, "wrangler.jsonc"))) as unknown as DispatcherWranglerConfig;
  const namespace = config.dispatch_namespaces?.[0];
  const routes = config.kv_namespaces?.find((kv) => kv.binding === "ROUTES") ?? config.kv_namespaces?.[0];
  if (namespace === undefined || routes === undefined) {
    throw new Error("dispatcher/wrangler.jsonc needs one dispatch_namespaces entry and the ROUTES kv_namespaces entry");
  }
  const shim = join(repoRoot, "infra/local-platform/worker-shims/dispatch-namespace.ts");
  const main = JSON.stringify(join(dir, config.main));
  const binding = JSON.stringify(namespace.binding);
  const classes = [...new Set((config.durable_objects?.bindings ?? []).map((b) => b.class_name))];
  const entry = [
    `import handler, * as main from ${main};`,
    `import { withLocalDispatchNamespace, withLocalDispatchNamespaceObjects } from ${JSON.stringify(shim)};`,
    `export * from ${main};`,
    `export default withLocalDispatchNamespace(handler, ${binding});`,
    // Its Durable Object classes (RateLimitCounter, WebhookClock) see the namespace too; these
    // exports take the place of the plain ones `export *` would give.
    ...(classes.length === 0
      ? []
      : [
          `export const { ${classes.join(", ")} } = withLocalDispatchNamespaceObjects(` +
            `{ ${classes.map((c) => `${c}: main.${c}`).join(", ")} }, ${binding});`,
        ]),
  ].join("\n");
  const result = await build({
    ...WORKER_BUILD_OPTIONS,
    stdin: { contents: entry, resolveDir: dir, loader: "ts", sourcefile: "local-dispatcher-entry.ts" },
  });
  return {
    code: result.outputFiles[0]!.text,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags ?? [],
    vars: { ...(config.vars ?? {}), ...varOverrides },
    routesBinding: routes.binding,
    namespace: namespace.namespace,
  };
}
