/**
 * `npm run platform -- <command>`: once-per-account commands (provisioner/src/platform-cli.ts).
 */
import { runPlatformCli } from "../provisioner/src/platform-cli.ts";

process.exitCode = await runPlatformCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
