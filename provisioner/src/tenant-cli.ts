/**
 * The tenant CLI (`npm run tenant -- <command>`), as a function of argv and output streams so
 * tests can run it in-process. scripts/tenant.ts is a thin wrapper around {@link runTenantCli}.
 * Each command is a file of its own under tenant-commands/; this file parses the command line,
 * answers `--help` (the command list, a group's commands, or one command's usage with its
 * defaults), suggests the nearest command or flag for a mistyped one, and turns a command's
 * errors into an exit code and a message (or one JSON object with --json).
 *
 * Exit codes: 0 ok, 1 API/system failure (safe to re-run), 2 bad usage or input,
 * 3 conflict (e.g. a hostname owned by another tenant), 4 tenant not found.
 */
import { parseArgs } from "node:util";
import { connectTarget } from "./connect-target.ts";
import { readTargetSettings } from "./config.ts";
import { ConfigError, InputError, StateConflictError, TenantNotFoundError, unreachableApiHint } from "./errors.ts";
import { nearest } from "./fleet/nearest.ts";
import { formatProgress, type ProgressEvent } from "./progress.ts";
import { type CliIo, EXIT, type TenantCommand, UsageError } from "./tenant-commands/tenant-command.ts";
import { TENANT_COMMANDS } from "./tenant-commands/tenant-commands.ts";

export { EXIT, type CliIo } from "./tenant-commands/tenant-command.ts";

/** Commands of two words: a group and a word (`keys create`, `domains add`). */
const GROUPS = [...new Set(TENANT_COMMANDS.filter((c) => c.name.includes(" ")).map((c) => c.name.split(" ")[0]!))];

const COMMON_OPTIONS = {
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

function commandList(commands: readonly TenantCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n");
}

const USAGE = `Usage: npm run tenant -- <command> [options]

Commands:
${commandList(TENANT_COMMANDS)}

'npm run tenant -- <command> --help' shows a command's options and their defaults.

Registries: a tenant owns one or more; <id> is the tenant id for its default registry, or
<tenant>:<registry> (acme:staging) for another ('registry create|list|delete').

Options:
  --json      Print exactly one JSON object on stdout (progress goes to stderr).
  -h, --help  Show this help.

Target:
  No CLOUDFLARE_API_TOKEN: the local platform (npm start) at CLOUDFLARE_API_BASE_URL,
  default http://127.0.0.1:8788/client/v4.
  CLOUDFLARE_API_TOKEN set: Cloudflare; also needs CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_ZONE_ID.
  WFP_DISPATCH_NAMESPACE (default tenants), WFP_ROUTES_KV_ID (default: the KV namespace titled
  wfp-routes), WFP_CNAME_TARGET, WFP_KV_NAMESPACE_LIMIT (default 1000, Cloudflare's; set it if
  Cloudflare raised the account's), WFP_API_MAX_ATTEMPTS (default 5), WFP_API_RATE_LIMIT
  (default 1000/300: requests per seconds; Cloudflare allows 1,200 per 5 minutes per user, counting
  the dashboard and every other process, so the default leaves room for them).

Exit codes: 0 ok, 1 API or system failure (safe to re-run), 2 bad usage or input,
  3 conflict (e.g. hostname owned by another tenant), 4 tenant or registry not found.`;

/** Every command by name, for "use one of ...". */
const EVERY_COMMAND = TENANT_COMMANDS.map((c) => c.name).join(", ");

/**
 * Run the CLI. Returns the exit code; never calls process.exit.
 *
 * @example
 *   const code = await runTenantCli(["create", "acme", "--domain", "registry.acme.localhost"], {
 *     stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t),
 *   });
 */
export async function runTenantCli(argv: readonly string[], io: CliIo): Promise<number> {
  const wantsJson = argv.includes("--json");
  let command: TenantCommand | undefined;
  const progress: ProgressEvent[] = [];
  try {
    const found = findCommand(argv, io);
    if (typeof found === "number") return found;
    command = found.command;
    const rest = found.rest;
    const values = parseCommandOptions(command, rest);
    if (values.values.help === true) {
      io.stdout(`${command.usage}\n`);
      return EXIT.ok;
    }
    return await command.run(runOf(values, rest, io, progress));
  } catch (error) {
    const code = exitCodeOf(error);
    const message = errorMessage(error, command?.name);
    if (wantsJson) {
      io.stdout(
        `${JSON.stringify(
          {
            ok: false,
            ...(command ? { command: command.name } : {}),
            error: {
              type: error instanceof Error ? error.name : "Error",
              message,
              exitCode: code,
              safeToRerun: code === EXIT.failure,
              ...(error instanceof InputError ? { problems: error.problems } : {}),
            },
            steps: progress.filter((e) => e.phase !== "start"),
          },
          null,
          2,
        )}\n`,
      );
    } else {
      io.stderr(`\n${message.startsWith("Error ") ? message : `Error: ${message}`}\n`);
      if (code === EXIT.usage && !(error instanceof ConfigError)) {
        const help = command ? `${command.name} --help` : "--help";
        io.stderr(`Run 'npm run tenant -- ${help}' for usage.\n`);
      }
    }
    return code;
  }
}

/**
 * The command argv names and the arguments after its name; or an exit code when the line was only
 * a request for help (printed here).
 */
function findCommand(argv: readonly string[], io: CliIo): { command: TenantCommand; rest: string[] } | number {
  const first = argv[0];
  if (first === undefined || first.startsWith("-")) {
    if (argv.includes("--help") || argv.includes("-h")) {
      io.stdout(`${USAGE}\n`);
      return EXIT.ok;
    }
    throw new UsageError(`give a command: ${EVERY_COMMAND}`);
  }
  if (GROUPS.includes(first)) {
    const inGroup = TENANT_COMMANDS.filter((c) => c.name.startsWith(`${first} `));
    const words = inGroup.map((c) => c.name.slice(first.length + 1));
    const second = argv[1];
    if (second === undefined || second.startsWith("-")) {
      if (second === "--help" || second === "-h") {
        io.stdout(
          `Usage: npm run tenant -- ${first} <${words.join("|")}> ...\n\n${commandList(inGroup)}\n\n` +
            `'npm run tenant -- ${first} <command> --help' shows a command's options and their defaults.\n`,
        );
        return EXIT.ok;
      }
      throw new UsageError(`${first} needs one of ${words.join(", ")}`);
    }
    const command = inGroup.find((c) => c.name === `${first} ${second}`);
    if (command === undefined) {
      const guess = nearest(second, words);
      throw new UsageError(
        `${first} needs one of ${words.join(", ")} (got '${second}')` +
          (guess ? `: did you mean '${first} ${guess}'?` : ""),
      );
    }
    return { command, rest: argv.slice(2) };
  }
  const command = TENANT_COMMANDS.find((c) => c.name === first);
  if (command === undefined) {
    const guess = nearest(first, [...TENANT_COMMANDS.map((c) => c.name), ...GROUPS]);
    throw new UsageError(
      `unknown command '${first}'${guess ? ` (did you mean '${guess}'?)` : ""}: use one of ${EVERY_COMMAND}`,
    );
  }
  return { command, rest: argv.slice(1) };
}

/** Every flag some command takes: a flag of another command is "does not take", not unknown. */
const ALL_OPTIONS = Object.assign({}, ...TENANT_COMMANDS.map((c) => c.options), COMMON_OPTIONS) as Record<
  string,
  { type: "string" | "boolean"; multiple?: boolean; short?: string }
>;

/** The command's flags and positionals; a {@link UsageError} saying what to fix when they do not parse. */
function parseCommandOptions(command: TenantCommand, rest: readonly string[]) {
  const own = [...Object.keys(command.options), ...Object.keys(COMMON_OPTIONS)];
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof ALL_OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...rest], options: ALL_OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs explains unknown options and missing values well; keep its words, add a guess.
    const flag = /'(--?[\w-]+)'/.exec((error as Error).message)?.[1];
    const guess =
      flag === undefined
        ? undefined
        : nearest(
            flag,
            own.map((o) => `--${o}`),
          );
    throw new UsageError(`${(error as Error).message}${guess ? ` Did you mean '${guess}'?` : ""}`);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values.help === true) return { values, positionals: parsed.positionals };
  const misplaced = Object.keys(values).filter((k) => !own.includes(k));
  if (misplaced.length > 0) {
    const guesses = misplaced.map((k) => nearest(k, Object.keys(command.options))).filter((g) => g !== undefined);
    throw new UsageError(
      `${command.name} does not take ${misplaced.map((k) => `--${k}`).join(", ")}` +
        (guesses.length > 0 ? ` (did you mean ${guesses.map((g) => `--${g}`).join(", ")}?)` : ""),
    );
  }
  const needed = command.args;
  if (parsed.positionals.length < needed.length) {
    const missing = needed[parsed.positionals.length]!;
    const shape = needed.map((a) => `<${a}>`).join(" ");
    throw new UsageError(
      missing === "id"
        ? `${command.name} needs a tenant id: npm run tenant -- ${command.name} ${shape}`
        : `${command.name} needs <${missing}>: npm run tenant -- ${command.name} ${shape}`,
    );
  }
  // create says more itself (hostnames are given with --domain).
  if (parsed.positionals.length > needed.length && command.name !== "create") {
    const extra = parsed.positionals.slice(needed.length);
    throw new UsageError(
      needed.length === 0
        ? `${command.name} takes no arguments (got '${extra.join(" ")}')`
        : `unexpected argument(s) after ${needed.map((a) => `<${a}>`).join(" ")}: ${extra.join(" ")}`,
    );
  }
  return { values, positionals: parsed.positionals };
}

function runOf(
  parsed: { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] },
  rest: readonly string[],
  io: CliIo,
  progress: ProgressEvent[],
) {
  const json = parsed.values.json === true;
  const out = json ? io.stderr : io.stdout;
  return {
    values: parsed.values,
    args: parsed.positionals,
    argv: rest,
    io,
    json,
    progress,
    out,
    onProgress: (event: ProgressEvent): void => {
      progress.push(event);
      const line = formatProgress(event);
      if (line) out(`${line}\n`);
    },
    connect: () => connectTarget(readTargetSettings(io.env ?? process.env), io),
  };
}

function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError || error instanceof InputError || error instanceof ConfigError) return EXIT.usage;
  if (error instanceof StateConflictError) return EXIT.conflict;
  if (error instanceof TenantNotFoundError) return EXIT.notFound;
  return EXIT.failure;
}

function errorMessage(error: unknown, command: string | undefined): string {
  const message = error instanceof Error ? error.message : String(error);
  if (exitCodeOf(error) !== EXIT.failure) return message;
  const what = command ?? "the command";
  const hint =
    command === "show" || command === "list" || command === undefined
      ? `it is safe to run the command again.`
      : `${what} did not finish, and nothing is left half-done that a re-run cannot fix: ` +
        `run the same command again (it is safe to re-run).`;
  return `${message}\n${hint}${unreachableApiHint(error)}`;
}
