/**
 * What every `npm run tenant` command is: its name (one word, or a group and a word: `keys create`),
 * its usage (shown by `--help`, defaults included), its flags for `parseArgs`, the arguments it
 * takes, and what it does. One file per command, named after its export; tenant-cli.ts parses the
 * command line, answers --help and "did you mean", and turns errors into exit codes and output.
 */
import type { ParseArgsConfig } from "node:util";
import type { ConnectIo } from "../connect-target.ts";
import type { Target } from "../config.ts";
import type { ProgressEvent, ProgressListener } from "../progress.ts";

/** 0 ok, 1 API/system failure (safe to re-run), 2 bad usage or input, 3 conflict, 4 no such tenant. */
export const EXIT = { ok: 0, failure: 1, usage: 2, conflict: 3, notFound: 4 } as const;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env?: Readonly<Record<string, string | undefined>>;
  /** Hooks for tests: reuse a resolved target instead of building one from the environment. */
  resolveTarget?: ConnectIo["resolveTarget"];
  /** Whether a question can be answered (stdin is a terminal); default: process.stdin.isTTY. */
  interactive?: boolean;
  /** Asks a question and resolves with the answer; default: a line read from the terminal. */
  ask?: (question: string) => Promise<string>;
}

/** Bad usage: exit 2, before any API call. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** What a command gets once its command line parsed. */
export interface TenantCommandRun {
  values: Record<string, string | boolean | string[] | undefined>;
  /** The positional arguments after the command's name. */
  args: string[];
  /** The command line after the command's name, as given. */
  argv: readonly string[];
  io: CliIo;
  json: boolean;
  /** Prints each finished step (to stderr with --json) and keeps it for a failure's JSON. */
  onProgress: ProgressListener;
  progress: ProgressEvent[];
  /** Where `--json` sends human lines: stderr, else stdout. */
  out: (text: string) => void;
  /** The account the environment names (the local platform without CLOUDFLARE_API_TOKEN). */
  connect: () => Promise<Target>;
}

export interface TenantCommand {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The whole `--help` text, defaults included. */
  usage: string;
  options: NonNullable<ParseArgsConfig["options"]>;
  /** Names of the positional arguments, in order (`<id>`, `<host>`); each is required. */
  args: readonly string[];
  run: (run: TenantCommandRun) => Promise<number>;
}

/**
 * The target as the summary line says it.
 *
 * @example
 *   where(target) // "the local platform (http://127.0.0.1:8788/client/v4)"
 */
export function where(target: Target): string {
  return target.kind === "local" ? `the local platform (${target.baseURL})` : `Cloudflare account ${target.accountId}`;
}

/**
 * One JSON object on stdout, as every command's `--json` prints it.
 *
 * @example
 *   printJson(io, { ok: true, command: "suspend", id: "acme" });
 */
export function printJson(io: CliIo, value: object): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

/** The usage footer every command's --help ends with. */
export const COMMON_HELP = `  --json      Print exactly one JSON object on stdout (progress goes to stderr).
  -h, --help  Show this help.

Exit codes: 0 done, 1 API or system failure (safe to re-run), 2 bad usage or input, 3 conflict,
  4 no such tenant or registry.`;
