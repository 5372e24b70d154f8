/**
 * Per-tenant backup and restore, mounted under `/api` (docs/backup.md):
 * - `GET /api/export`: the whole registry as one JSON document, streamed page by page;
 * - `POST /api/import`: that document loaded into an empty registry, all or nothing.
 * The import route has its own, larger body limit (IMPORT_MAX_BODY_BYTES); everything else about
 * its input (415, 400 malformed JSON, the error shape) is the API's one input layer.
 */
import { Hono, type Context } from "hono";
import { ApiError } from "../api-error.ts";
import { invalidInput, requestInput } from "../http/request-input.ts";
import type { RequestIdVariables } from "../request-id.ts";
import { COLLECTIONS } from "../store/collections.ts";
import { d1Session, type D1SessionVariables } from "../store/d1-session.ts";
import { exportStream } from "./export-stream.ts";
import { importRegistry } from "./import-registry.ts";

/**
 * The largest import body. The whole document is parsed and validated in memory before anything is
 * written (that is what makes the import atomic), and a Worker has 128 MB, so the limit leaves room
 * for the parsed copy and the rows built from it. Larger registries: see docs/backup.md.
 */
const IMPORT_MAX_BODY_BYTES = 16 * 1024 * 1024;

type BackupEnv = { Bindings: { DB: D1Database }; Variables: D1SessionVariables & RequestIdVariables };

/**
 * The backup routes as a Hono sub-app. Mount it before any `/api/*` middleware with a smaller body
 * limit: its handlers answer, so later middleware never sees these two paths.
 *
 * @example
 *   app.route("/api", backupApi);        // GET /api/export, POST /api/import
 *   app.use("/api/*", requestInput());
 */
export const backupApi = new Hono<BackupEnv>();

backupApi.get("/export", d1Session(), async (c) => {
  const stream = await exportStream(c.var.session, COLLECTIONS);
  return new Response(stream, {
    headers: {
      "content-type": "application/json; charset=utf-8",
      "content-disposition": 'attachment; filename="registry-export.json"',
      "cache-control": "no-store",
    },
  });
});

backupApi.post(
  "/import",
  requestInput({ maxBodyBytes: IMPORT_MAX_BODY_BYTES }),
  d1Session(),
  async (c: Context<BackupEnv>) => {
    // requestInput has already refused oversized, non-JSON and malformed bodies; only "no body" is left.
    const text = await c.req.text();
    if (text.trim() === "")
      throw new ApiError(400, "invalid_request", "Send an export document (GET /api/export) as the body.");
    const result = await importRegistry(c.var.session, JSON.parse(text) as unknown, COLLECTIONS);
    if (result.ok)
      return c.json({ imported: result.imported, replacedDefaultHierarchy: result.replacedDefaultHierarchy }, 201);
    if (result.kind === "invalid_envelope") throw invalidInput(result.error, "json");
    if (result.kind === "invalid_documents") {
      const first = result.details[0];
      throw new ApiError(
        422,
        "invalid_document",
        `The import has invalid documents` +
          `${first ? `, first at ${first.path}: ${first.message}` : ""}. Nothing was imported.`,
        {
          details: result.details,
        },
      );
    }
    throw new ApiError(
      409,
      "registry_not_empty",
      "Import only into an empty registry (or one holding only the untouched default hierarchy). Nothing was imported.",
      {
        details: Object.entries(result.counts)
          .filter(([, count]) => count > 0)
          .map(([collection, count]) => ({
            path: `registry/${collection}`,
            message: `${count} document${count === 1 ? "" : "s"}`,
          })),
      },
    );
  },
);
