/**
 * A busy port, found before workerd starts: workerd on a busy port prints a fatal exception and a
 * stack of addresses to stderr, and Miniflare's error comes after it. Trying the port first (listen,
 * then close) lets the platform refuse with one plain error instead.
 *
 * @example
 *   await assertPortFree("traffic", "127.0.0.1", 8787); // rejects with PortInUseError when taken
 */
import { createServer } from "node:net";

/** Which of the platform's two ports: tenant traffic (the dispatcher) or the Cloudflare-compatible API. */
export type PlatformPort = "traffic" | "api";

/** A start refused because another program listens on one of the platform's ports. */
export class PortInUseError extends Error {
  constructor(
    readonly which: PlatformPort,
    readonly host: string,
    readonly port: number,
    options?: ErrorOptions,
  ) {
    super(`the ${which === "api" ? "API" : "traffic"} port ${host}:${port} is in use by another program`, options);
    this.name = "PortInUseError";
  }
}

/** Resolves when `port` on `host` can be listened on (0 always can); rejects with {@link PortInUseError}. */
export async function assertPortFree(which: PlatformPort, host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) =>
      reject(error.code === "EADDRINUSE" ? new PortInUseError(which, host, port, { cause: error }) : error),
    );
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
