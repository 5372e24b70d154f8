/**
 * A KV namespace client over the protocol of Miniflare's KV storage object (the requests workerd's
 * own KV binding sends it): `GET|PUT|DELETE /<key>?urlencoded=true`, `GET /?prefix&cursor&key_count_limit`
 * to list, `POST /bulk/get`; expiration and metadata as query parameters and headers.
 *
 * The local platform needs it twice, with the same behaviour: the tenant host Worker gives each
 * tenant's KV binding through it (worker-shims/tenant-host.ts), and the Cloudflare API's KV routes
 * read and write values through it (workerd-runtime.ts). Workerd's KV binding cannot be made for a
 * namespace at run time (its constructor is not reachable from JavaScript), so this is the one
 * place the encoding lives. Validation (key size, TTLs, metadata size) is the storage object's.
 *
 * @example
 *   const kv = new KvWireClient((path, init) => storage.fetch(`http://kv${path}`, init));
 *   await kv.put("k", "v", { expirationTtl: 60 });
 *   await kv.get("k", "text"); // "v"
 */

/** Sends one request to the namespace's storage; `path` starts with `/`. */
export type KvSend = (path: string, init: RequestInit) => Promise<Response>;

export type KvValueType = "text" | "json" | "arrayBuffer" | "stream";
type GetOptions = KvValueType | { type?: KvValueType; cacheTtl?: number } | undefined;

export interface KvPutOptions {
  expiration?: number;
  expirationTtl?: number;
  metadata?: unknown;
}

export interface KvListOptions {
  prefix?: string | null;
  limit?: number;
  cursor?: string | null;
}

export interface KvListKey {
  name: string;
  expiration?: number;
  metadata?: unknown;
}

export type KvListResult =
  | { keys: KvListKey[]; list_complete: true; cacheStatus: null }
  | { keys: KvListKey[]; list_complete: false; cursor: string; cacheStatus: null };

const METADATA_HEADER = "CF-KV-Metadata";

const optionsOf = (options: GetOptions) => (typeof options === "string" ? { type: options } : (options ?? {}));

async function failure(operation: string, response: Response): Promise<Error> {
  const detail = (await response.text().catch(() => "")) || response.statusText;
  return new Error(`KV ${operation} failed: ${response.status} ${detail}`);
}

/**
 * The path of a key. The storage refuses "", "." and ".." itself, but a URL cannot carry them
 * (its parser drops dot segments, even percent-encoded ones), so they are refused here with the
 * storage's own words.
 */
function keyPath(operation: string, key: string, query: URLSearchParams): string {
  if (key === "") throw new Error(`KV ${operation} failed: 400 Key names must not be empty`);
  if (key === "." || key === "..") {
    throw new Error(`KV ${operation} failed: 400 Illegal key name "${key}". Please use a different name.`);
  }
  return `/${encodeURIComponent(key)}?${query}`;
}

export class KvWireClient {
  constructor(private readonly send: KvSend) {}

  async get(key: string | string[], options?: GetOptions): Promise<unknown> {
    if (Array.isArray(key)) return this.getMany(key, options, false);
    const found = await this.read(key, options);
    return found === null ? null : found.value;
  }

  async getWithMetadata(
    key: string | string[],
    options?: GetOptions,
  ): Promise<{ value: unknown; metadata: unknown; cacheStatus: null } | Map<string, unknown>> {
    if (Array.isArray(key)) return this.getMany(key, options, true);
    const found = await this.read(key, options);
    return { value: found?.value ?? null, metadata: found?.metadata ?? null, cacheStatus: null };
  }

  async put(
    key: string,
    value: string | ArrayBuffer | ArrayBufferView | ReadableStream | null,
    options: KvPutOptions = {},
  ): Promise<void> {
    const query = new URLSearchParams({ urlencoded: "true" });
    if (options.expiration !== undefined) query.set("expiration", String(options.expiration));
    if (options.expirationTtl !== undefined) query.set("expiration_ttl", String(options.expirationTtl));
    const headers: Record<string, string> = {};
    if (options.metadata !== undefined) headers[METADATA_HEADER] = JSON.stringify(options.metadata);
    const response = await this.send(keyPath("PUT", key, query), {
      method: "PUT",
      headers,
      body: value as RequestInit["body"],
      ...(value instanceof ReadableStream ? { duplex: "half" } : {}),
    });
    if (!response.ok) throw await failure("PUT", response);
    await response.arrayBuffer();
  }

  async delete(key: string): Promise<void> {
    const response = await this.send(keyPath("DELETE", key, new URLSearchParams({ urlencoded: "true" })), {
      method: "DELETE",
    });
    if (!response.ok) throw await failure("DELETE", response);
    await response.arrayBuffer();
  }

  async list(options: KvListOptions = {}): Promise<KvListResult> {
    const query = new URLSearchParams();
    if (options.prefix !== undefined && options.prefix !== null) query.set("prefix", options.prefix);
    if (options.cursor !== undefined && options.cursor !== null) query.set("cursor", options.cursor);
    if (options.limit !== undefined) query.set("key_count_limit", String(options.limit));
    const response = await this.send(`/?${query}`, { method: "GET" });
    if (!response.ok) throw await failure("LIST", response);
    const page = (await response.json()) as {
      keys: { name: string; expiration?: number; metadata?: string }[];
      list_complete: boolean;
      cursor?: string;
    };
    // The storage sends metadata as JSON text (what workerd's binding parses).
    const keys = page.keys.map(({ name, expiration, metadata }) => ({
      name,
      ...(expiration === undefined ? {} : { expiration }),
      ...(metadata === undefined ? {} : { metadata: JSON.parse(metadata) as unknown }),
    }));
    return page.list_complete || page.cursor === undefined
      ? { keys, list_complete: true, cacheStatus: null }
      : { keys, list_complete: false, cursor: page.cursor, cacheStatus: null };
  }

  private async read(key: string, options: GetOptions): Promise<{ value: unknown; metadata: unknown } | null> {
    const { type = "text", cacheTtl } = optionsOf(options);
    if (!["text", "json", "arrayBuffer", "stream"].includes(type)) {
      throw new TypeError(`Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".`);
    }
    const query = new URLSearchParams({ urlencoded: "true" });
    if (cacheTtl !== undefined) query.set("cache_ttl", String(cacheTtl));
    const response = await this.send(keyPath("GET", key, query), { method: "GET" });
    if (response.status === 404) {
      await response.arrayBuffer();
      return null;
    }
    if (!response.ok) throw await failure("GET", response);
    const metadataHeader = response.headers.get(METADATA_HEADER);
    const metadata = metadataHeader === null ? null : (JSON.parse(metadataHeader) as unknown);
    const value =
      type === "json"
        ? await response.json()
        : type === "arrayBuffer"
          ? await response.arrayBuffer()
          : type === "stream"
            ? response.body
            : await response.text();
    return { value, metadata };
  }

  private async getMany(keys: string[], options: GetOptions, withMetadata: boolean): Promise<Map<string, unknown>> {
    const { type = "text", cacheTtl } = optionsOf(options);
    const response = await this.send("/bulk/get", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ keys, type, withMetadata, ...(cacheTtl === undefined ? {} : { cacheTtl }) }),
    });
    if (!response.ok) throw await failure("GET", response);
    return new Map(Object.entries((await response.json()) as Record<string, unknown>));
  }
}
