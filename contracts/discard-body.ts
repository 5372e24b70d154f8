/** Up to this much of an unused request body is read to keep the connection usable. */
const MAX_DISCARDED_BODY_BYTES = 1024 * 1024;

/**
 * Reads and drops a request body that a Worker answers without using. workerd closes a keep-alive
 * connection whose request body was left unread, without saying so, and the client's next request
 * on it is reset. Reading the body (up to MAX_DISCARDED_BODY_BYTES; past that the connection may
 * as well go) keeps it usable. Shared by the dispatcher and the tenant template.
 *
 * @example
 *   app.use(async (c, next) => { await next(); await discardBody(c.req.raw); });
 */
export async function discardBody(request: Request, maxBytes: number = MAX_DISCARDED_BODY_BYTES): Promise<void> {
  if (request.body === null || request.bodyUsed) return;
  try {
    const reader = request.body.getReader();
    let read = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
      if (read > maxBytes) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // The client went away or the stream is locked by a handler that stopped reading: nothing to keep.
  }
}
