/**
 * `npm run fleet -- <command>`: operations on every tenant at once. This file parses the command
 * line, answers `--help` (the command list, or one command's usage with its defaults), suggests the
 * nearest command or flag for a mistyped one, connects to the account and runs the command.
 */
import { parseArgs } from "node:util";
import { readTargetSettings } from "../config.ts";
import { connectTarget } from "../connect-target.ts";
import { ConfigError, unreachableApiHint } from "../errors.ts";
import { FLEET_EXIT, type FleetCommand, type FleetIo } from "./fleet-command.ts";
import { nearest } from "./nearest.ts";

export { FLEET_EXIT } from "./fleet-command.ts";

const COMMON_OPTIONS = {
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

function commandList(commands: readonly FleetCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "Usage: npm run fleet -- <command> [flags] [--json]",
    "",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "npm run fleet -- <command> --help shows a command's flags and defaults.",
    "Target: the same variables as npm run tenant (no CLOUDFLARE_API_TOKEN: the local platform).",
    "Exit codes: 0 done, 1 a failure or drift, 2 bad usage, 3 refused (another rollout, a migration rule).",
  ].join("\n");
}

/**
 * Run one fleet command line; resolves with the exit code.
 *
 * @example
 *   process.exitCode = await runFleetCli(process.argv.slice(2), { stdout, stderr }, FLEET_COMMANDS);
 */
export async function runFleetCli(
  argv: readonly string[],
  io: FleetIo,
  commands: readonly FleetCommand[],
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.stderr : io.stdout)(`${commandList(commands)}\n`);
    return name === undefined ? FLEET_EXIT.usage : FLEET_EXIT.ok;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    const guess = nearest(
      name,
      commands.map((c) => c.name),
    );
    io.stderr(`Unknown command '${name}'${guess ? `: did you mean '${guess}'?` : "."}\n\n${commandList(commands)}\n`);
    return FLEET_EXIT.usage;
  }
  const options = { ...command.options, ...COMMON_OPTIONS };
  let parsed: { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  } catch (error) {
    const flag = /'(--?[\w-]+)'/.exec((error as Error).message)?.[1];
    const known = Object.keys(options).map((o) => `--${o}`);
    const guess = flag === undefined ? undefined : nearest(flag, known);
    io.stderr(`${(error as Error).message}${guess ? ` Did you mean '${guess}'?` : ""}\n\n${command.usage}\n`);
    return FLEET_EXIT.usage;
  }
  if (parsed.values.help === true) {
    io.stdout(`${command.usage}\n`);
    return FLEET_EXIT.ok;
  }
  const problems = command.validate?.(parsed.values, parsed.positionals) ?? [];
  if (problems.length > 0) {
    io.stderr(`${problems.map((p) => `${p}\n`).join("")}\n${command.usage}\n`);
    return FLEET_EXIT.usage;
  }
  try {
    const target = await connectTarget(readTargetSettings(io.env ?? process.env), io);
    return await command.run({ ...parsed, target, io, json: parsed.values.json === true });
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`${error.message}\n`);
      return FLEET_EXIT.usage;
    }
    io.stderr(`fleet ${name} failed: ${(error as Error).message}${unreachableApiHint(error)}\n`);
    return FLEET_EXIT.failure;
  }
}
