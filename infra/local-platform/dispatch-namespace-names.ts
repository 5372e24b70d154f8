/** The dispatcher's private binding to the tenant host (worker-shims/tenant-host.ts), hidden from its code. */
export const TENANTS_BINDING = "__WFP_TENANTS";
