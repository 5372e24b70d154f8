/** What every API module of the local platform shares. */
import type { Context } from "hono";
import { notFound } from "./cloudflare-envelope.ts";
import type { PlatformState } from "./platform-state.ts";
import type { WorkerdRuntime } from "./workerd-runtime.ts";

export interface PlatformContext {
  state: PlatformState;
  runtime: WorkerdRuntime;
  /** How long a new custom hostname takes to validate and go active. */
  hostnameActivationMs: number;
  /** The clock time-based states are read against (LocalPlatformOptions.now). */
  now: () => number;
  /** The account's limits (LocalPlatformOptions.accountLimits). */
  limits: AccountLimits;
}

/** Cloudflare's per-account limits the local platform enforces, with their defaults. */
export interface AccountLimits {
  /** KV namespaces per account: 1,000 (refused with 400 / 10018). */
  kvNamespaces: number;
  /** D1 databases per account: 50,000 on a paid plan (refused with 400 / 7406). */
  d1Databases: number;
}

export const DEFAULT_ACCOUNT_LIMITS: AccountLimits = { kvNamespaces: 1000, d1Databases: 50_000 };

/** Answers 404 the way Cloudflare does for an account id this platform does not have. */
export function requireAccount(ctx: PlatformContext, c: Context): string {
  const accountId = c.req.param("account_id");
  if (accountId !== ctx.state.data.accountId)
    throw notFound(7003, `Could not route to /accounts/${accountId}, perhaps your object identifier is invalid?`);
  return accountId;
}

export function requireZone(ctx: PlatformContext, c: Context): string {
  const zoneId = c.req.param("zone_id");
  if (zoneId !== ctx.state.data.zoneId)
    throw notFound(7003, `Could not route to /zones/${zoneId}, perhaps your object identifier is invalid?`);
  return zoneId;
}
