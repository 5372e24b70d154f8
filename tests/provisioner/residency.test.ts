import { describe, expect, it } from "vitest";
import { residencyProfile } from "../../provisioner/src/residency.ts";

/** A regions list shaped like Cloudflare's answer (keys are Cloudflare's, not ours). */
const regions = [
  { key: "ca", label: "Canada" },
  { key: "eu", label: "European Union" },
  { key: "gb", label: "United Kingdom" },
  { key: "us", label: "United States of America" },
];

describe("residencyProfile", () => {
  it("eu: EU jurisdiction, no replication, EU regional hostname, cache off", () => {
    const eu = residencyProfile("eu");
    expect(eu.d1).toEqual({ jurisdiction: "eu", readReplication: "disabled" });
    expect(eu.defaultCacheMode).toBe("off");
    expect(regions.filter((r) => eu.regionalHostname!.matches(r))).toEqual([{ key: "eu", label: "European Union" }]);
  });

  it("uk: EU jurisdiction and says there is no UK one; UK region found by label", () => {
    const uk = residencyProfile("uk");
    expect(uk.d1.jurisdiction).toBe("eu");
    expect(uk.notes.join(" ")).toMatch(/no UK jurisdiction/);
    expect(uk.nonGuarantees.join(" ")).toMatch(/D1 has no UK jurisdiction/);
    expect(regions.filter((r) => uk.regionalHostname!.matches(r))).toEqual([{ key: "gb", label: "United Kingdom" }]);
    expect(uk.regionalHostname!.matches({ key: "uk", label: "UK" })).toBe(true);
  });

  it("global: location hint (default weur, overridable), replication auto, cache on, no regional hostname", () => {
    expect(residencyProfile("global").d1).toEqual({ primaryLocationHint: "weur", readReplication: "auto" });
    expect(residencyProfile("global", { locationHint: "apac" }).d1.primaryLocationHint).toBe("apac");
    expect(residencyProfile("global").regionalHostname).toBeUndefined();
    expect(residencyProfile("global").defaultCacheMode).toBe("on");
  });

  it("puts nothing best effort under guaranteed: a location hint and replicas near users are best effort", () => {
    for (const residency of ["eu", "uk", "global"] as const) {
      const profile = residencyProfile(residency);
      expect(profile.guarantees.join(" "), residency).not.toMatch(/best effort|hint|preference|near/i);
    }
    expect(residencyProfile("global").bestEffort.join(" ")).toMatch(/location hint 'weur': a preference/);
    expect(residencyProfile("eu").bestEffort).toEqual([]);
  });

  it("every profile says KV has no jurisdiction or that there is no residency", () => {
    expect(residencyProfile("eu").nonGuarantees.join(" ")).toMatch(/KV has no jurisdiction/);
    expect(residencyProfile("uk").nonGuarantees.join(" ")).toMatch(/KV has no jurisdiction/);
    expect(residencyProfile("global").nonGuarantees.join(" ")).toMatch(/No data residency/);
  });
});
