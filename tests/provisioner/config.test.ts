import { describe, expect, it } from "vitest";
import { readTargetSettings } from "../../provisioner/src/config.ts";
import { ConfigError } from "../../provisioner/src/errors.ts";

describe("readTargetSettings", () => {
  it("defaults to the local platform when there is no token", () => {
    expect(readTargetSettings({})).toMatchObject({
      kind: "local",
      baseURL: "http://127.0.0.1:8788/client/v4",
      dispatchNamespace: "tenants",
    });
    expect(readTargetSettings({}).accountId).toBeUndefined();
  });

  it("takes a non-default local platform from CLOUDFLARE_API_BASE_URL", () => {
    expect(readTargetSettings({ CLOUDFLARE_API_BASE_URL: "http://127.0.0.1:9788/client/v4" }).baseURL).toBe(
      "http://127.0.0.1:9788/client/v4",
    );
  });

  it("targets Cloudflare with a token, account and zone", () => {
    const settings = readTargetSettings({
      CLOUDFLARE_API_TOKEN: "secret",
      CLOUDFLARE_ACCOUNT_ID: "acc",
      CLOUDFLARE_ZONE_ID: "zone",
      WFP_DISPATCH_NAMESPACE: "prod-tenants",
      WFP_ROUTES_KV_ID: "kv",
    });
    expect(settings).toMatchObject({
      kind: "cloudflare",
      baseURL: "https://api.cloudflare.com/client/v4",
      apiToken: "secret",
      accountId: "acc",
      zoneId: "zone",
      dispatchNamespace: "prod-tenants",
      routesNamespaceId: "kv",
    });
  });

  it("names every missing variable when a token is set", () => {
    expect(() => readTargetSettings({ CLOUDFLARE_API_TOKEN: "secret" })).toThrow(
      /needs CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_ZONE_ID/,
    );
    expect(() => readTargetSettings({ CLOUDFLARE_API_TOKEN: "secret", CLOUDFLARE_ACCOUNT_ID: "acc" })).toThrow(
      ConfigError,
    );
    expect(() => readTargetSettings({ CLOUDFLARE_API_TOKEN: "secret", CLOUDFLARE_ACCOUNT_ID: "acc" })).toThrow(
      /needs CLOUDFLARE_ZONE_ID\. Set it/,
    );
  });

  it("reads retry tuning and refuses nonsense", () => {
    expect(readTargetSettings({ WFP_API_MAX_ATTEMPTS: "1" }).retry).toEqual({ maxAttempts: 1 });
    expect(() => readTargetSettings({ WFP_API_MAX_ATTEMPTS: "lots" })).toThrow(
      /WFP_API_MAX_ATTEMPTS must be a whole number/,
    );
  });
});

describe("WFP_API_RATE_LIMIT", () => {
  it("defaults to 1,000 per 5 minutes (Cloudflare's 1,200 per user also counts the dashboard) and can be set", () => {
    expect(readTargetSettings({}).rateLimit).toEqual({ capacity: 83, refillPerSecond: 917 / 300 });
    expect(readTargetSettings({ WFP_API_RATE_LIMIT: "24/1" }).rateLimit).toEqual({ capacity: 2, refillPerSecond: 22 });
    expect(() => readTargetSettings({ WFP_API_RATE_LIMIT: "fast" })).toThrow(/must look like '1200\/300'/);
  });
});
