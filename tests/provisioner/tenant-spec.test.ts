import { describe, expect, it } from "vitest";
import { InputError } from "../../provisioner/src/errors.ts";
import {
  hostnameProblem,
  parseTenantId,
  parseTenantSpec,
  PLANS,
  rateLimitOf,
} from "../../provisioner/src/tenant-spec.ts";

function problemsOf(input: unknown): readonly string[] {
  try {
    parseTenantSpec(input);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).problems;
  }
  throw new Error("expected the spec to be refused");
}

describe("parseTenantSpec", () => {
  it("lower-cases, trims and de-duplicates hostnames, keeping order", () => {
    const spec = parseTenantSpec({
      id: "acme",
      domains: [" Registry.Acme.localhost ", "api.acme.com", "registry.acme.localhost"],
      residency: "eu",
    });
    expect(spec).toEqual({ id: "acme", domains: ["registry.acme.localhost", "api.acme.com"], residency: "eu" });
  });

  it("leaves residency and plan unset so an existing tenant's values can apply", () => {
    expect(parseTenantSpec({ id: "acme", domains: ["a.acme.com"] })).toEqual({ id: "acme", domains: ["a.acme.com"] });
  });

  it("reports every problem at once, each saying what to fix", () => {
    const problems = problemsOf({
      id: "Acme_1",
      domains: ["https://acme.com/x", "*.acme.com", "acme.com:8080"],
      residency: "mars",
    });
    expect(problems).toEqual([
      expect.stringMatching(/^tenant id must be 3-32 characters .* \(e\.g\. 'acme'/),
      "'https://acme.com/x' is not a valid hostname: remove the scheme: give 'acme.com', not 'https://acme.com/x'",
      "'*.acme.com' is not a valid hostname: " +
        "wildcard hostnames are not supported: list each hostname with its own --domain",
      "'acme.com:8080' is not a valid hostname: " +
        "remove the port: give 'acme.com' (tenants are served on the platform's port)",
      "residency must be one of: eu, uk, global",
    ]);
  });

  it("needs at least one domain", () => {
    expect(problemsOf({ id: "acme", domains: [] })).toEqual([expect.stringContaining("give at least one --domain")]);
  });

  it("refuses a location hint outside the global residency", () => {
    expect(problemsOf({ id: "acme", domains: ["a.acme.com"], residency: "eu", locationHint: "weur" })).toEqual([
      expect.stringContaining("a location hint only applies to --residency global"),
    ]);
    expect(
      parseTenantSpec({ id: "acme", domains: ["a.acme.com"], residency: "global", locationHint: "apac" }).locationHint,
    ).toBe("apac");
  });

  it.each([
    ["ab", false],
    ["abc", true],
    ["acme-eu", true],
    ["acme-", false],
    ["1acme", false],
    ["a".repeat(32), true],
    ["a".repeat(33), false],
  ])("tenant id %s valid: %s", (id, valid) => {
    if (valid) expect(parseTenantId(id)).toBe(id);
    else expect(() => parseTenantId(id)).toThrow(InputError);
  });
});

describe("hostnameProblem", () => {
  it.each([
    "registry.acme.localhost",
    "acme.localhost",
    "api.acme.com",
    "xn--bcher-kva.de",
    "a-b.c-d.io",
    `${"a".repeat(63)}.dev`,
    "example.co.uk",
    "notexample.com",
  ])("accepts %s", (hostname) => {
    expect(hostnameProblem(hostname)).toBeUndefined();
  });

  it.each([
    ["", "cannot be empty"],
    ["localhost", "fully qualified"],
    ["acme", "fully qualified"],
    ["127.0.0.1", "IP address"],
    ["acme.com.", "trailing dot"],
    ["acme..com", "empty label"],
    ["-acme.com", "cannot start or end with a hyphen"],
    ["acme_corp.com", "letters, digits and hyphens"],
    ["bücher.example", "xn--bcher-kva.example"],
    ["acme.com/path", "remove the path"],
    [`${"a".repeat(64)}.example`, "longer than 63"],
    ["acme.123", "all digits"],
    // What Cloudflare refuses for custom hostnames (codes 1409 and 1411), said before any call.
    ["registry.acme.test", "'.test' is a reserved top-level domain"],
    ["acme.example", "'.example' is a reserved top-level domain"],
    ["x.invalid", "'.invalid' is a reserved top-level domain"],
    ["registry.example.com", "hostnames under example.com are documentation examples"],
    ["example.org", "hostnames under example.org"],
  ])("refuses %j (%s)", (hostname, fragment) => {
    expect(hostnameProblem(hostname)).toContain(fragment);
  });
});

describe("CORS origins and rate limits in the spec", () => {
  it("normalises origins the way browsers send them and de-duplicates", () => {
    const spec = parseTenantSpec({
      id: "acme",
      domains: ["a.acme.com"],
      corsOrigins: [" HTTPS://App.Acme.com:443 ", "https://app.acme.com", "http://localhost:3000"],
      requestsPerMinute: 120,
    });
    expect(spec.corsOrigins).toEqual(["https://app.acme.com", "http://localhost:3000"]);
    expect(spec.requestsPerMinute).toBe(120);
  });

  it.each([
    ["https://app.acme.com/", /remove the path/],
    ["ftp://app.acme.com", /must start with https:\/\/ or http:\/\//],
    ["null", /must start with/],
  ])("refuses %j", (origin, message) => {
    expect(problemsOf({ id: "acme", domains: ["a.acme.com"], corsOrigins: [origin] }).join("\n")).toMatch(message);
  });

  it("the plan gives the rates; an override replaces the tenant's and caps the key's", () => {
    expect(rateLimitOf({ plan: "free" })).toEqual({
      requestsPerMinute: PLANS.free.requestsPerMinute,
      keyRequestsPerMinute: PLANS.free.keyRequestsPerMinute,
    });
    expect(rateLimitOf({ plan: "standard", requestsPerMinute: 100 })).toEqual({
      requestsPerMinute: 100,
      keyRequestsPerMinute: 100,
    });
    expect(rateLimitOf({ plan: "free", requestsPerMinute: 100_000 })).toEqual({
      requestsPerMinute: 100_000,
      keyRequestsPerMinute: PLANS.free.keyRequestsPerMinute,
    });
    for (const plan of Object.values(PLANS))
      expect(plan.keyRequestsPerMinute).toBeLessThanOrEqual(plan.requestsPerMinute);
  });
});
