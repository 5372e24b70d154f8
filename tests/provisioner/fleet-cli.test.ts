/**
 * The fleet CLI's own behaviour, before any API call: the command list, per-command --help with
 * defaults, "did you mean" for a mistyped command or flag, and a command's checks of its flags
 * answered with exit 2 and what to fix.
 */
import { describe, expect, it } from "vitest";
import { FLEET_EXIT, runFleetCli } from "../../provisioner/src/fleet/fleet-cli.ts";
import type { FleetCommand } from "../../provisioner/src/fleet/fleet-command.ts";
import { nearest } from "../../provisioner/src/fleet/nearest.ts";

const probe: FleetCommand = {
  name: "rollout",
  summary: "roll the template out",
  usage: "Usage: npm run fleet -- rollout [--wave <n>] (default 50)",
  options: { wave: { type: "string" } },
  validate: (values) => (values.wave === "0" ? ["--wave must be 1 or more, got 0"] : []),
  run: async () => {
    throw new Error("not reached: every case here stops before the API");
  },
};
const commands = [probe, { ...probe, name: "status", summary: "who runs what" }];

async function fleet(args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runFleetCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }, commands);
  return { code, stdout, stderr };
}

describe("npm run fleet", () => {
  it("lists every command for --help (exit 0) and for no command (exit 2)", async () => {
    const help = await fleet(["--help"]);
    expect(help.code).toBe(FLEET_EXIT.ok);
    expect(help.stdout).toMatch(/^ {2}rollout {2}roll the template out$/m);
    expect(help.stdout).toMatch(/^ {2}status {3}who runs what$/m);
    expect((await fleet([])).code).toBe(FLEET_EXIT.usage);
  });

  it("shows one command's usage with its defaults", async () => {
    const help = await fleet(["rollout", "--help"]);
    expect(help.code).toBe(FLEET_EXIT.ok);
    expect(help.stdout).toContain("(default 50)");
  });

  it("suggests the nearest command or flag, and lists the commands", async () => {
    const command = await fleet(["rolout"]);
    expect(command.code).toBe(FLEET_EXIT.usage);
    expect(command.stderr).toContain("Unknown command 'rolout': did you mean 'rollout'?");
    expect(command.stderr).toContain("  status");
    const flag = await fleet(["rollout", "--wav", "3"]);
    expect(flag.code).toBe(FLEET_EXIT.usage);
    expect(flag.stderr).toContain("Did you mean '--wave'?");
  });

  it("refuses bad flag values before connecting, saying what to fix", async () => {
    const bad = await fleet(["rollout", "--wave", "0"]);
    expect(bad.code).toBe(FLEET_EXIT.usage);
    expect(bad.stderr).toContain("--wave must be 1 or more, got 0");
  });

  it("nearest: a slip is matched, another word is not", () => {
    expect(nearest("stauts", ["rollout", "status"])).toBe("status");
    expect(nearest("deploy", ["rollout", "status"])).toBeUndefined();
  });
});
