/**
 * `npm run tenant -- <command>`: create, show, list and delete tenants.
 * All logic lives in provisioner/src/tenant-cli.ts; this file only wires it to the process.
 */
import { runTenantCli } from "../provisioner/src/tenant-cli.ts";

const code = await runTenantCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
// Let stdout drain before exiting (a JSON result piped into another program must arrive whole).
process.exitCode = code;
