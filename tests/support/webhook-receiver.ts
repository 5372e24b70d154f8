/**
 * A webhook receiver for tests: a real HTTP server on loopback that records every delivery (its
 * headers and body exactly as received) and answers with the statuses a test queues for a path,
 * 200 once they run out.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedDelivery {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed. */
  event: { id: string; type: string; time: string; tenant: string; data: Record<string, unknown> };
  /** What the receiver answered. */
  answered: number;
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  received: ReceivedDelivery[];
  /**
   * The next answers to deliveries to `path` (or to those `match` accepts), in order (then 200).
   * A predicate lets a test fail one subject's delivery when several lanes send at once, in an
   * order the test cannot know.
   */
  answerWith(match: string | ((delivery: Omit<ReceivedDelivery, "answered">) => boolean), ...statuses: number[]): void;
  /** Waits until `predicate` holds of what was received (bounded; throws with what arrived). */
  waitFor(predicate: (received: ReceivedDelivery[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * @example
 *   const receiver = await startWebhookReceiver();
 *   receiver.answerWith("/hook", 500); // the first delivery to /hook fails, the next ones succeed
 */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedDelivery[] = [];
  const rules: { match: (delivery: Omit<ReceivedDelivery, "answered">) => boolean; statuses: number[] }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let event: ReceivedDelivery["event"];
      try {
        event = JSON.parse(body) as ReceivedDelivery["event"];
      } catch {
        event = { id: "", type: "(not json)", time: "", tenant: "", data: {} };
      }
      const delivery = { path: request.url ?? "", headers: request.headers, body, event };
      const answered = rules.find((rule) => rule.statuses.length > 0 && rule.match(delivery))?.statuses.shift() ?? 200;
      received.push({ ...delivery, answered });
      // No keep-alive: a connection the server closes after its idle timeout (5 s in Node) while
      // the sender reuses it would fail a delivery for a reason that is not the test's.
      response.writeHead(answered, { "content-type": "text/plain", connection: "close" });
      response.end(answered < 300 ? "ok" : "receiver refused it");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    received,
    answerWith: (match, ...statuses) => {
      rules.push({ match: typeof match === "string" ? (delivery) => delivery.path === match : match, statuses });
    },
    async waitFor(predicate, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) {
          const got = JSON.stringify(received.map((r) => [r.path, r.event.type, r.event.data, r.answered]));
          throw new Error(`the receiver did not get what was awaited; it got: ${got}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
