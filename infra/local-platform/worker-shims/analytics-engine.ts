/**
 * A local Workers Analytics Engine binding for the zone's Worker (the dispatcher). Miniflare's own
 * binding drops every point, so the local platform wraps the Worker's handler and gives
 * `env[binding]` a `writeDataPoint()` that checks the point against Cloudflare's limits, as
 * Cloudflare does, and keeps it; once the Worker has answered, the request's points are written to
 * the platform's store (analytics-engine-schema.ts) in `ctx.waitUntil`, so, as on Cloudflare,
 * writing never delays a response. The store's binding is removed from the env the Worker sees.
 *
 * @example
 *   export default withLocalAnalyticsEngine(handler, { USAGE: "wfp_usage" });
 */
import {
  ANALYTICS_STORE_BINDING,
  INSERT_POINT,
  insertParams,
  MAX_BLOB_BYTES,
  MAX_BLOBS,
  MAX_DOUBLES,
  MAX_INDEX_BYTES,
  type StoredPoint,
} from "../analytics-engine-schema.ts";

type AnyEnv = Record<string, unknown>;
const encoder = new TextEncoder();

function byteLength(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (value instanceof ArrayBuffer) return value.byteLength;
  return encoder.encode(String(value)).byteLength;
}

class LocalAnalyticsEngineDataset {
  constructor(
    private readonly dataset: string,
    private readonly pending: StoredPoint[],
  ) {}

  writeDataPoint(event: AnalyticsEngineDataPoint = {}): void {
    const indexes = event.indexes ?? [];
    const blobs = event.blobs ?? [];
    const doubles = event.doubles ?? [];
    if (indexes.length > 1) throw new TypeError("writeDataPoint(): only one index is supported");
    if (byteLength(indexes[0]) > MAX_INDEX_BYTES)
      throw new TypeError(`writeDataPoint(): the index is over ${MAX_INDEX_BYTES} bytes`);
    if (blobs.length > MAX_BLOBS) throw new TypeError(`writeDataPoint(): at most ${MAX_BLOBS} blobs`);
    if (doubles.length > MAX_DOUBLES) throw new TypeError(`writeDataPoint(): at most ${MAX_DOUBLES} doubles`);
    if (blobs.reduce((n: number, b) => n + byteLength(b), 0) > MAX_BLOB_BYTES)
      throw new TypeError(`writeDataPoint(): the blobs are over ${MAX_BLOB_BYTES} bytes together`);
    this.pending.push({
      dataset: this.dataset,
      timestamp: Date.now(),
      index1: indexes[0] === undefined || indexes[0] === null ? "" : String(indexes[0]),
      blobs: blobs.map((b) => (b === null || b === undefined ? "" : String(b))),
      doubles: doubles.map((d) => Number(d)),
    });
  }
}

/** Wraps a module Worker's handler so that each `env[binding]` is a dataset, by binding name. */
export function withLocalAnalyticsEngine<E>(
  handler: ExportedHandler<E>,
  datasets: Record<string, string>,
): ExportedHandler<AnyEnv> {
  // Points written since the last flush, by every request of this isolate; each answered request
  // takes what is there (its own points, and any a request still running has added).
  const pending: StoredPoint[] = [];
  const wrapped = new WeakMap<object, AnyEnv>();
  const envOf = (env: AnyEnv): AnyEnv => {
    let visible = wrapped.get(env);
    if (visible === undefined) {
      visible = {};
      for (const [key, value] of Object.entries(env)) if (key !== ANALYTICS_STORE_BINDING) visible[key] = value;
      for (const [binding, dataset] of Object.entries(datasets))
        visible[binding] = new LocalAnalyticsEngineDataset(dataset, pending);
      wrapped.set(env, visible);
    }
    return visible;
  };
  return {
    async fetch(request, env, ctx) {
      if (handler.fetch === undefined) throw new Error("the wrapped Worker has no fetch handler");
      try {
        return await handler.fetch(request as never, envOf(env) as E, ctx);
      } finally {
        if (pending.length > 0) ctx.waitUntil(flush(env[ANALYTICS_STORE_BINDING] as D1Database, pending.splice(0)));
      }
    },
  };
}

async function flush(store: D1Database, points: StoredPoint[]): Promise<void> {
  try {
    await store.batch(points.map((p) => store.prepare(INSERT_POINT).bind(...insertParams(p))));
  } catch (error) {
    console.error(`local Analytics Engine: ${points.length} point(s) not stored: ${String(error)}`);
  }
}
