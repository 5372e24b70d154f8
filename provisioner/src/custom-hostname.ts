/**
 * Custom hostname (Cloudflare for SaaS): find by hostname, create-or-adopt, delete. Hostnames are
 * unique per zone, so the hostname itself is the identity. A new hostname is `pending` until the
 * tenant adds the DNS records this module exposes (CNAME, ownership TXT, SSL validation).
 */
import { collectAll } from "./cloudflare-client.ts";
import type { Target } from "./config.ts";
import type { DeleteOutcome, EnsureAction } from "./d1-database.ts";
import { apiCall, isNotFound, mayAlreadyExist } from "./errors.ts";

const KIND = "custom hostname";

export interface ValidationRecord {
  txtName?: string;
  txtValue?: string;
  httpUrl?: string;
  httpBody?: string;
  cname?: string;
  cnameTarget?: string;
  emails?: string[];
  status?: string;
}

export interface CustomHostname {
  id: string;
  hostname: string;
  /** pending, active, moved, deleted, blocked, ... */
  status: string | undefined;
  /** initializing, pending_validation, ..., active */
  sslStatus: string | undefined;
  ownershipVerification?: { type: string; name: string; value: string };
  validationRecords: ValidationRecord[];
  verificationErrors: string[];
}

/** The subset of the SDK's custom hostname shape we read (create, get and list answer alike). */
interface CustomHostnameWire {
  id: string;
  hostname: string;
  status?: string;
  ssl?: {
    status?: string;
    validation_records?: Array<{
      txt_name?: string;
      txt_value?: string;
      http_url?: string;
      http_body?: string;
      cname?: string;
      cname_target?: string;
      emails?: string[];
      status?: string;
    }>;
  };
  ownership_verification?: { type?: string; name?: string; value?: string };
  verification_errors?: string[];
}

function fromWire(wire: CustomHostnameWire): CustomHostname {
  const ov = wire.ownership_verification;
  return {
    id: wire.id,
    hostname: wire.hostname,
    status: wire.status,
    sslStatus: wire.ssl?.status,
    ...(ov?.name && ov.value
      ? { ownershipVerification: { type: ov.type ?? "txt", name: ov.name, value: ov.value } }
      : {}),
    validationRecords: (wire.ssl?.validation_records ?? []).map((r) => ({
      ...(r.txt_name !== undefined ? { txtName: r.txt_name } : {}),
      ...(r.txt_value !== undefined ? { txtValue: r.txt_value } : {}),
      ...(r.http_url !== undefined ? { httpUrl: r.http_url } : {}),
      ...(r.http_body !== undefined ? { httpBody: r.http_body } : {}),
      ...(r.cname !== undefined ? { cname: r.cname } : {}),
      ...(r.cname_target !== undefined ? { cnameTarget: r.cname_target } : {}),
      ...(r.emails !== undefined ? { emails: r.emails } : {}),
      ...(r.status !== undefined ? { status: r.status } : {}),
    })),
    verificationErrors: wire.verification_errors ?? [],
  };
}

/** Validation records appear some time after creation: worth asking again while SSL is pending. */
function awaitsValidationRecords(h: CustomHostname): boolean {
  return h.validationRecords.length === 0 && h.sslStatus !== "active" && h.sslStatus !== undefined;
}

/**
 * Find a custom hostname by exact name.
 *
 * @example
 *   const h = await findCustomHostname(target, "registry.acme.com"); // undefined when absent
 */
export async function findCustomHostname(target: Target, hostname: string): Promise<CustomHostname | undefined> {
  const all = await apiCall("finding", KIND, hostname, () =>
    collectAll<CustomHostnameWire>(
      target.client.customHostnames.list({ zone_id: target.zoneId, hostname: { exact: hostname }, per_page: 50 }),
      // The filter is a hint: match exactly here, whatever the server did with it.
      (h) => h.hostname === hostname,
    ),
  );
  const found = all.find((h) => h.hostname === hostname);
  return found ? fromWire(found) : undefined;
}

/**
 * Read a custom hostname by id (fresh status and validation records).
 *
 * @example
 *   const h = await getCustomHostname(target, id, "registry.acme.com");
 */
export async function getCustomHostname(target: Target, id: string, hostname: string): Promise<CustomHostname> {
  const wire = await apiCall("reading", KIND, hostname, () =>
    target.client.customHostnames.get(id, { zone_id: target.zoneId }),
  );
  return fromWire(wire);
}

/**
 * Create the hostname (HTTP DCV, domain-validated certificate) or adopt the existing one. When the
 * answer lacks validation records (Cloudflare adds them asynchronously) it asks once more.
 *
 * @example
 *   const { hostname, action } = await ensureCustomHostname(target, "registry.acme.com");
 */
export async function ensureCustomHostname(
  target: Target,
  hostname: string,
): Promise<{ hostname: CustomHostname; action: EnsureAction }> {
  let result: { hostname: CustomHostname; action: EnsureAction };
  const found = await findCustomHostname(target, hostname);
  if (found) {
    result = { hostname: found, action: "adopted" };
  } else {
    try {
      const created = await apiCall("creating", KIND, hostname, () =>
        target.client.customHostnames.create({ zone_id: target.zoneId, hostname, ssl: { method: "http", type: "dv" } }),
      );
      result = { hostname: fromWire(created), action: "created" };
    } catch (error) {
      // 409 "duplicate custom hostname": a retried create that landed, or a concurrent run.
      if (mayAlreadyExist(error)) {
        const again = await findCustomHostname(target, hostname);
        if (again) return { hostname: again, action: "adopted" };
      }
      throw error;
    }
  }
  if (awaitsValidationRecords(result.hostname)) {
    result.hostname = await getCustomHostname(target, result.hostname.id, hostname);
  }
  return result;
}

/**
 * Delete the custom hostname; absent counts as deleted.
 *
 * @example
 *   await deleteCustomHostname(target, "registry.acme.com"); // "deleted" | "already gone"
 */
export async function deleteCustomHostname(target: Target, hostname: string): Promise<DeleteOutcome> {
  const found = await findCustomHostname(target, hostname);
  if (!found) return "already gone";
  try {
    await apiCall("deleting", KIND, hostname, () =>
      target.client.customHostnames.delete(found.id, { zone_id: target.zoneId }),
    );
    return "deleted";
  } catch (error) {
    if (isNotFound(error)) return "already gone";
    throw error;
  }
}

/**
 * What the tenant learns about where to point DNS: the CNAME target. `WFP_CNAME_TARGET` wins;
 * otherwise the zone's fallback origin; undefined when neither is known.
 *
 * @example
 *   await cnameTarget(target) // "customers.saas.example"
 */
export async function cnameTarget(target: Target): Promise<string | undefined> {
  if (target.cnameTarget) return target.cnameTarget;
  try {
    const fallback = await apiCall("reading", "fallback origin of zone", target.zoneId, () =>
      target.client.customHostnames.fallbackOrigin.get({ zone_id: target.zoneId }),
    );
    return fallback.origin ?? undefined;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
