/**
 * The console's page (/ui): an empty shell that loads the console's script and style sheet from
 * the tenant's own origin (console-assets.ts), under a Content-Security-Policy that allows nothing
 * else: no inline script or style, no other origin, API calls only to this origin.
 */

/**
 * Scripts, styles and images only from files of this origin (and `data:` images, none used yet),
 * requests only to this origin, no frames, forms posted nowhere, and the page may not be framed.
 */
export const CONSOLE_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** The headers the page is served with. */
export const CONSOLE_PAGE_HEADERS = {
  "content-security-policy": CONSOLE_PAGE_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "private, no-cache",
};

/**
 * The page. Its links are relative (`ui/console.js` from `/ui`), so the local platform's path form
 * `/_tenant/<host>/ui` loads the same files; the script finds the APIs the same way.
 */
export const CONSOLE_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Schema registry console</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="ui/console.css">
<script defer src="ui/console.js"></script>
</head><body>
<div id="console"></div>
<noscript><p>The console needs JavaScript. The registry's API is described at <a href="docs">docs</a>.</p></noscript>
</body></html>
`;
