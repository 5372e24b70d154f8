/**
 * `npm run fleet -- <command>`: operations on every tenant at once (provisioner/src/fleet/).
 */
import { runFleetCli } from "../provisioner/src/fleet/fleet-cli.ts";
import { FLEET_COMMANDS } from "../provisioner/src/fleet/fleet-commands.ts";

process.exitCode = await runFleetCli(
  process.argv.slice(2),
  { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) },
  FLEET_COMMANDS,
);
