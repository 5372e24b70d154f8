/**
 * `npm run platform -- <command>`: what an operator runs once per account and zone. Today:
 * `check`, which says what the account or the token lacks before anything is created.
 */
import { parseArgs } from "node:util";
import { RESIDENCIES, type Residency } from "../../contracts/tenant-record.ts";
import { createCloudflareClient } from "./cloudflare-client.ts";
import { readTargetSettings } from "./config.ts";
import { ConfigError } from "./errors.ts";
import { checkPlatform, formatCheck } from "./platform-check.ts";
import { TokenBucket } from "./token-bucket.ts";

/** 0 ready, 1 something missing (or the API failed), 2 bad input. */
export const PLATFORM_EXIT = { ready: 0, notReady: 1, usage: 2 } as const;

export interface PlatformCliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env?: Readonly<Record<string, string | undefined>>;
}

const USAGE = `Usage: npm run platform -- check [--residency eu,uk,global] [--json]

  check   what the account, the zone or the token lacks for the platform, one line each with
          how to fix it; changes nothing. --residency: the residencies you will onboard
          (default all three; eu and uk need Regional Services).

Target: the same variables as npm run tenant (no CLOUDFLARE_API_TOKEN: the local platform).
Exit codes: 0 ready, 1 something is missing (or the API could not be reached), 2 bad usage.`;

const OPTIONS = {
  json: { type: "boolean", default: false },
  residency: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

export async function runPlatformCli(argv: readonly string[], io: PlatformCliIo): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; allowPositionals: true; strict: true; options: typeof OPTIONS }>
  >;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: OPTIONS,
    });
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${USAGE}\n`);
    return PLATFORM_EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return PLATFORM_EXIT.ready;
  }
  if (positionals.length !== 1 || positionals[0] !== "check") {
    io.stderr(
      `${positionals.length === 0 ? "Give a command" : `Unknown command '${positionals.join(" ")}'`}.\n\n${USAGE}\n`,
    );
    return PLATFORM_EXIT.usage;
  }
  const residencies = (values.residency ?? RESIDENCIES.join(",")).split(",").map((r) => r.trim());
  const unknown = residencies.filter((r) => !(RESIDENCIES as readonly string[]).includes(r));
  if (unknown.length > 0 || residencies.length === 0) {
    io.stderr(`--residency takes eu, uk and global, comma-separated; not '${unknown.join(",")}'\n`);
    return PLATFORM_EXIT.usage;
  }
  try {
    const settings = readTargetSettings(io.env ?? process.env);
    const client = createCloudflareClient({
      baseURL: settings.baseURL,
      apiToken: settings.apiToken,
      retry: settings.retry,
      rateLimiter: new TokenBucket(settings.rateLimit),
    });
    const report = await checkPlatform(client, settings, residencies as Residency[]);
    io.stdout(
      values.json ? `${JSON.stringify({ ok: true, command: "check", ...report }, null, 2)}\n` : formatCheck(report),
    );
    return report.ready ? PLATFORM_EXIT.ready : PLATFORM_EXIT.notReady;
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`${error.message}\n`);
      return PLATFORM_EXIT.usage;
    }
    io.stderr(`platform check failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return PLATFORM_EXIT.notReady;
  }
}
