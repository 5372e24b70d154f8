/**
 * The console's one way to call the tenant's APIs: relative to where the page is served (so the
 * local platform's path form `/_tenant/<host>/ui` works as well as `https://<host>/ui`), with the
 * key as `Authorization: Bearer` (held in memory by the caller, never in a URL or a cookie), and
 * with the D1 bookmark of the last answer sent back, so the console always reads its own writes.
 */

export type Role = "read" | "write" | "admin";
export const ROLES: readonly Role[] = ["read", "write", "admin"];

/** What `GET /api/whoami` says about the key. */
export interface Whoami {
  keyId: string;
  role: Role;
  productId: string | null;
  subjectPrefix: string | null;
}

/** A refusal or failure, with the API's own message (either API's error shape). */
export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Confluent's `error_code`, when the answer had one. */
    readonly errorCode: number | null = null,
  ) {
    super(message);
  }
}

export interface ApiClient {
  readonly whoami: Whoami;
  get<T>(path: string): Promise<T>;
  send<T>(method: "POST" | "PUT" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<T>;
}

/** Whether `role` may do what `needed` allows (read < write < admin). */
export function roleAllows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/**
 * The tenant's base path, from the page's own path: `/ui` -> ``, `/_tenant/h/ui` -> `/_tenant/h`.
 *
 * @example
 *   apiBase("/_tenant/registry.acme.localhost/ui") // "/_tenant/registry.acme.localhost"
 */
export function apiBase(pagePath: string): string {
  return pagePath.replace(/\/ui\/?$/, "");
}

/** The message of an error answer: `/api`'s `{error:{message}}` or Confluent's `{error_code, message}`. */
function errorOf(status: number, text: string): ApiCallError {
  try {
    const body = JSON.parse(text) as { error?: { message?: string }; error_code?: number; message?: string };
    if (typeof body.error?.message === "string") return new ApiCallError(status, body.error.message);
    if (typeof body.message === "string") return new ApiCallError(status, body.message, body.error_code ?? null);
  } catch {
    // Not JSON: the status line below says what there is to say.
  }
  return new ApiCallError(status, `HTTP ${status}${text === "" ? "" : `: ${text.slice(0, 200)}`}`);
}

/**
 * Signs in: asks the tenant who the key is. Throws ApiCallError with the API's message when the
 * key is refused.
 *
 * @example
 *   const api = await signIn(apiBase(location.pathname), key);
 *   await api.get("/api/products");
 */
export async function signIn(base: string, key: string): Promise<ApiClient> {
  let bookmark: string | null = null;
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = { authorization: `Bearer ${key}`, accept: "application/json" };
    if (bookmark !== null) headers["x-d1-bookmark"] = bookmark;
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
    bookmark = response.headers.get("x-d1-bookmark") ?? bookmark;
    const text = await response.text();
    if (!response.ok) throw errorOf(response.status, text);
    return (text === "" ? null : JSON.parse(text)) as T;
  };
  const whoami = await call<Whoami>("GET", "/api/whoami");
  return {
    whoami,
    get: (path) => call("GET", path),
    send: (method, path, body) => call(method, path, body),
  };
}
