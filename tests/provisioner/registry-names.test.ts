/**
 * The names a registry's ref derives (provisioner/src/tenant-names.ts, contracts/registry-ref.ts):
 * the default registry keeps a tenant's names; another registry's names carry `<tenant>_<registry>`,
 * which no tenant id can be, stay within Cloudflare's 63 characters, and map back to the ref.
 */
import { describe, expect, it } from "vitest";
import { registryRef, splitRegistryRef } from "../../contracts/registry-ref.ts";
import { leasePrefix } from "../../provisioner/src/tenant-lease.ts";
import { refOfName, TENANT_ID_PATTERN, tenantNames } from "../../provisioner/src/tenant-names.ts";
import { parseRegistryRef, parseTenantId } from "../../provisioner/src/tenant-spec.ts";

describe("registry names", () => {
  it("the default registry has exactly a tenant's names", () => {
    expect(tenantNames("acme")).toEqual({
      d1Database: "wfp-tenant-acme",
      kvNamespace: "wfp-tenant-acme-cache",
      script: "tenant-acme",
      scriptTags: ["wfp-tenant", "tenant-acme"],
      tenantKey: "tenant:acme",
    });
    expect(leasePrefix("acme")).toBe("lease:tenant:acme:");
    expect(registryRef("acme", "default")).toBe("acme");
    expect(parseTenantId("acme:default")).toBe("acme");
  });

  it("another registry's names carry tenant_registry, and map back to its ref", () => {
    const names = tenantNames("acme:staging");
    expect(names).toEqual({
      d1Database: "wfp-tenant-acme_staging",
      kvNamespace: "wfp-tenant-acme_staging-cache",
      script: "tenant-acme_staging",
      scriptTags: ["wfp-tenant", "tenant-acme_staging"],
      tenantKey: "tenant:acme:staging",
    });
    expect(refOfName("script", names.script)).toBe("acme:staging");
    expect(refOfName("d1", names.d1Database)).toBe("acme:staging");
    expect(refOfName("kv", names.kvNamespace)).toBe("acme:staging");
    expect(refOfName("script", "tenant-acme")).toBe("acme");
    expect(refOfName("d1", "other-db")).toBeUndefined();
    expect(splitRegistryRef("acme:staging")).toEqual({ tenantId: "acme", registryId: "staging" });
    // The default registry's lease prefix is no prefix of another registry's.
    expect(leasePrefix("acme:staging").startsWith(leasePrefix("acme"))).toBe(false);
  });

  it("no tenant id is another registry's stem, and the longest names fit in 63 characters", () => {
    expect(TENANT_ID_PATTERN.test("acme_staging")).toBe(false);
    const longest = tenantNames(parseRegistryRef("t".repeat(32), "r".repeat(19)));
    expect(longest.d1Database.length).toBeLessThanOrEqual(63);
    expect(longest.script.length).toBeLessThanOrEqual(63);
    expect(() => parseRegistryRef("acme", "r".repeat(20))).toThrow(/registry id must be 1-19 characters/);
    expect(() => parseRegistryRef("Acme", "Staging")).toThrow(/2 problems/);
  });
});
