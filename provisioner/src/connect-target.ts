/** Connecting a CLI run to its account (Cloudflare or the local platform), the same way for every command. */
import { createCloudflareClient, type RetryEvent } from "./cloudflare-client.ts";
import { resolveTarget, type Target, type TargetSettings } from "./config.ts";
import { TokenBucket } from "./token-bucket.ts";

/** What connecting needs of a CLI's input and output. */
export interface ConnectIo {
  stderr: (text: string) => void;
  /** Hooks for tests: reuse a resolved target instead of building one from the environment. */
  resolveTarget?: (settings: TargetSettings, onRetry: (e: RetryEvent) => void) => Promise<Target>;
}

/**
 * The account this CLI run acts on: one client with the one rate limiter for everything the
 * process sends, printing each retry to stderr so a slow run says why.
 *
 * @example
 *   const target = await connectTarget(readTargetSettings(process.env), io);
 */
export async function connectTarget(settings: TargetSettings, io: ConnectIo): Promise<Target> {
  const onRetry = (e: RetryEvent): void => {
    io.stderr(
      `  … ${e.method} ${new URL(e.url).pathname}: ${e.reason}, ` +
        `retrying in ${(e.delayMs / 1000).toFixed(1)}s (attempt ${e.attempt + 1} of ${e.maxAttempts})\n`,
    );
  };
  if (io.resolveTarget) return io.resolveTarget(settings, onRetry);
  const client = createCloudflareClient({
    baseURL: settings.baseURL,
    apiToken: settings.apiToken,
    retry: settings.retry,
    rateLimiter: new TokenBucket(settings.rateLimit),
    onRetry,
  });
  return resolveTarget(client, settings);
}
