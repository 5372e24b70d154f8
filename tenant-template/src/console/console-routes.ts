/**
 * The console (docs/console.md), public like /health: loading the page needs no key (it holds no
 * tenant data); the page then signs in with an API key and calls the APIs with it, which check it
 * as they check every caller (auth/access-policy.ts).
 * - `GET /ui`: the page (console-page.ts);
 * - `GET /ui/`: a redirect to the page (its links are relative to `/ui`, so they would miss from `/ui/`);
 * - `GET /ui/<file>`: its script, style sheet and licenses (console-assets.ts).
 *
 * @example
 *   app.route("/", consoleRoutes);
 */
import { Hono } from "hono";
import { consoleAsset } from "./console-assets.ts";
import { CONSOLE_PAGE, CONSOLE_PAGE_HEADERS } from "./console-page.ts";

export const consoleRoutes = new Hono();
consoleRoutes.get("/ui", (c) => c.html(CONSOLE_PAGE, 200, CONSOLE_PAGE_HEADERS));
// Relative, so the local platform's path form (`/_tenant/<host>/ui/`) lands on its own page too.
consoleRoutes.get("/ui/", (c) => c.redirect("../ui", 308));
consoleRoutes.get(
  "/ui/:asset",
  (c) => consoleAsset(c.req.param("asset"), c.req.header("accept-encoding") ?? null) ?? c.notFound(),
);
