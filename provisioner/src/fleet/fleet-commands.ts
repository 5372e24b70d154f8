/**
 * Every `npm run fleet` command, in the order `--help` lists them. A new command is a file of its
 * own (see fleet-command.ts) and one line here.
 */
import type { FleetCommand } from "./fleet-command.ts";
import { fleetDoctor } from "./fleet-doctor.ts";
import { fleetRollback } from "./fleet-rollback.ts";
import { fleetRollout } from "./fleet-rollout.ts";
import { fleetStatus } from "./fleet-status.ts";
import { fleetUsage } from "./fleet-usage.ts";

export const FLEET_COMMANDS: readonly FleetCommand[] = [
  fleetStatus,
  fleetRollout,
  fleetRollback,
  fleetDoctor,
  fleetUsage,
];
