/**
 * Residency profiles: what each residency choice turns into on Cloudflare, and - in words the
 * operator can pass on to the tenant - what that does and does not guarantee. The CLI prints
 * these texts; they are the product's promise, so they say plainly where data can still go.
 */

import type { LocationHint, Residency } from "../../contracts/tenant-record.ts";

const DEFAULT_LOCATION_HINT: LocationHint = "weur";

/** Which Regional Services region a profile needs, and how to recognise it in the regions list. */
export interface RegionRequirement {
  /** "eu" or "uk": a name for humans; the key is looked up, never assumed. */
  region: "eu" | "uk";
  /** Whether an entry of `GET .../regional_hostnames/regions` is this region. */
  matches(entry: { key?: string | undefined; label?: string | undefined }): boolean;
}

export interface ResidencyProfile {
  residency: Residency;
  /** D1 create options: a jurisdiction can only be set at creation and overrides the hint. */
  d1: {
    jurisdiction?: "eu";
    primaryLocationHint?: LocationHint;
    readReplication: "auto" | "disabled";
  };
  regionalHostname?: RegionRequirement;
  /** Default for the tenant's KV read cache. */
  defaultCacheMode: "on" | "off";
  /** What holds whenever the profile is in place: nothing here depends on a preference. */
  guarantees: readonly string[];
  /** What Cloudflare tries for and does not promise (a location hint, replicas near users). */
  bestEffort: readonly string[];
  nonGuarantees: readonly string[];
  /** Things the operator must know about how the profile was realised. */
  notes: readonly string[];
}

const EU_REGION: RegionRequirement = {
  region: "eu",
  matches: ({ key, label }) =>
    key?.toLowerCase() === "eu" || /\beuropean union\b/i.test(label ?? "") || /^eu$/i.test(label?.trim() ?? ""),
};

const UK_REGION: RegionRequirement = {
  region: "uk",
  matches: ({ key, label }) =>
    ["uk", "gb"].includes(key?.toLowerCase() ?? "") ||
    /\bunited kingdom\b|\bgreat britain\b/i.test(label ?? "") ||
    /^uk$/i.test(label?.trim() ?? ""),
};

const SHARED_NON_GUARANTEES = [
  "KV has no jurisdiction: anything written to the tenant's CACHE namespace " +
    "may be stored in any Cloudflare location.",
  "Account-level metadata (tenant id, hostnames, Worker code, logs and analytics) " +
    "is held by Cloudflare's global control plane.",
];

/**
 * The profile for a residency.
 *
 * @example
 *   residencyProfile("uk").d1.jurisdiction // "eu" - D1 has no UK jurisdiction
 *   residencyProfile("global", { locationHint: "apac" }).d1.primaryLocationHint // "apac"
 */
export function residencyProfile(
  residency: Residency,
  options: { locationHint?: LocationHint } = {},
): ResidencyProfile {
  switch (residency) {
    case "eu":
      return {
        residency,
        d1: { jurisdiction: "eu", readReplication: "disabled" },
        regionalHostname: EU_REGION,
        defaultCacheMode: "off",
        guarantees: [
          "The tenant's D1 database is created in the EU jurisdiction: " +
            "its data is stored and processed inside the EU.",
          "D1 read replication is disabled, so no replica of the data exists outside that jurisdiction.",
          "Each tenant hostname points (CNAME) at the platform's EU regional target, eu.<zone>: " +
            "TLS is terminated and requests are processed (the Worker runs) only in EU data centers, " +
            "once the tenant's CNAME is in place.",
          "The KV read cache is off, so tenant documents are not copied into KV.",
        ],
        bestEffort: [],
        nonGuarantees: [
          ...SHARED_NON_GUARANTEES,
          "Turning the KV cache on would place cached documents outside the EU: " +
            "only do it for data allowed to leave the region.",
          "Requests still enter Cloudflare's network at the nearest location " +
            "before being carried to the EU for processing.",
        ],
        notes: [],
      };
    case "uk":
      return {
        residency,
        d1: { jurisdiction: "eu", readReplication: "disabled" },
        regionalHostname: UK_REGION,
        defaultCacheMode: "off",
        guarantees: [
          "Each tenant hostname points (CNAME) at the platform's UK regional target, uk.<zone>: " +
            "TLS is terminated and requests are processed (the Worker runs) only in UK data centers, " +
            "once the tenant's CNAME is in place.",
          "The tenant's D1 database is created in the EU jurisdiction with read replication disabled: " +
            "its data stays inside the EU.",
          "The KV read cache is off, so tenant documents are not copied into KV.",
        ],
        bestEffort: [],
        nonGuarantees: [
          "D1 has no UK jurisdiction: the data is stored in the EU, not in the UK. " +
            "Queries travel from the UK-processed Worker to the EU.",
          ...SHARED_NON_GUARANTEES,
          "Requests still enter Cloudflare's network at the nearest location " +
            "before being carried to the UK for processing.",
        ],
        notes: ["D1 offers no UK jurisdiction; the database uses the EU jurisdiction instead."],
      };
    case "global": {
      const hint = options.locationHint ?? DEFAULT_LOCATION_HINT;
      return {
        residency,
        d1: { primaryLocationHint: hint, readReplication: "auto" },
        defaultCacheMode: "on",
        guarantees: ["D1 sessions keep every client's reads consistent with its own writes, replicas included."],
        bestEffort: [
          `The D1 primary is placed near the location hint '${hint}': a preference, not a promise.`,
          "Read replicas serve reads close to users.",
        ],
        nonGuarantees: [
          "No data residency: D1 replicas, the KV cache and request processing can be in any Cloudflare location.",
          "Workers run at whichever edge location receives the request.",
        ],
        notes: [],
      };
    }
  }
}
