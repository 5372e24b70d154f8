/**
 * The CLI's argument and input handling. Every case here must be refused before any API call:
 * the API is a counting server that would answer anything.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT, runTenantCli } from "../../provisioner/src/tenant-cli.ts";
import { TENANT_COMMANDS } from "../../provisioner/src/tenant-commands/tenant-commands.ts";

let server: Server;
let requests = 0;
let apiUrl: string;

beforeAll(async () => {
  server = createServer((_req, res) => {
    requests++;
    res.writeHead(500, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        success: false,
        errors: [{ code: 1, message: "should not be called" }],
        messages: [],
        result: null,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function run(args: string[], env: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const before = requests;
  const code = await runTenantCli(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: { CLOUDFLARE_API_BASE_URL: apiUrl, WFP_API_MAX_ATTEMPTS: "1", ...env },
  });
  return { code, stdout, stderr, apiCalls: requests - before };
}

describe("tenant CLI: refused before any API call", () => {
  it.each([
    [[], /give a command: create, show, list, delete, keys/],
    [["frobnicate"], /unknown command 'frobnicate': use one of create, show, list, delete, keys/],
    [["create"], /create needs a tenant id/],
    [["create", "acme"], /give at least one --domain/],
    [
      ["create", "acme", "registry.acme.localhost"],
      /unexpected argument\(s\) after the tenant id: registry\.acme\.localhost \(give each hostname with --domain\)/,
    ],
    [["create", "acme", "--domian", "x.localhost"], /Unknown option '--domian'/],
    [["create", "acme", "--domain"], /--domain/],
    [["create", "Acme", "--domain", "a.acme.localhost"], /tenant id must be 3-32 characters/],
    [["create", "acme", "--domain", "https://a.acme.com"], /remove the scheme: give 'a\.acme\.com'/],
    [
      ["create", "acme", "--domain", "a.acme.localhost", "--residency", "moon"],
      /residency must be one of: eu, uk, global/,
    ],
    [["create", "acme", "--domain", "a.acme.localhost", "--plan", "gold"], /plan must be one of: free, standard, pro/],
    [["show"], /show needs a tenant id/],
    [["show", "acme", "--domain", "x.localhost"], /show does not take --domain/],
    [["delete", "bad_id"], /tenant id must be/],
    [["list", "acme"], /list takes no arguments/],
    [
      ["create", "acme", "--domain", "a.acme.localhost", "--cors-origin", "https://app.acme.com/login"],
      /CORS origin 'https:\/\/app\.acme\.com\/login' remove the path: give 'https:\/\/app\.acme\.com'/,
    ],
    [
      ["create", "acme", "--domain", "a.acme.localhost", "--cors-origin", "https://app.acme.com?x=1"],
      /remove the path: give 'https:\/\/app\.acme\.com'/,
    ],
    [["create", "acme", "--domain", "a.acme.localhost", "--cors-origin", "*"], /'\*' is not allowed/],
    [
      ["create", "acme", "--domain", "a.acme.localhost", "--cors-origin", "app.acme.com"],
      /must start with https:\/\/ or http:\/\//,
    ],
    [
      ["create", "acme", "--domain", "a.acme.localhost", "--cors-origin", "https://*.acme.com"],
      /wildcards are not allowed/,
    ],
    [
      ["create", "acme", "--domain", "a.acme.localhost", "--cors-origin", "https://user:pw@app.acme.com"],
      /must not contain a user name or password/,
    ],
    [
      ["create", "acme", "--domain", "a.acme.localhost", "--rate-limit", "fast"],
      /rate limit must be a number of requests per minute/,
    ],
    [["create", "acme", "--domain", "a.acme.localhost", "--rate-limit", "0/min"], /rate limit must be at least 1\/min/],
    [["show", "acme", "--cors-origin", "https://app.acme.com"], /show does not take --cors-origin/],
  ])("%j", async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe("");
    expect(result.apiCalls).toBe(0);
  });

  it("says which variables Cloudflare needs when a token is set", async () => {
    const result = await run(["list"], { CLOUDFLARE_API_TOKEN: "t" });
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toMatch(/needs CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_ZONE_ID/);
    expect(result.apiCalls).toBe(0);
  });

  it("refuses *.localhost hostnames when the target is Cloudflare", async () => {
    const result = await run(["create", "acme", "--domain", "registry.acme.localhost"], {
      CLOUDFLARE_API_TOKEN: "t",
      CLOUDFLARE_ACCOUNT_ID: "a",
      CLOUDFLARE_ZONE_ID: "z",
    });
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toMatch(/'registry\.acme\.localhost' only resolves on this machine/);
    expect(result.apiCalls).toBe(0);
  });

  it("with --json prints exactly one JSON object listing every problem", async () => {
    const result = await run(["create", "Acme", "--domain", "*.acme.com", "--residency", "moon", "--json"]);
    expect(result.code).toBe(EXIT.usage);
    const body = JSON.parse(result.stdout) as {
      ok: boolean;
      error: { exitCode: number; safeToRerun: boolean; problems: string[] };
    };
    expect(body.ok).toBe(false);
    expect(body.error.exitCode).toBe(2);
    expect(body.error.safeToRerun).toBe(false);
    expect(body.error.problems).toHaveLength(3);
    expect(result.apiCalls).toBe(0);
  });

  it("prints help and exits 0", async () => {
    const result = await run(["--help"]);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain("Usage: npm run tenant -- <command> [options]");
    expect(result.stdout).toContain("Exit codes: 0 ok, 1 API or system failure (safe to re-run), 2 bad usage or input");
    expect(result.apiCalls).toBe(0);
  });
});

describe("tenant CLI: API failures", () => {
  it("exits 1 and says the command is safe to re-run", async () => {
    const result = await run(["list"]);
    expect(result.code).toBe(EXIT.failure);
    expect(result.stderr).toMatch(/Error 500 listing accounts at '.*': should not be called \[code 1\]/);
    expect(result.stderr).toMatch(/safe to run the command again/);
  });
});

describe("tenant CLI: help and 'did you mean' (no API call)", () => {
  it.each(TENANT_COMMANDS.map((c) => [c.name, c]))("%s --help exits 0 with its usage and defaults", async (name, c) => {
    const result = await run([...name.split(" "), "--help"]);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain(`Usage: npm run tenant -- ${name}`);
    if (Object.keys(c.options).length > 0) expect(result.stdout).toMatch(/default/i);
    expect(result.apiCalls).toBe(0);
  });

  it("answers keys --help and domains --help with the group's commands", async () => {
    for (const group of ["keys", "domains"]) {
      const result = await run([group, "--help"]);
      expect(result.code).toBe(EXIT.ok);
      for (const c of TENANT_COMMANDS.filter((c) => c.name.startsWith(`${group} `))) {
        expect(result.stdout).toContain(c.name);
      }
    }
  });

  it.each([
    [["suspnd", "acme"], /did you mean 'suspend'\?/],
    [["domains", "ad", "acme", "x.localhost"], /did you mean 'domains add'\?/],
    [["keys", "rotate-admn", "acme"], /did you mean 'keys rotate-admin'\?/],
    [["delete", "acme", "--yess"], /Did you mean '--yes'\?/],
    [["update", "acme", "--rate-limt", "5/min"], /Did you mean '--rate-limit'\?/],
    [["suspend", "acme", "--domain", "x.localhost"], /suspend does not take --domain/],
    [["update", "acme"], /give at least one change/],
    [["update", "acme", "--plan", "gold"], /plan must be one of/],
    [["domains", "add", "acme"], /domains add needs <host>/],
    [["domains", "add", "acme", "https://x.com"], /remove the scheme/],
    [["delete", "acme"], /add --yes/],
  ])("%j", async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toMatch(message);
    expect(result.apiCalls).toBe(0);
  });

  it("names every command when the command is unknown", async () => {
    const result = await run(["frobnicate"]);
    for (const c of TENANT_COMMANDS) expect(result.stderr).toContain(c.name);
  });
});
