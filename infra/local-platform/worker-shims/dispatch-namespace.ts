/**
 * A local stand-in for a Workers for Platforms dispatch namespace binding.
 *
 * Miniflare's dispatch namespace binding only proxies to Cloudflare, so the local platform wraps
 * the dispatcher's own (unchanged) handler and gives it `env[binding]` with the same surface as
 * production: `get(scriptName, args?, { limits, outbound })` returns a Fetcher whose `fetch()`
 * throws `Error("Worker not found.")` when no such script is in the namespace.
 *
 * The platform passes the namespace's scripts as service bindings named by `SCRIPT_TABLE_VAR`
 * (a JSON object: script name -> service binding name). Those private bindings are removed from
 * the env the dispatcher sees, so dispatcher code cannot reach a tenant any other way.
 *
 * @example
 *   import dispatcher from "../../dispatcher/src/index.ts";
 *   export default withLocalDispatchNamespace(dispatcher, "DISPATCHER");
 */
import { SCRIPT_BINDING_PREFIX, SCRIPT_TABLE_VAR } from "../dispatch-namespace-names.ts";

/** The `get()` options production accepts; locally they are validated and recorded, not enforced. */
export interface DispatchGetOptions {
  limits?: { cpuMs?: number; subRequests?: number };
  outbound?: Record<string, unknown>;
}

type ScriptTable = Record<string, string>;
type AnyEnv = Record<string, unknown>;

class LocalDispatchNamespace {
  constructor(
    private readonly table: ScriptTable,
    private readonly env: AnyEnv,
  ) {}

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
    const bindingName = Object.hasOwn(this.table, name) ? this.table[name] : undefined;
    const target = bindingName === undefined ? undefined : (this.env[bindingName] as Fetcher | undefined);
    // Like production, get() is lazy: a missing script fails on fetch(), not here.
    const fetcher = {
      fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
        if (target === undefined) return Promise.reject(new Error("Worker not found."));
        // Passed through as given: copying the Request here would be a cost production does not have.
        return target.fetch(input as RequestInfo, init);
      },
      connect(): never {
        throw new Error("connect() is not supported by the local dispatch namespace");
      },
    };
    return fetcher as unknown as Fetcher;
  }
}

const wrappedEnvs = new WeakMap<object, AnyEnv>();

function wrapEnv(env: AnyEnv, binding: string): AnyEnv {
  const cached = wrappedEnvs.get(env);
  if (cached !== undefined) return cached;
  const table = (env[SCRIPT_TABLE_VAR] ?? {}) as ScriptTable;
  const visible: AnyEnv = {};
  for (const [key, value] of Object.entries(env)) {
    if (key === SCRIPT_TABLE_VAR || key.startsWith(SCRIPT_BINDING_PREFIX)) continue;
    visible[key] = value;
  }
  visible[binding] = new LocalDispatchNamespace(table, env);
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
