/**
 * What every `npm run fleet` command is: its name, its usage (shown by `--help`, with defaults),
 * its flags for `parseArgs`, and what it does once the target is connected. One file per command
 * (fleet-rollout.ts, fleet-status.ts, fleet-doctor.ts ...); fleet-cli.ts only dispatches.
 */
import type { ParseArgsConfig } from "node:util";
import type { Target } from "../config.ts";

/** 0 done and nothing wrong; 1 something failed or drifted; 2 bad usage; 3 refused (a lease, a rule). */
export const FLEET_EXIT = { ok: 0, failure: 1, usage: 2, refused: 3 } as const;

export interface FleetIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env?: Readonly<Record<string, string | undefined>>;
  /** Whether stdin is a terminal (a prompt can be answered); default: process.stdin.isTTY. */
  interactive?: boolean;
}

/** What a command gets: its parsed flags, the connected account, and where to write. */
export interface FleetRun {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  target: Target;
  io: FleetIo;
  json: boolean;
}

export interface FleetCommand {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The whole `--help` text, defaults included. */
  usage: string;
  options: NonNullable<ParseArgsConfig["options"]>;
  /**
   * Checks the flags before any API call; returns the problems (each says what to fix), empty when
   * they are fine.
   */
  validate?: (values: FleetRun["values"], positionals: string[]) => string[];
  run: (run: FleetRun) => Promise<number>;
}
