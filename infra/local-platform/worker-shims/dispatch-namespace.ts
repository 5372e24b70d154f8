/**
 * A local stand-in for a Workers for Platforms dispatch namespace binding.
 *
 * Miniflare's dispatch namespace binding only proxies to Cloudflare, so the local platform wraps
 * the dispatcher's own (unchanged) handler and gives it `env[binding]` with the same surface as
 * production: `get(scriptName, args?, { limits, outbound })` returns a Fetcher whose `fetch()`
 * throws `Error("Worker not found.")` when no such script is in the namespace.
 *
 * The platform gives the shim one private binding, `TENANTS_BINDING`, to the tenant host
 * (tenant-host.ts), which loads the namespace's scripts when they are first needed and throws
 * "Worker not found." for a name the namespace does not have. That binding is removed from the env
 * the dispatcher sees, so dispatcher code cannot reach a tenant any other way.
 *
 * The Worker's own Durable Object classes get the same env (as on Cloudflare, where an object sees
 * its script's bindings): the entry module exports each wrapped by
 * {@link withLocalDispatchNamespaceObjects}. Its Durable Object namespaces take `jurisdiction()`,
 * which workerd does not implement (see withLocalJurisdictions).
 *
 * @example
 *   import dispatcher from "../../dispatcher/src/index.ts";
 *   export default withLocalDispatchNamespace(dispatcher, "DISPATCHER");
 */
import { TENANTS_BINDING } from "../dispatch-namespace-names.ts";

/** The `get()` options production accepts; locally they are validated and recorded, not enforced. */
export interface DispatchGetOptions {
  limits?: { cpuMs?: number; subRequests?: number };
  outbound?: Record<string, unknown>;
}

type AnyEnv = Record<string, unknown>;
/** The tenant host's Dispatch entrypoint. */
interface TenantHost {
  dispatch(name: string, request: Request): Promise<Response>;
}

class LocalDispatchNamespace {
  constructor(private readonly host: TenantHost) {}

  get(name: string, _args?: Record<string, unknown>, options?: DispatchGetOptions): Fetcher {
    if (typeof name !== "string" || name.length === 0) {
      throw new TypeError("dispatch namespace get(): script name must be a non-empty string");
    }
    const limits = options?.limits;
    if (limits !== undefined) {
      for (const [key, value] of Object.entries(limits)) {
        if (value !== undefined && (typeof value !== "number" || !Number.isFinite(value) || value <= 0)) {
          throw new TypeError(`dispatch namespace get(): limits.${key} must be a positive number`);
        }
      }
    }
    const host = this.host;
    // Like production, get() is lazy: a missing script fails on fetch(), not here.
    const fetcher = {
      fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
        // A Request passes as it is; anything else becomes one, as fetch() would make it.
        const request = input instanceof Request && init === undefined ? input : new Request(input, init);
        return host.dispatch(name, request);
      },
      connect(): never {
        throw new Error("connect() is not supported by the local dispatch namespace");
      },
    };
    return fetcher as unknown as Fetcher;
  }
}

const wrappedEnvs = new WeakMap<object, AnyEnv>();

/** The jurisdictions Cloudflare's `DurableObjectNamespace.jurisdiction()` takes. */
const JURISDICTIONS = new Set(["eu", "fedramp", "fedramp-high", "us"]);

/**
 * A Durable Object namespace whose `jurisdiction()` answers the namespace itself: workerd throws
 * "Jurisdiction restrictions are not implemented", and on this one machine there is nowhere else
 * for an object to be (residency is simulated locally, docs/local-platform.md). An unknown
 * jurisdiction is still refused, as Cloudflare refuses it.
 */
function withLocalJurisdictions(namespace: DurableObjectNamespace): DurableObjectNamespace {
  const proxy: DurableObjectNamespace = new Proxy(namespace, {
    get(target, property) {
      if (property === "jurisdiction")
        return (jurisdiction: string) => {
          if (!JURISDICTIONS.has(jurisdiction)) throw new TypeError(`Unknown jurisdiction: ${jurisdiction}`);
          return proxy;
        };
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return proxy;
}

const isObjectNamespace = (value: unknown): value is DurableObjectNamespace =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as DurableObjectNamespace).idFromName === "function" &&
  typeof (value as DurableObjectNamespace).jurisdiction === "function";

function wrapEnv(env: AnyEnv, binding: string): AnyEnv {
  const cached = wrappedEnvs.get(env);
  if (cached !== undefined) return cached;
  const visible: AnyEnv = {};
  for (const [key, value] of Object.entries(env)) {
    if (key === TENANTS_BINDING) continue;
    visible[key] = isObjectNamespace(value) ? withLocalJurisdictions(value) : value;
  }
  visible[binding] = new LocalDispatchNamespace(env[TENANTS_BINDING] as TenantHost);
  wrappedEnvs.set(env, visible);
  return visible;
}

/** Wraps a module Worker's handler so that `env[binding]` behaves as a dispatch namespace. */
export function withLocalDispatchNamespace<E>(handler: ExportedHandler<E>, binding: string): ExportedHandler<AnyEnv> {
  return {
    fetch(request, env, ctx) {
      if (handler.fetch === undefined) throw new Error("the wrapped Worker has no fetch handler");
      return handler.fetch(
        request as Parameters<NonNullable<ExportedHandler<E>["fetch"]>>[0],
        wrapEnv(env, binding) as E,
        ctx,
      );
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: a mixin's base must take any constructor arguments.
type ObjectClass = new (...args: any[]) => object;

/**
 * The Worker's Durable Object classes, each as a subclass whose env has `env[binding]` as a
 * dispatch namespace, as {@link withLocalDispatchNamespace} gives the handler. For an entry module:
 * `export const { WebhookClock } = withLocalDispatchNamespaceObjects({ WebhookClock }, "DISPATCHER")`.
 *
 * @example
 *   import * as main from "./index.js";
 *   const classes = { WebhookClock: main.WebhookClock };
 *   export const { WebhookClock } = withLocalDispatchNamespaceObjects(classes, "DISPATCHER");
 */
export function withLocalDispatchNamespaceObjects<C extends Record<string, ObjectClass>>(
  classes: C,
  binding: string,
): C {
  const wrapped: Record<string, ObjectClass> = {};
  for (const [name, objectClass] of Object.entries(classes)) {
    if (typeof objectClass !== "function") throw new Error(`the Worker exports no Durable Object class '${name}'`);
    wrapped[name] = class extends objectClass {
      // biome-ignore lint/suspicious/noExplicitAny: the runtime's (ctx, env), passed on.
      constructor(...[ctx, env]: any[]) {
        super(ctx, wrapEnv(env as AnyEnv, binding));
      }
    };
  }
  return wrapped as C;
}
