/**
 * The local platform as `npm start` gives it: started, then made ready by `platform init` through
 * its own Cloudflare-compatible API (the same code an operator runs against Cloudflare), so the
 * dispatch namespace, routing store, dispatcher and routes exist. Tests and benchmarks start it
 * this way; only a test of an uninitialised platform calls startLocalPlatform itself.
 */
import { type LocalPlatform, type LocalPlatformOptions, startLocalPlatform } from "../../infra/local-platform/index.ts";
import { readTargetSettings } from "../../provisioner/src/config.ts";
import { type InitOptions, type InitReport, initPlatformAt } from "../../provisioner/src/platform-init.ts";
import type { ProgressListener } from "../../provisioner/src/progress.ts";

export interface InitialisedPlatform extends LocalPlatform {
  /** What `platform init` did at this start. */
  readonly init: InitReport;
}

/**
 * Start the local platform and run `platform init` on it; closes it again when init fails.
 *
 * @example
 *   const platform = await startInitialisedPlatform({ port: 0, apiPort: 0, stateDir });
 *   platform.routesNamespaceId // the routing store init made
 */
export async function startInitialisedPlatform(
  options: LocalPlatformOptions = {},
  init: { options?: InitOptions; onProgress?: ProgressListener } = {},
): Promise<InitialisedPlatform> {
  const platform = await startLocalPlatform(options);
  try {
    const report = await initPlatformAt(
      readTargetSettings({ CLOUDFLARE_API_BASE_URL: platform.apiUrl }),
      init.options,
      init.onProgress,
    );
    return Object.defineProperty(platform, "init", { value: report, enumerable: true }) as InitialisedPlatform;
  } catch (error) {
    await platform.close();
    throw error;
  }
}
