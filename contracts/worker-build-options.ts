/**
 * How every Worker of this repository is bundled (the tenant template by the provisioner, the
 * dispatcher by the local platform, test Workers by the suites): one definition, so a Worker built
 * for a test is built the way production builds it.
 */
import { builtinModules } from "node:module";
import type { BuildOptions } from "esbuild";

/**
 * esbuild options for a Worker bundle: one ES module, the conditions wrangler uses so packages
 * pick their Workers builds, `cloudflare:*` and `node:*` left to the runtime.
 *
 * @example
 *   await build({ ...WORKER_BUILD_OPTIONS, entryPoints: ["dispatcher/src/index.ts"] });
 */
export const WORKER_BUILD_OPTIONS = {
  bundle: true,
  write: false,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  conditions: ["workerd", "worker", "browser"],
  mainFields: ["module", "main"],
  external: ["cloudflare:*", "node:*", ...builtinModules],
  legalComments: "none",
  logLevel: "silent",
  sourcemap: false,
  metafile: false,
} as const satisfies BuildOptions;
