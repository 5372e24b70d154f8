/**
 * Bundles the local platform's read-replica Worker (worker-shims/d1-read-replica.ts) into one
 * module for workerd, the way the dispatcher is bundled.
 */
import { build } from "esbuild";
import { join } from "node:path";
import { WORKER_BUILD_OPTIONS } from "../../contracts/worker-build-options.ts";

/** @example const code = await buildD1ReplicaWorker("/repo") */
export async function buildD1ReplicaWorker(repoRoot: string): Promise<string> {
  const result = await build({
    ...WORKER_BUILD_OPTIONS,
    entryPoints: [join(repoRoot, "infra/local-platform/worker-shims/d1-read-replica.ts")],
  });
  return result.outputFiles[0]!.text;
}
